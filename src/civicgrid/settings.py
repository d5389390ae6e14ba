"""Every setting comes from an environment variable (see .env.example)."""

import ipaddress
import os
import tempfile
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from civicgrid.lib.env import env_bool, env_choice, env_int, env_list, env_str
from civicgrid.lib.keys import weakness as key_weakness
from civicgrid.lib.maps import tile_sources

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("CIVICGRID_DATA_DIR", str(Path.cwd() / "data"))).resolve()

# The default SQLite file lives here; create it so a first `civicgrid migrate` works.
DATA_DIR.mkdir(parents=True, exist_ok=True)

ENVIRONMENT = env_choice("CIVICGRID_ENV", "development", {"development", "production", "test"})
PRODUCTION = ENVIRONMENT == "production"

_DEFAULT_SECRET = "civicgrid-development-secret-not-for-production"  # noqa: S105
_DEFAULT_DATA_KEY = "civicgrid-development-data-key-not-for-production"
SECRET_KEY = env_str("SECRET_KEY", _DEFAULT_SECRET)
# Comma-separated: the first key encrypts, every key decrypts (key rotation).
DATA_KEYS = env_list("CIVICGRID_DATA_KEY", [_DEFAULT_DATA_KEY])
if PRODUCTION and SECRET_KEY == _DEFAULT_SECRET:
    raise ImproperlyConfigured("SECRET_KEY must be set in production (CIVICGRID_ENV=production).")
if PRODUCTION and _DEFAULT_DATA_KEY in DATA_KEYS:
    raise ImproperlyConfigured(
        "CIVICGRID_DATA_KEY must be set in production (CIVICGRID_ENV=production)."
    )
# Older data keys only decrypt what they once encrypted; the key in use must be strong.
for _name, _key in (("SECRET_KEY", SECRET_KEY), ("CIVICGRID_DATA_KEY", DATA_KEYS[0])):
    if PRODUCTION and (_why := key_weakness(_key)):
        raise ImproperlyConfigured(
            f"{_name} {_why}: make one with "
            "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )

# Off unless asked for (DEBUG=true): the demo shows the platform's own 404
# and 500 pages, never Django's technical pages with settings and tracebacks.
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "civicgrid.access",
    "civicgrid.notify",
    "civicgrid.registry",
    "civicgrid.ledger",
    "civicgrid.cases",
    "civicgrid.risks",
    "civicgrid.volunteers",
    "civicgrid.care",
    "civicgrid.inspections",
    "civicgrid.mediation",
    "civicgrid.wishes",
    "civicgrid.services",
    "civicgrid.insights",
    "civicgrid.web",
    "civicgrid.ops",
]

MIDDLEWARE = [
    # /healthz and /readyz first: no session, login, host check or redirect.
    "civicgrid.ops.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "civicgrid.access.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads the body (CSRF reads POST).
    "civicgrid.lib.body_limit.BodySizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "civicgrid.urls"
ASGI_APPLICATION = "civicgrid.asgi.application"
# Threads serving pages and API calls in each web process (see civicgrid.asgi).
WEB_THREADS = env_int("WEB_THREADS", 8, minimum=1)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "civicgrid.web.context.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'civicgrid.sqlite3'}"),
        # Each of the web server's threads keeps its connection (checked
        # before reuse) rather than connecting for every request.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while the worker writes; IMMEDIATE takes the write
    # lock at BEGIN so concurrent writers queue instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # Tests on a file, not in memory: the live server's threads then each get
    # their own connection (an in-memory database is one connection shared by
    # every thread, and a browser's parallel requests trip over each other).
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"civicgrid-test-{os.getpid()}.sqlite3")
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "access.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = (
    [
        {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
        {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    ]
    if PRODUCTION
    else []
)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling: lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "civicgrid.access.views.locked_out"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "civicgrid.access.client_ip.client_ip"

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# Browser libraries installed from npm at set-up (package.json), served by us.
NODE_MODULES = PACKAGE_DIR.parent.parent / "node_modules"
STATICFILES_DIRS = [
    (f"vendor/{name}", NODE_MODULES / name / "dist")
    for name in ("leaflet", "echarts")
    if (NODE_MODULES / name / "dist").is_dir()
]
STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve straight from the apps' folders so `civicgrid run` needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", PRODUCTION)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", PRODUCTION)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# HTTPS: redirect plain HTTP (paths matching SECURE_REDIRECT_EXEMPT, regular
# expressions without the leading slash, stay reachable over HTTP, e.g. for
# trackers that cannot speak TLS) and tell browsers to come back only over HTTPS.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_REDIRECT_EXEMPT = env_list("SECURE_REDIRECT_EXEMPT", [])
SECURE_HSTS_SECONDS = env_int(
    "SECURE_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0, minimum=0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", PRODUCTION)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", PRODUCTION)
# Behind a reverse proxy that terminates TLS: the header it sets and the value
# that means HTTPS, e.g. "HTTP_X_FORWARDED_PROTO,https". Empty: no proxy.
_PROXY_SSL_HEADER = env_list("SECURE_PROXY_SSL_HEADER", [])
if _PROXY_SSL_HEADER and len(_PROXY_SSL_HEADER) != 2:
    raise ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER must be a header and a value, e.g. HTTP_X_FORWARDED_PROTO,https"
    )
