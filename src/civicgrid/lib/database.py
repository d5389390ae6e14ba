"""Connections beside Django's own."""

from django.db import connections


def psycopg_params(alias: str = "default") -> dict:
    """Keyword arguments for ``psycopg.connect`` to the database Django uses
    (the test database under pytest), for a connection Django must not manage:
    a LISTEN that outlives requests, a benchmark's raw baseline."""
    settings = connections[alias].settings_dict
    params = {
        "dbname": settings["NAME"],
        "user": settings["USER"],
        "password": settings["PASSWORD"],
        "host": settings["HOST"],
        "port": settings["PORT"],
    }
    return {key: value for key, value in params.items() if value}
