"""The SQLite counterpart of ``OwnPostgres`` for the fault tests: each
"database" is a file in a folder of the test's own, the template a copy of
the suite's test database (sqlite3's backup API) emptied of devices and
their rows. ``connect`` answers the same SQL with psycopg's ``%s`` marks."""

import shutil
import sqlite3
import tempfile
from pathlib import Path

from django.db import connection

EMPTIED = ("care_deadletter", "care_alarmevent", "care_alarm", "care_deviceevent", "care_device")


class _Connection:
    def __init__(self, path: Path):
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)

    def execute(self, sql: str, params=()):
        return self.db.execute(sql.replace("%s", "?"), params)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.db.close()


class SqliteFiles:
    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="civicgrid-faults-"))

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.sqlite3"

    def url(self, name: str) -> str:
        return f"sqlite:///{self.path(name)}"

    def connect(self, name: str) -> _Connection:
        return _Connection(self.path(name))

    def create_from_suite(self, name: str) -> None:
        source = sqlite3.connect(connection.settings_dict["NAME"])
        target = sqlite3.connect(self.path(name))
        try:
            source.backup(target)
            for table in EMPTIED:
                target.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
            target.commit()
        finally:
            source.close()
            target.close()

    def clone(self, template: str, name: str) -> None:
        shutil.copyfile(self.path(template), self.path(name))

    def __enter__(self) -> "SqliteFiles":
        return self

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
