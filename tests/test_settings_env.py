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


def _start(env_extra):
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'civicgrid.settings'; "
        "django.setup()"
    )
    import os

    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "CIVICGRID_DATA_KEY"}}
    env.update(env_extra)
    return subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )


def test_production_refuses_default_secrets():
    result = _start({"CIVICGRID_ENV": "production"})
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
    result = _start({"CIVICGRID_ENV": "production", "SECRET_KEY": "s" * 50})
    assert result.returncode != 0 and "CIVICGRID_DATA_KEY must be set" in result.stderr
    result = _start(
        {
            "CIVICGRID_ENV": "production",
            "SECRET_KEY": "s" * 50,
            "CIVICGRID_DATA_KEY": "k" * 40,
            "ALLOWED_HOSTS": "example.org",
        }
    )
    assert result.returncode == 0, result.stderr
