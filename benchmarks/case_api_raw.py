"""The case API benchmark's baseline: a minimal ASGI app, no framework.

Served by the same uvicorn, with the same worker count, as the platform
(``uvicorn benchmarks.case_api_raw:app``). It answers the three requests the
benchmark sends, and nothing else:

- ``GET /open311/v2/requests.json`` and ``GET /api/v1/cases``: the SQL the
  platform ran for that very request (captured by the benchmark and handed
  over in the file named by ``CASE_API_RAW_CONFIG``), run through a psycopg
  connection pool, the rows shaped into the same JSON document the platform
  answers (the benchmark checks that both bodies are equal);
- ``POST /open311/v2/requests.json``: the rows the platform writes for a new
  case (the case and its timeline's first event) in one transaction, and the
  same answer.

The query string is not parsed beyond what the answer shows: the SQL is
fixed, which is what "the same SQL" means here. On SQLite (the tests) a
``sqlite3`` connection per thread stands in for the pool.
"""

import asyncio
import base64
import json
import os
import re
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode
from zoneinfo import ZoneInfo

# The public summary's text rules: plain functions, the same in both servers.
from civicgrid.lib.public_text import blank_personal_numbers, public_address, public_point

CONFIG = json.loads(Path(os.environ["CASE_API_RAW_CONFIG"]).read_text(encoding="utf-8"))
ZONE = ZoneInfo(CONFIG["time_zone"])
OPEN_STAGES = set(CONFIG["open_stages"])
_SELECT_ITEMS = re.compile(r"^\s*SELECT\s+(?:DISTINCT\s+)?(.*?)\s+FROM\s", re.S | re.I)


def _columns(sql: str) -> list[str]:
    """Names of a SELECT's columns: "table.column", or the alias."""
    found = _SELECT_ITEMS.match(sql)
    if found is None:
        return []
    items, depth, start, text = [], 0, 0, found.group(1)
    for i, char in enumerate(text + ","):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    names = []
    for item in items:
        column = re.match(r'"?(\w+)"?\."?(\w+)"?(\s+AS\s|$)', item, re.I)
        alias = re.search(r'\sAS\s+"?(\w+)"?$', item, re.I)
        names.append(f"{column[1]}.{column[2]}" if column else alias.group(1) if alias else item)
    return names


# The database -------------------------------------------------------------


class Postgres:
    def __init__(self, url: str):
        from psycopg_pool import AsyncConnectionPool

        self.pool = AsyncConnectionPool(url, min_size=2, max_size=8, open=False)

    async def open(self):
        await self.pool.open(wait=True)

    async def select(self, statements: list[str]) -> list[list[tuple]]:
        async with self.pool.connection() as conn:
            out = []
            for sql in statements:
                cursor = await conn.execute(sql.replace("%", "%%"))
                out.append(await cursor.fetchall() if cursor.description else [])
            return out

    async def write(self, steps) -> object:
        """``steps(execute)`` inside one transaction; ``execute(sql, params)``
        returns the rows."""
        async with self.pool.connection() as conn, conn.transaction():

            async def execute(sql, params):
                cursor = await conn.execute(sql, params)
                return await cursor.fetchall() if cursor.description else []

            return await steps(execute)


class Sqlite:
    """One connection per thread; queries run off the event loop."""

    def __init__(self, path: str):
        self.path = path
        self.local = threading.local()

    async def open(self):
        pass

    def _conn(self):
        if getattr(self.local, "conn", None) is None:
            self.local.conn = sqlite3.connect(self.path, timeout=20, isolation_level=None)
        return self.local.conn

    async def select(self, statements):
        def run():
            conn = self._conn()
            return [conn.execute(sql).fetchall() for sql in statements]

        return await asyncio.to_thread(run)

    async def write(self, steps):
        def run():
            conn = self._conn()
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = asyncio.run(steps(_sync_execute(conn)))
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

        return await asyncio.to_thread(run)


def _sync_execute(conn):
    async def execute(sql, params):
        return conn.execute(sql.replace("%s", "?"), params).fetchall()

    return execute


