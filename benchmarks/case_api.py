"""Case API reads and writes, server against server.

Platform: the ASGI app ``civicgrid run`` serves (``civicgrid.asgi:application``:
middleware, URL resolving, django-ninja or the Open311 views, serialisation)
under uvicorn, for
- ``GET /api/v1/cases`` with filters (place, stage, date range), 50 a page;
- ``GET /open311/v2/requests.json`` with service_code and status filters
  (up to 1,000 requests a page);
- ``POST /open311/v2/requests.json`` (a new case, committed).
Baseline: ``benchmarks/case_api_raw.py``, a minimal ASGI app (no framework)
under the same uvicorn with the same worker count: for the reads, the SQL the
platform ran for that request (captured on a warm-up call) through a psycopg
pool, rows shaped into the same JSON (the bodies are compared: "identical"
in the details); for the write, the case row and its first timeline event
inserted in one transaction, and the same answer.
Load: ``CLIENTS`` keep-alive HTTP clients (threads of this process, one
connection each) in alternating bursts (platform, baseline, platform, ...)
so that load from elsewhere on the machine falls on both sides alike.
Goals (issue 7): reads >= 0.5x the baseline's throughput, writes >= 0.7x,
p99 <= 2x the baseline's.
"""

import json
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from benchmarks.harness import Result, Say, loadavg, percentile
from benchmarks.http_load import Load, Server, drive
from civicgrid.access.client_keys import client_key_issue
from civicgrid.access.models import ApiToken, ClientKey
from civicgrid.access.services import token_issue
from civicgrid.cases.deadlines import deadline_for
from civicgrid.cases.models import OPEN_STAGES, Case, Category, Stage
from civicgrid.cases.tallies import case_facts, tally_change
from civicgrid.registry.models import Place

NAME = "case_api"
REPO = Path(__file__).resolve().parents[1]
HOST = "localhost"
# As ``civicgrid run`` serves: one uvicorn process.
WORKERS = 1
CLIENTS = 8
# Alternating bursts: rounds per side and seconds a burst.
ROUNDS, SECONDS = 3, 5.0


def _database_url() -> str:
    """The database this process uses (the test database under pytest)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _capture(request) -> list[str]:
    """The SELECTs the platform runs for ``request``, called in process."""
    method, path, body, headers = request
    client = Client(HTTP_HOST=HOST)
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        response = client.generic(method, path, body or b"", **extra)
    assert response.status_code == 200, response.content[:300]
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
    ]


def _post_row(category: Category, place: Place, client_row: ClientKey) -> dict:
    """The columns of a posted case the request does not vary, as the platform
    writes them (defaults included), for the baseline's INSERT."""
    given = {
        "channel": "open311",
        "category_id": category.pk,
        "priority": category.default_priority,
        "stage": Stage.REPORTED.value,
        "answers": "{}",
        "place_id": place.pk,
        "place_code": place.code,
        "client_id": client_row.pk,
    }
    skip = {"id", "number", "description", "lat", "lon", "intake_key", "reported_at", "due_at"}
    row = {}
    for f in Case._meta.concrete_fields:
        if f.attname in skip:
            continue
        value = given[f.attname] if f.attname in given else f.get_default()
        row[f.column] = json.dumps(value) if isinstance(value, dict | list) else value
    return row


