"""The set-wise SQL of the ingest pipeline: lock a batch's devices, insert its
events, write the devices' new state, each in one statement.

On PostgreSQL the rows travel by ``COPY`` into session-local temporary
tables (emptied at each commit) and one statement moves them on: the
driver's quoting of thousands of parameters, or of arrays, cost three times
what the database spends on the rows. A few rows (an SOS on its own) go as
plain parameters instead, sparing COPY's round trip and the truncation of
the staging tables at commit. SQLite runs in process, so plain statements
cost no round trips there. (Temporary tables need a session per
process, not a transaction-mode pooler between ingest and the database.)
"""

import json
import weakref
from datetime import UTC

from django.db import connection, transaction
from django.utils.dateparse import parse_datetime

from civicgrid.care import fence_index
from civicgrid.care.models import Device, DeviceEvent
from civicgrid.registry.models import Resident

STATE_COLUMNS = (
    "id", "ident", "resident_id", "place_code", "last_seen_at", "last_at", "lat", "lon",
    "battery", "low_battery", "fence_state",
)  # fmt: skip
EVENT_COLUMNS = (
    "device_id", "msg_id", "type", "at", "received_at", "lat", "lon", "battery", "accuracy",
    "raw",
)  # fmt: skip
_STAGING = {
    "care_ingest_events": "device_id bigint, msg_id text, type text, at timestamptz, "
    "received_at timestamptz, lat float8, lon float8, battery int, accuracy float8, raw text",
    "care_ingest_devices": "id bigint, last_seen_at timestamptz, last_at timestamptz, "
    "lat float8, lon float8, battery int, low_battery bool, fence_state text",
}
# The driver connections that have the staging tables.
_staged: weakref.WeakSet = weakref.WeakSet()
_CHUNK = 2000  # rows per INSERT: 20,000 parameters, under SQLite's 32,766
# Up to this many rows (an SOS, a small batch) plain parameters are cheaper
# than COPY's extra round trip and the staging tables' truncation at commit.
SMALL = 32


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _datetime(value):
    if isinstance(value, str):  # SQLite hands back text, in UTC
        value = parse_datetime(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _staging(cursor) -> None:
    raw = connection.connection
    if raw in _staged:
        return
    for table, columns in _STAGING.items():
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} ({columns}) ON COMMIT DELETE ROWS")
    # Creating a table is transactional: it exists for sure only once committed.
    transaction.on_commit(lambda: _staged.add(raw))


def _copy(cursor, table: str, rows) -> None:
    _staging(cursor)
    with cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:  # noqa: S608
        for row in rows:
            copy.write_row(row)


def lock_devices(idents: list[str]) -> tuple[list[tuple], tuple | None]:
    """The active devices with these idents, locked in id order (two
    transactions taking overlapping sets then queue instead of deadlocking):
    rows in ``STATE_COLUMNS`` order plus the bound resident's name, with
    fence_state as a dict; and the fence table's fingerprint read in the
    same round trip (None when no device matched)."""
    columns = ", ".join(f"d.{c}" for c in STATE_COLUMNS)
    head = (
        f"SELECT {columns}, r.name, f.* FROM {_table(Device)} AS d "  # noqa: S608
        f"LEFT JOIN {_table(Resident)} AS r ON r.id = d.resident_id "
        f"CROSS JOIN ({fence_index.version_sql()}) AS f "
    )
    with connection.cursor() as cursor:
        if _pg():
            cursor.execute(
                head + "WHERE d.ident = ANY(%s) AND d.active ORDER BY d.id FOR NO KEY UPDATE OF d",
                [list(idents)],
            )
        else:
            marks = ", ".join(["%s"] * len(idents))
            cursor.execute(
                head + f"WHERE d.ident IN ({marks}) AND d.active ORDER BY d.id", list(idents)
            )
        rows = cursor.fetchall()
    out = []
    for row in rows:
        state = list(row[: len(STATE_COLUMNS) + 1])
        state[4], state[5] = _datetime(state[4]), _datetime(state[5])
        state[9] = bool(state[9])
        fences = state[10]
        state[10] = json.loads(fences) if isinstance(fences, str) else dict(fences or {})
        out.append(tuple(state))
    version = fence_index.fingerprint(rows[0][len(STATE_COLUMNS) + 1 :]) if rows else None
    return out, version