def _database():
    url = CONFIG["database"]
    if url.startswith("sqlite"):
        return Sqlite(CONFIG["sqlite_path"])
    return Postgres(url)


DB = _database()
_OPENING = asyncio.Lock()


# Shaping rows into the platform's answers ------------------------------------


def w3(value) -> str | None:
    """Open311's datetimes: local time with its offset, to the second."""
    if value is None:
        return None
    return _aware(value).astimezone(ZONE).isoformat(timespec="seconds")


def _aware(value):
    if isinstance(value, str):  # SQLite
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def ninja_datetime(value) -> str | None:
    """django-ninja's JSON datetime: ISO 8601, milliseconds, UTC as Z."""
    if value is None:
        return None
    text = _aware(value).astimezone(UTC).isoformat()
    if _aware(value).microsecond:
        text = text[:23] + text[26:]
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def _rows(sql: str, rows: list[tuple]) -> list[dict]:
    names = _columns(sql)
    return [dict(zip(names, row, strict=True)) for row in rows]


def open311_requests(statements, results, scope) -> bytes:
    """The last four statements: cases, their dispatches, last event times and
    photos; each case shaped as its public summary (civicgrid.cases.publication)."""
    cases, dispatches, events, photos = (
        _rows(sql, rows) for sql, rows in zip(statements[-4:], results[-4:], strict=True)
    )
    agencies: dict = {}
    for row in dispatches:
        agencies.setdefault(row["cases_dispatch.case_id"], []).append(
            row["registry_organisation.name"]
        )
    updated = {row["cases_caseevent.case_id"]: row["last"] for row in events}
    pictures: dict = {}
    for row in photos:
        pictures.setdefault(row["cases_photo.case_id"], row["cases_photo.key"])
    labels = CONFIG["stage_labels"]
    base = f"http://{_host(scope)}/open311/v2/media/"
    out = []
    for c in cases:
        pk, stage = c["cases_case.id"], c["cases_case.stage"]
        is_open = stage in OPEN_STAGES
        photo = pictures.get(pk)
        text = blank_personal_numbers(c["cases_case.public_description"])
        lat, lon = public_point(c["cases_case.lat"], c["cases_case.lon"])
        out.append(
            {
                "service_request_id": c["cases_case.number"],
                "status": "open" if is_open else "closed",
                "status_notes": labels[stage],
                "service_name": c["cases_category.name"],
                "service_code": c["cases_category.code"],
                "description": text,
                "agency_responsible": ", ".join(agencies.get(pk, ())),
                "service_notice": "Past its deadline."
                if c["cases_case.overdue"] and is_open
                else "",
                "requested_datetime": w3(c["cases_case.reported_at"]),
                "updated_datetime": w3(updated.get(pk) or c["cases_case.reported_at"]),
                "expected_datetime": w3(c["cases_case.due_at"]),
                "address": public_address(c["cases_case.address"]),
                "address_id": None,
                "zipcode": None,
                "lat": lat,
                "long": lon,
                "media_url": (
                    c["cases_case.media_url"] or (f"{base}{_uuid(photo)}.jpg" if photo else None)
                )
                if text
                else None,
            }
        )
    return json.dumps(out, ensure_ascii=False).encode()


def _uuid(value) -> str:
    text = str(value)
    if len(text) == 32:  # SQLite stores a UUID as 32 hex digits
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
    return text


def _host(scope) -> str:
    for name, value in scope["headers"]:
        if name == b"host":
            return value.decode("latin-1")
    return "localhost"