SECURE_PROXY_SSL_HEADER = tuple(_PROXY_SSL_HEADER) or None
# Addresses (or networks, e.g. 10.0.0.0/24) of the reverse proxies in front of
# civicgrid. Only a request from one of them may name the client's address in
# X-Forwarded-For (the login lock-out counts failures per address).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an address") from None

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Excel imports larger than this are refused before parsing.
IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
# A small compressed file can expand to millions of rows: its size unpacked and
# its rows are measured before any is parsed, and refused over these limits.
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 200_000, minimum=1)
IMPORT_MAX_UNPACKED_BYTES = env_int("IMPORT_MAX_UNPACKED_BYTES", 256 * 1024 * 1024, minimum=1024)
# Checking stops after this many problems: nobody fixes a file from a list longer.
IMPORT_MAX_ERRORS = env_int("IMPORT_MAX_ERRORS", 1000, minimum=1)
PAGE_SIZE = env_int("PAGE_SIZE", 50, minimum=1)
# How long an API token lives; changing the password or deactivating the
# account ends its tokens sooner.
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 30, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "filters": {"request_id": {"()": "civicgrid.access.middleware.RequestIdLogFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # Quiet at the default level: the task worker's line per task run (the
    # scheduler runs jobs every few seconds) and axes' four lines per login
    # say nothing anyone acts on; LIBRARY_LOG_LEVEL=INFO brings them back.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": env_str("LIBRARY_LOG_LEVEL", "WARNING")},
        "django_tasks_db": {"level": env_str("LIBRARY_LOG_LEVEL", "WARNING")},
        "django.tasks": {"level": env_str("LIBRARY_LOG_LEVEL", "WARNING")},
        "axes": {"level": env_str("LIBRARY_LOG_LEVEL", "WARNING")},
    },
}

NINJA_PAGINATION_CLASS = "civicgrid.lib.api.Pagination"
NINJA_PAGINATION_PER_PAGE = PAGE_SIZE
NINJA_PAGINATION_MAX_LIMIT = env_int("API_MAX_LIMIT", 500, minimum=1)

# Cases: working time for deadlines that count working hours (Mon–Fri).
WORKING_HOURS = env_str("WORKING_HOURS", "09:00-12:00,13:30-17:30")
# How long an overdue case stays at street level before it climbs to the district.
ESCALATION_STEP_HOURS = env_int("ESCALATION_STEP_HOURS", 24, minimum=1)
# Notice channels (notify/channels.py): one dotted path each; the in-app
# notice is one of them. The worker retries a failed send this many times.
NOTICE_CHANNELS = env_list(
    "NOTICE_CHANNELS",
    ["civicgrid.notify.channels.InApp", "civicgrid.notify.channels.LogChannel"],
)
NOTICE_MAX_ATTEMPTS = env_int("NOTICE_MAX_ATTEMPTS", 5, minimum=1)
# Routine notices wait out quiet hours (local time) and at most this many a
# recipient an hour leave on each channel; alarms never wait (notify/holds.py).
# (Off by default under test, where a test that needs them turns them on.)
NOTICE_QUIET_HOURS = env_str("NOTICE_QUIET_HOURS", "" if ENVIRONMENT == "test" else "22:00-07:00")
if NOTICE_QUIET_HOURS and not __import__("re").fullmatch(
    r"[0-2]\d:[0-5]\d-[0-2]\d:[0-5]\d", NOTICE_QUIET_HOURS
):
    raise ImproperlyConfigured("NOTICE_QUIET_HOURS must look like 22:00-07:00 (or be empty)")