def run(*, quick: bool = False, say: Say = print) -> list[Result]:
    if connection.in_atomic_block:
        raise RuntimeError("case_api serves HTTP from other processes: its data must be committed")
    user, _created = get_user_model().objects.get_or_create(
        username="bench-api", defaults={"is_superuser": True, "is_staff": True}
    )
    token, key = token_issue(actor=user, name="bench")
    client_row, api_key = client_key_issue(name=f"bench-{timezone.now():%H%M%S%f}")
    # Open311 lists only published cases: read a public category's.
    category = Category.objects.filter(active=True, public=True).order_by("code").first()
    place = Place.objects.filter(level="grid", centroid_lat__isnull=False).order_by("code").first()
    if category is None or place is None:
        raise RuntimeError("no categories or places: run civicgrid demo-data first")
    district = place.code[:6]
    start = (timezone.localdate() - timedelta(days=90)).isoformat()
    auth = {"Authorization": f"Bearer {key}", "Host": HOST}
    reads = {
        "/api/v1/cases list": (
            "/api/v1/cases",
            {"place": district, "stage": "closed", "date_from": start, "limit": 50},
            auth,
            "api_cases",
        ),
        "Open311 GET requests.json": (
            "/open311/v2/requests.json",
            {"service_code": category.code, "status": "closed", "start_date": start + "T00:00:00Z"},
            {"Host": HOST},
            "open311_requests",
        ),
    }
    routes, requests = {}, {}
    for name, (path, query, headers, shape) in reads.items():
        request = ("GET", f"{path}?{urlencode(query)}", None, headers)
        _capture(request)  # warm-up: caches, first-use costs
        routes[path] = {"sql": _capture(request), "shape": shape}
        requests[name] = request
    with translation.override(settings.LANGUAGE_CODE):
        labels = {value: str(label) for value, label in Stage.choices}
    config = {
        "database": _database_url(),
        "sqlite_path": connection.settings_dict["NAME"] if connection.vendor == "sqlite" else "",
        "time_zone": settings.TIME_ZONE,
        "open_stages": [str(s) for s in OPEN_STAGES],
        "stage_labels": labels,
        "page_size": settings.NINJA_PAGINATION_PER_PAGE,
        "routes": routes,
        "post": {
            "client_id": client_row.pk,
            "case": _post_row(category, place, client_row),
            "close_hours": deadline_for(category, category.default_priority).close_hours,
        },
    }
    folder = tempfile.TemporaryDirectory(prefix="case-api-")
    config_path = Path(folder.name) / "raw.json"
    config_path.write_text(json.dumps(config, default=str))
    env = {
        "DATABASE_URL": config["database"],
        "DEBUG": "false",
        "ALLOWED_HOSTS": f"{HOST},127.0.0.1",
        "CASE_API_RAW_CONFIG": str(config_path),
    }
    platform = Server("civicgrid.asgi:application", env=env, workers=WORKERS, cwd=str(REPO))
    baseline = Server("benchmarks.case_api_raw:app", env=env, workers=WORKERS, cwd=str(REPO))
    sides = {"platform": platform, "baseline": baseline}
    try:
        for server in sides.values():
            server.wait_ready("/open311/v2/discovery.json")
        results = []
        for name, request in requests.items():
            bodies = {side: _checked(server, request) for side, server in sides.items()}
            identical = json.loads(bodies["platform"]) == json.loads(bodies["baseline"])
            say(
                f"case api {name}: {len(bodies['platform'])} bytes,"
                f" {len(routes[request[1].split('?')[0]]['sql'])} queries, identical: {identical}"
            )
            same = {side: (lambda _n, request=request: request) for side in sides}
            loads = _measure(sides, same, quick=quick)
            results.append(
                _result(f"{name} (reads)", loads, 0.5, bodies["platform"], identical=identical)
            )

        def post(side):
            def make(n):
                form = {
                    "api_key": api_key,
                    "service_code": category.code,
                    "lat": place.centroid_lat,
                    "long": place.centroid_lon,
                    "description": "路灯不亮",
                    "client_request_id": f"bench-{side}-{n}-{timezone.now().timestamp()}",
                }
                headers = {"Host": HOST, "Content-Type": "application/x-www-form-urlencoded"}
                return ("POST", "/open311/v2/requests.json", urlencode(form).encode(), headers)

            return make

        loads = _measure(sides, {side: post(side) for side in sides}, quick=quick, expect=201)
        results.append(_result("Open311 POST requests.json (writes)", loads, 0.7, b""))
        return results
    finally:
        for server in sides.values():
            server.stop()
        folder.cleanup()
        _remove_posted(client_row)
        ClientKey.objects.filter(pk=client_row.pk).delete()
        ApiToken.objects.filter(pk=token.pk).delete()


@transaction.atomic
def _remove_posted(client_row: ClientKey) -> None:
    """Delete the posted cases, taking the platform's out of the figures'
    roll-ups first (the baseline's never went in), so that later runs of the
    figures benchmark still find the roll-ups equal to the base tables."""
    posted = Case.objects.filter(client=client_row)
    for case in posted.filter(intake_key__contains=":bench-platform-"):
        tally_change(case_facts(case), None)
    posted.delete()


def _checked(server: Server, request) -> bytes:
    status, body = server.request(request)
    if status != 200:
        raise RuntimeError(f"{request[1]}: {status} {body[:300]!r}\n{server.log_tail()}")
    return body


def _measure(sides: dict, factories: dict, *, quick: bool, expect: int = 200) -> dict[str, Load]:
    """Alternating bursts of each side's requests (``factories``: side ->
    request number -> request)."""
    rounds, seconds, clients, cap = (1, 0.3, 2, 20) if quick else (ROUNDS, SECONDS, CLIENTS, 10**6)
    loads = {side: Load() for side in sides}
    for side, server in sides.items():  # warm-up: connections, pools, caches
        drive(server.port, factories[side], clients=clients, seconds=0.2, max_requests=2 * clients)
    for _round in range(rounds):
        for side, server in sides.items():
            burst = drive(
                server.port,
                factories[side],
                clients=clients,
                seconds=seconds,
                max_requests=cap,
                expect=expect,
            )
            if burst.errors:
                raise RuntimeError(
                    f"{side}: {len(burst.errors)} errors, first: {burst.errors[0]}\n"
                    + server.log_tail()
                )
            loads[side].add(burst)
    return loads


def _result(hot_path, loads, goal, body: bytes, identical: bool | None = None) -> Result:
    platform, baseline = loads["platform"], loads["baseline"]
    p99 = {side: percentile(load.latencies, 99) * 1000 for side, load in loads.items()}
    details = {
        "requests": {side: len(load.latencies) for side, load in loads.items()},
        "clients": CLIENTS,
        "workers": WORKERS,
        "bytes": len(body),
        "platform_p50_ms": percentile(platform.latencies, 50) * 1000,
        "baseline_p50_ms": percentile(baseline.latencies, 50) * 1000,
        "platform_p99_ms": p99["platform"],
        "baseline_p99_ms": p99["baseline"],
        "p99_ratio": p99["platform"] / p99["baseline"],
        "p99_goal": "<= 2",
        "p99_met": p99["platform"] / p99["baseline"] <= 2,
        "load_at_end": loadavg(),
    }
    if identical is not None:
        details["identical"] = identical
    return Result(
        benchmark=NAME,
        hot_path=f"case API: {hot_path}",
        unit="req/s",
        platform=platform.throughput,
        baseline=baseline.throughput,
        baseline_name="minimal ASGI app, same SQL via psycopg pool, same uvicorn and workers",
        goal_op=">=",
        goal=goal,
        details=details,
    )