def api_cases(statements, results, scope) -> bytes:
    """The last statement is the page (``limit`` + 1 rows, to know whether
    another page follows); earlier ones (token, filter look-ups) only run."""
    params = dict(parse_qsl(scope["query_string"].decode()))
    limit = int(params.get("limit", CONFIG["page_size"]))
    found = _rows(statements[-1], results[-1])
    labels = CONFIG["stage_labels"]
    items = [
        {
            "id": c["cases_case.id"],
            "number": c["cases_case.number"],
            "channel": c["cases_case.channel"],
            "category": c["cases_category.code"],
            "category_name": c["cases_category.name"],
            "priority": c["cases_case.priority"],
            "stage": c["cases_case.stage"],
            "stage_label": labels[c["cases_case.stage"]],
            "description": c["cases_case.description"],
            "place_code": c["cases_case.place_code"],
            "place_name": c["registry_place.name"],
            "lat": c["cases_case.lat"],
            "lon": c["cases_case.lon"],
            "address": c["cases_case.address"],
            "anonymous": bool(c["cases_case.anonymous"]),
            # The benchmark's caller is a superuser: an anonymous reporter shows.
            "reporter_name": c["cases_case.reporter_name"],
            "reporter_phone_masked": c["cases_case.reporter_phone_masked"],
            "reported_at": ninja_datetime(c["cases_case.reported_at"]),
            "due_at": ninja_datetime(c["cases_case.due_at"]),
            "closed_at": ninja_datetime(c["cases_case.closed_at"]),
            "overdue": bool(c["cases_case.overdue"]),
            "escalation_level": c["cases_case.escalation_level"],
            "reopen_count": c["cases_case.reopen_count"],
            "rating": c["cases_case.rating"],
            "merged_into_id": c["cases_case.merged_into_id"],
        }
        for c in found[:limit]
    ]
    cursor = next_url = None
    if len(found) > limit:
        last = found[limit - 1]
        position = f"{_aware(last['cases_case.reported_at']).isoformat()}|{last['cases_case.id']}"
        cursor = base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")
        next_url = scope["path"] + "?" + urlencode({**params, "cursor": cursor})
    return json.dumps({"items": items, "next": next_url, "next_cursor": cursor}).encode()


SHAPES = {"open311_requests": open311_requests, "api_cases": api_cases}


# Writing a case -------------------------------------------------------------


async def open311_post(body: bytes, scope) -> tuple[int, bytes]:
    form = dict(parse_qsl(body.decode()))
    post = CONFIG["post"]
    now = datetime.now(UTC)

    async def steps(execute):
        values = {
            **post["case"],
            "description": form.get("description", ""),
            "lat": float(form["lat"]),
            "lon": float(form["long"]),
            "intake_key": f"open311:c{post['client_id']}:{form.get('client_request_id', '')}",
            "number": f"T{now.timestamp():.6f}"[:20],
            "reported_at": now,
            "due_at": now + timedelta(hours=post["close_hours"]),
        }
        columns = ", ".join(f'"{name}"' for name in values)
        marks = ", ".join(["%s"] * len(values))
        sql = f'INSERT INTO "cases_case" ({columns}) VALUES ({marks}) RETURNING "id"'  # noqa: S608
        (case_id,), *_ = await execute(sql, list(values.values()))
        number = f"{now.astimezone(ZONE):%Y%m%d}{case_id:06d}"
        await execute('UPDATE "cases_case" SET "number" = %s WHERE "id" = %s', [number, case_id])
        await execute(
            'INSERT INTO "cases_caseevent" ("case_id", "at", "action", "from_stage", "to_stage",'
            ' "note") VALUES (%s, %s, %s, %s, %s, %s)',
            [case_id, now, "report", "", "reported", values["description"][:500]],
        )
        return number

    number = await DB.write(steps)
    row = {
        "service_request_id": number,
        "service_notice": f"Received as case {number}; the community reviews it next.",
        "account_id": None,
    }
    return 201, json.dumps([row], ensure_ascii=False).encode()


# ASGI -----------------------------------------------------------------------


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    async with _OPENING:
        if not getattr(DB, "opened", False):
            await DB.open()
            DB.opened = True
    route = CONFIG["routes"].get(scope["path"])
    if scope["method"] == "POST" and scope["path"] == "/open311/v2/requests.json":
        status, payload = await open311_post(body, scope)
    elif scope["method"] == "GET" and route is not None:
        results = await DB.select(route["sql"])
        status, payload = 200, SHAPES[route["shape"]](route["sql"], results, scope)
    else:
        status, payload = 404, b'{"detail": "not here"}'
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


async def _lifespan(receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