NOTICE_RATE_PER_HOUR = env_int(
    "NOTICE_RATE_PER_HOUR", 0 if ENVIRONMENT == "test" else 10, minimum=0
)
# The address links in SMS and robot messages start with (no trailing /).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# SMS through Tencent Cloud's SDK (notify/sms.py): its endpoint (a URL, so a
# stand-in can take its place), the account, the SMS application, the sign
# name and the template ids by name ("alarm=1234567,notice=1234568").
SMS_ENDPOINT = env_str("SMS_ENDPOINT", "https://sms.tencentcloudapi.com")
SMS_REGION = env_str("SMS_REGION", "ap-guangzhou")
SMS_SECRET_ID = env_str("SMS_SECRET_ID", "")
SMS_SECRET_KEY = env_str("SMS_SECRET_KEY", "")
SMS_APP_ID = env_str("SMS_APP_ID", "")
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME", "")
SMS_TEMPLATES = dict(item.split("=", 1) for item in env_list("SMS_TEMPLATES", []) if "=" in item)
# A secret path segment the provider's delivery receipts are posted to.
SMS_RECEIPT_TOKEN = env_str("SMS_RECEIPT_TOKEN", "")
# Duty groups' robots (notify/robots.py): DingTalk signs each request with
# its secret; a WeCom group robot is authorised by the key in its URL.
DINGTALK_WEBHOOK = env_str("DINGTALK_WEBHOOK", "")
DINGTALK_SECRET = env_str("DINGTALK_SECRET", "")
WECOM_WEBHOOK = env_str("WECOM_WEBHOOK", "")
NOTICE_TIMEOUT_SECONDS = env_int("NOTICE_TIMEOUT_SECONDS", 10, minimum=1)
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
# Any request body, files included: a report with its photos, an import.
REQUEST_MAX_BYTES = env_int("REQUEST_MAX_BYTES", 64 * 1024 * 1024, minimum=1024 * 1024)
DUPLICATE_RADIUS_METRES = env_int("DUPLICATE_RADIUS_METRES", 50, minimum=1)
# Map tiles, e.g. https://tile.example/{z}/{x}/{y}.png; none: a plain background.
MAP_TILE_URL = env_str("MAP_TILE_URL", "")

# Volunteers: how long the code a volunteer shows at an exchange counter to
# consent to a redemption stays good.
REDEMPTION_CODE_MINUTES = env_int("REDEMPTION_CODE_MINUTES", 10, minimum=1)

