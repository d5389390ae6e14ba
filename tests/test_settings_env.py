import subprocess
import sys

import pytest

from civicgrid.lib.env import EnvError, env_bool, env_choice, env_int, env_list


def test_strict_helpers(monkeypatch, tmp_path):
    monkeypatch.setenv("X_BOOL", "yes")
    assert env_bool("X_BOOL", False) is True
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(EnvError, match="X_BOOL"):
        env_bool("X_BOOL", False)
    monkeypatch.setenv("X_INT", "12x")
    with pytest.raises(EnvError, match="X_INT"):
        env_int("X_INT", 1)
    monkeypatch.setenv("X_INT", "0")
    with pytest.raises(EnvError, match="at least 1"):
        env_int("X_INT", 5, minimum=1)
    monkeypatch.setenv("X_LIST", "a, b,,c")
    assert env_list("X_LIST", []) == ["a", "b", "c"]
    with pytest.raises(EnvError):
        env_choice("X_LIST", "a", {"a"})
    secret = tmp_path / "secret"
    secret.write_text("from-file\n")
    monkeypatch.setenv("X_SECRET_FILE", str(secret))
    from civicgrid.lib.env import env_str

    assert env_str("X_SECRET", "default") == "from-file"


def _run(code: str, env_extra: dict, *args):
    import os

    # Not the secrets of this run, nor the browser tests' async switch (which
    # the deployment check rightly refuses).
    dropped = {"SECRET_KEY", "CIVICGRID_DATA_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(env_extra)
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True
    )


def _start(env_extra):
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'civicgrid.settings'; "
        "django.setup()"
    )
    return _run(code, env_extra)


# Made the way the README says (secrets.token_urlsafe(50)); fixed so the test is repeatable.
STRONG_SECRET = "x5Kq2vR9nT1mW8bY4cJ7hL0pD3sF6gA_e-ZuNwQiVoXrEtMyUk2BjHd9Ca1Ls4Gf7P"
STRONG_DATA_KEY = "Rj3nWq8Zt1Vb6Yp0Kc4Xm7Ls2Hd5Gf9Ne_Ua-Ti3Ow8Py1Qr6Sk0Mv4Jz7Bx2Ch5Dl"
PRODUCTION = {
    "CIVICGRID_ENV": "production",
    "SECRET_KEY": STRONG_SECRET,
    "CIVICGRID_DATA_KEY": STRONG_DATA_KEY,
    "ALLOWED_HOSTS": "civicgrid.example.org",
}


def test_production_refuses_default_secrets():
    result = _start({"CIVICGRID_ENV": "production"})
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    result = _start({"CIVICGRID_ENV": "production", "SECRET_KEY": STRONG_SECRET})
    assert result.returncode != 0 and "CIVICGRID_DATA_KEY must be set" in result.stderr
    result = _start(PRODUCTION)
    assert result.returncode == 0, result.stderr


def _settings(monkeypatch, env: dict) -> dict:
    """The settings module run afresh under ``env`` (in-process: quicker
    than a new interpreter for each case)."""
    import runpy

    from civicgrid import settings as settings_module

    for name in ("SECRET_KEY", "CIVICGRID_DATA_KEY", "TRUSTED_PROXIES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(settings_module.__file__)


def test_production_refuses_weak_keys(monkeypatch, tmp_path):
    """The .env.example values, short keys and predictable keys stop the start."""
    from django.core.exceptions import ImproperlyConfigured

    from civicgrid.lib.keys import weakness

    for weak in ("change-me", "change-me-too", "s" * 50, "k" * 40, "abcdefghij" * 6, "short"):
        assert weakness(weak), weak
    assert weakness(STRONG_SECRET) is None and weakness(STRONG_DATA_KEY) is None
    production = PRODUCTION | {"CIVICGRID_DATA_DIR": str(tmp_path)}
    cases = [
        ({"SECRET_KEY": "change-me"}, "SECRET_KEY is a published example"),
        ({"CIVICGRID_DATA_KEY": "change-me-too"}, "CIVICGRID_DATA_KEY is a published example"),
        ({"SECRET_KEY": "s" * 50}, "SECRET_KEY is too predictable"),
        ({"CIVICGRID_DATA_KEY": "k" * 40}, "CIVICGRID_DATA_KEY is shorter than 50"),
        ({"CIVICGRID_DATA_KEY": "0123456789abcdef" * 4}, "CIVICGRID_DATA_KEY is too predictable"),
    ]
    for change, message in cases:
        with pytest.raises(ImproperlyConfigured, match=message):
            _settings(monkeypatch, production | change)
    # An old key kept to decrypt what it once encrypted does not stop the start.
    rotated = production | {"CIVICGRID_DATA_KEY": f"{STRONG_DATA_KEY},an-old-short-key"}
    assert _settings(monkeypatch, rotated)["DATA_KEYS"][1] == "an-old-short-key"


def test_check_deploy_is_clean_in_production(tmp_path):
    """HSTS, the HTTPS redirect and secure cookies are on by default in
    production; Django's deployment checks find nothing to warn about."""
    code = "import sys; from civicgrid.__main__ import main; sys.argv = sys.argv[1:]; main()"
    env = PRODUCTION | {"CIVICGRID_DATA_DIR": str(tmp_path)}
    result = _run(code, env, "civicgrid", "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_proxy_header_is_configurable(monkeypatch, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    env = PRODUCTION | {
        "CIVICGRID_DATA_DIR": str(tmp_path),
        "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
        "TRUSTED_PROXIES": "10.0.0.5,192.0.2.0/24",
    }
    read = _settings(monkeypatch, env)
    assert read["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert read["TRUSTED_PROXIES"] == ["10.0.0.5", "192.0.2.0/24"]
    assert read["SECURE_SSL_REDIRECT"] and read["SESSION_COOKIE_SECURE"]
    assert _settings(monkeypatch, env | {"CIVICGRID_ENV": "test"})["SECURE_HSTS_SECONDS"] == 0
    with pytest.raises(ImproperlyConfigured, match="SECURE_PROXY_SSL_HEADER must be"):
        _settings(monkeypatch, env | {"SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO"})
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES"):
        _settings(monkeypatch, env | {"TRUSTED_PROXIES": "proxy.example"})
