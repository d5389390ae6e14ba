"""A PostgreSQL cluster of the test's own (initdb and pg_ctl from Debian's
/usr/lib/postgresql/*/bin, on a free port, as the postgres user when the
test runs as root), for fault tests that stop and start the database. Its
databases get the schema of the suite's test database (pg_dump), so no
migration runs."""

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from tests.care.mqtt import free_port


def _bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        if os.environ.get("CI"):
            pytest.fail("the fault tests need PostgreSQL's initdb (postgresql package)")
        pytest.skip("no initdb")
    return Path(found[-1]).parent


class OwnPostgres:
    """Use as a context manager: the cluster is stopped and its folder
    removed also when the test fails."""

    def __init__(self):
        self.bin = _bin()
        self.port = free_port()
        # Outside pytest's tmp_path: the postgres user must reach it.
        self.folder = Path(tempfile.mkdtemp(prefix="civicgrid-pg-"))
        self.data = self.folder / "data"
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")

    def _run(self, *args, check=True, timeout=60) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(  # noqa: S603
            command, check=check, capture_output=True, text=True, timeout=timeout
        )

    def init(self) -> "OwnPostgres":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-N",
                  "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
        return self

    def start(self) -> None:
        # No fsync: the tests kill processes, not the machine, and a killed
        # PostgreSQL finds every commit in the WAL the kernel still holds.
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "postgres.log"), "-w", "-t", "30", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def connect(self, name: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(name), autocommit=True)

    def create_from_suite(self, name: str) -> None:
        """A database with the schema of the suite's own test database."""
        settings = connection.settings_dict
        dumped = subprocess.run(  # noqa: S603
            [str(self.bin / "pg_dump"), "--schema-only", "--no-owner", "--no-privileges",
             "-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432),
             "-U", settings["USER"] or "postgres", settings["NAME"]],
            capture_output=True, text=True, timeout=60,
            env=os.environ | ({"PGPASSWORD": settings["PASSWORD"]} if settings["PASSWORD"] else {}),
        )  # fmt: skip
        assert dumped.returncode == 0, dumped.stderr
        dump = dumped.stdout
        with self.connect() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        loaded = subprocess.run(  # noqa: S603
            [str(self.bin / "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(self.port), "-U", "postgres", "-d", name],
            input=dump, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert loaded.returncode == 0, loaded.stderr

    def clone(self, template: str, name: str) -> None:
        with self.connect() as admin:
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    def log(self) -> str:
        path = self.folder / "postgres.log"
        try:
            return path.read_text()[-3000:]
        except OSError:
            return ""

    def __enter__(self) -> "OwnPostgres":
        self.init().start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