# Content-Security-Policy on every response: scripts, styles and everything
# else only from the platform itself (no inline script, no inline handler,
# no eval), map tiles also from MAP_TILE_URL's host; nothing may frame a page.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *tile_sources(MAP_TILE_URL)],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Care devices: the broker `civicgrid run` ingests from (e.g. mqtt://127.0.0.1:1883;
# empty: OsmAnd HTTP only), when a silent device counts as offline, how long an
# unacknowledged alarm waits before it climbs to the next responder, and the
# low-battery hysteresis (raised below the first, cleared at or above the second).
MQTT_URL = env_str("MQTT_URL", "")
# The kids' watches' TCP listener (`civicgrid ingest-watch`, started by
# `civicgrid run` when a port is set); 0: none.
WATCH_HOST = env_str("WATCH_HOST", "127.0.0.1")
WATCH_PORT = env_int("WATCH_PORT", 0, minimum=0)
CARE_OFFLINE_MINUTES = env_int("CARE_OFFLINE_MINUTES", 30, minimum=1)
ALARM_LADDER_WAIT_SECONDS = env_int("ALARM_LADDER_WAIT_SECONDS", 120, minimum=5)
# How long a guardian's one-time alarm link (sent by SMS) opens its page.
GUARDIAN_LINK_HOURS = env_int("GUARDIAN_LINK_HOURS", 12, minimum=1)
CARE_LOW_BATTERY_PERCENT = env_int("CARE_LOW_BATTERY_PERCENT", 20, minimum=1)
CARE_BATTERY_OK_PERCENT = env_int("CARE_BATTERY_OK_PERCENT", 30, minimum=1)
CARE_REMINDER_GRACE_MINUTES = env_int("CARE_REMINDER_GRACE_MINUTES", 120, minimum=1)
# The case category an alarm becomes when a responder turns it into a case.
CARE_CASE_CATEGORY = env_str("CARE_CASE_CATEGORY", "elderly_care")
# How far back the duty console's stream looks again for timeline rows that
# committed after a newer one (ids are taken in insert order, rows commit in
# their transaction's order).
CARE_STREAM_LOOKBACK_SECONDS = env_int("CARE_STREAM_LOOKBACK_SECONDS", 120, minimum=5)

# Long-running processes (ops.heartbeat, ops.health): each worker and ingest
# process records a heartbeat this often; one silent longer than
# OPS_SILENT_SECONDS, or ingest messages or tasks waiting longer than
# OPS_LAG_SECONDS, is an outage shown to the people on duty (设备接入中断,
# 任务处理中断) and fails /readyz.
OPS_HEARTBEAT_SECONDS = env_int("OPS_HEARTBEAT_SECONDS", 5, minimum=1)
OPS_SILENT_SECONDS = env_int("OPS_SILENT_SECONDS", 30, minimum=2)
OPS_LAG_SECONDS = env_int("OPS_LAG_SECONDS", 30, minimum=1)
if OPS_SILENT_SECONDS <= OPS_HEARTBEAT_SECONDS:
    raise ImproperlyConfigured("OPS_SILENT_SECONDS must be longer than OPS_HEARTBEAT_SECONDS.")
# A device message larger than this is a dead letter, unparsed (a real one is
# under 1 KB; the broker's max_packet_size refuses larger ones first), and so
# is one dated further back or ahead than these (a phone's offline buffer; a
# clock's drift): it is never drawn into a track.
INGEST_MAX_MESSAGE_BYTES = env_int("INGEST_MAX_MESSAGE_BYTES", 16 * 1024, minimum=1024)
INGEST_MAX_AGE_HOURS = env_int("INGEST_MAX_AGE_HOURS", 7 * 24, minimum=1)
INGEST_MAX_AHEAD_MINUTES = env_int("INGEST_MAX_AHEAD_MINUTES", 10, minimum=1)
# Dead letters (unusable device messages, OsmAnd calls with an unknown
# credential): at most this many a minute from one source (a device, an
# address) in each process, the rest only counted in the log; kept this many days.
DEAD_LETTERS_PER_MINUTE = env_int("DEAD_LETTERS_PER_MINUTE", 20, minimum=1)
DEAD_LETTER_RETENTION_DAYS = env_int("DEAD_LETTER_RETENTION_DAYS", 14, minimum=1)
# Mosquitto's password and ACL files, written by `civicgrid broker-config` and
# again by the worker whenever device credentials change (empty: not written);
# the broker is sent SIGHUP to reread them when its pid file is given. The
# platform's own clients (ingest, simulator) sign in with MQTT_URL's user and
# password, which go into the password file as the service account.
MOSQUITTO_PASSWORD_PATH = env_str("MOSQUITTO_PASSWORD_PATH", "")
MOSQUITTO_ACL_PATH = env_str("MOSQUITTO_ACL_PATH", "")
MOSQUITTO_PID_PATH = env_str("MOSQUITTO_PID_PATH", "")
MQTT_TOPIC_PREFIX = env_str("MQTT_TOPIC_PREFIX", "civicgrid/devices")
# The ingest's persistent session on the broker: one per deployment (the
# broker keeps its unacknowledged messages under this id).
MQTT_CLIENT_ID = env_str("MQTT_CLIENT_ID", "civicgrid-ingest")
