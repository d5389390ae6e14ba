"""`civicgrid run` says what a first start is doing: how many migrations it
applies and each as it goes; an up-to-date database starts silently."""

import io
import subprocess
import sys

from civicgrid.ops.management.commands.run import migrate
from tests.processes import sqlite_env

CODE = (
    "import os, sys, django; os.environ['DJANGO_SETTINGS_MODULE'] = 'civicgrid.settings'; "
    "django.setup(); from civicgrid.ops.management.commands.run import migrate; "
    "from django.core.management.base import OutputWrapper; out = OutputWrapper(sys.stdout); "
    "migrate(out); migrate(out)"
)


def test_a_first_start_shows_its_migrations(tmp_path):
    done = subprocess.run(  # noqa: S603 (our own interpreter and code)
        [sys.executable, "-c", CODE], env=sqlite_env(tmp_path), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("applying ") and lines[0].endswith(" database migrations…")
    assert sum(line.strip().startswith("Applying ") for line in lines) > 10
    assert done.stdout.count("applying ") == 1  # the second call had nothing to do


def test_an_up_to_date_database_starts_silently(db):
    out = io.StringIO()
    assert migrate(out) == 0 and out.getvalue() == ""