def insert_events(rows: list[list]) -> dict[tuple[int, str], int]:
    """Insert event rows (``EVENT_COLUMNS`` order, raw as JSON text); a row
    already stored (a redelivery) is skipped by the unique key and not
    returned. Returns {(device id, msg_id): event id} of the new rows."""
    columns = ", ".join(EVENT_COLUMNS)
    conflict = " ON CONFLICT (device_id, msg_id) DO NOTHING RETURNING id, device_id, msg_id"
    created = {}
    with connection.cursor() as cursor:
        if _pg() and len(rows) > SMALL:
            _copy(cursor, "care_ingest_events", rows)
            # Emptied as it is read: inside a longer transaction (no commit
            # between batches) the next batch must not see these rows.
            cursor.execute(
                "WITH staged AS (DELETE FROM care_ingest_events RETURNING *) "  # noqa: S608
                f"INSERT INTO {_table(DeviceEvent)} ({columns}) "
                f"SELECT {', '.join(EVENT_COLUMNS[:-1])}, raw::jsonb FROM staged" + conflict
            )
            created.update(((d, m), pk) for pk, d, m in cursor.fetchall())
            return created
        adapt = connection.ops.adapt_datetimefield_value
        raw = "%s::jsonb" if _pg() else "%s"
        row_marks = "(" + ", ".join(["%s"] * (len(EVENT_COLUMNS) - 1) + [raw]) + ")"
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            params = []
            for row in chunk:
                params += row[:3] + [adapt(row[3]), adapt(row[4])] + row[5:]
            cursor.execute(
                f"INSERT INTO {_table(DeviceEvent)} ({columns}) VALUES "  # noqa: S608
                + ", ".join([row_marks] * len(chunk))
                + conflict,
                params,
            )
            created.update(((d, m), pk) for pk, d, m in cursor.fetchall())
    return created


def update_devices(rows: list[list]) -> None:
    """Write devices' state: rows of (id, last_seen_at, last_at, lat, lon,
    battery, low_battery, fence_state dict); a message also clears offline."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if _pg() and len(rows) <= SMALL:
            first = (
                "(%s::bigint, %s::timestamptz, %s::timestamptz, %s::float8, %s::float8, "
                "%s::int, %s::bool, %s::jsonb)"
            )
            values = ", ".join([first] + ["(%s, %s, %s, %s, %s, %s, %s, %s)"] * (len(rows) - 1))
            cursor.execute(
                f"UPDATE {_table(Device)} AS d SET last_seen_at = v.last_seen_at, "  # noqa: S608
                "offline = FALSE, last_at = v.last_at, lat = v.lat, lon = v.lon, "
                "battery = v.battery, low_battery = v.low_battery, fence_state = v.fence_state "
                f"FROM (VALUES {values}) AS v(id, last_seen_at, last_at, lat, lon, battery, "
                "low_battery, fence_state) WHERE d.id = v.id",
                [v for row in rows for v in row[:7] + [json.dumps(row[7])]],
            )
            return
        if _pg():
            _copy(cursor, "care_ingest_devices", (row[:7] + [json.dumps(row[7])] for row in rows))
            cursor.execute(
                "WITH staged AS (DELETE FROM care_ingest_devices RETURNING *) "  # noqa: S608
                f"UPDATE {_table(Device)} AS d SET last_seen_at = v.last_seen_at, "
                "offline = FALSE, last_at = v.last_at, lat = v.lat, lon = v.lon, "
                "battery = v.battery, low_battery = v.low_battery, "
                "fence_state = v.fence_state::jsonb FROM staged AS v WHERE d.id = v.id"
            )
            return
        adapt = connection.ops.adapt_datetimefield_value
        cursor.executemany(
            f"UPDATE {_table(Device)} SET last_seen_at = %s, offline = 0, last_at = %s, "  # noqa: S608
            "lat = %s, lon = %s, battery = %s, low_battery = %s, fence_state = %s WHERE id = %s",
            [
                [adapt(seen), adapt(at), lat, lon, battery, low, json.dumps(state), pk]
                for pk, seen, at, lat, lon, battery, low, state in rows
            ],
        )
