"""Every setting comes from an environment variable (see .env.example)."""

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from civicgrid.lib.env import env_bool, env_choice, env_int, env_list, env_str

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

DEBUG = env_bool("DEBUG", not PRODUCTION)
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
    "civicgrid.registry",
    "civicgrid.cases",
    "civicgrid.risks",
    "civicgrid.volunteers",
    "civicgrid.care",
    "civicgrid.web",
    "civicgrid.ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "civicgrid.access.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
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
    for name in ("leaflet",)
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
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

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
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

NINJA_PAGINATION_CLASS = "civicgrid.lib.api.Pagination"
NINJA_PAGINATION_PER_PAGE = PAGE_SIZE
NINJA_PAGINATION_MAX_LIMIT = env_int("API_MAX_LIMIT", 500, minimum=1)

# Cases: working time for deadlines that count working hours (Mon–Fri).
WORKING_HOURS = env_str("WORKING_HOURS", "09:00-12:00,13:30-17:30")
# How long an overdue case stays at street level before it climbs to the district.
ESCALATION_STEP_HOURS = env_int("ESCALATION_STEP_HOURS", 24, minimum=1)
NOTIFICATION_CHANNELS = env_list("NOTIFICATION_CHANNELS", ["civicgrid.cases.notify.LogChannel"])
PHOTO_MAX_BYTES = env_int("PHOTO_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
DUPLICATE_RADIUS_METRES = env_int("DUPLICATE_RADIUS_METRES", 50, minimum=1)
# Map tiles, e.g. https://tile.example/{z}/{x}/{y}.png; none: a plain background.
MAP_TILE_URL = env_str("MAP_TILE_URL", "")

# Care devices: the broker `civicgrid run` ingests from (e.g. mqtt://127.0.0.1:1883;
# empty: OsmAnd HTTP only), when a silent device counts as offline, how long an
# unacknowledged alarm waits before it climbs to the next responder, and the
# low-battery hysteresis (raised below the first, cleared at or above the second).
MQTT_URL = env_str("MQTT_URL", "")
CARE_OFFLINE_MINUTES = env_int("CARE_OFFLINE_MINUTES", 30, minimum=1)
ALARM_LADDER_WAIT_SECONDS = env_int("ALARM_LADDER_WAIT_SECONDS", 120, minimum=5)
CARE_LOW_BATTERY_PERCENT = env_int("CARE_LOW_BATTERY_PERCENT", 20, minimum=1)
CARE_BATTERY_OK_PERCENT = env_int("CARE_BATTERY_OK_PERCENT", 30, minimum=1)
CARE_REMINDER_GRACE_MINUTES = env_int("CARE_REMINDER_GRACE_MINUTES", 120, minimum=1)
# The case category an alarm becomes when a responder turns it into a case.
CARE_CASE_CATEGORY = env_str("CARE_CASE_CATEGORY", "elderly_care")
