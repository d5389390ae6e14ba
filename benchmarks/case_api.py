"""Case API reads and writes, in process.

Platform: Django's test ``Client`` through the whole stack (middleware, URL
resolving, django-ninja or the Open311 views, serialisation) for
- ``GET /api/v1/cases`` with filters (place, stage, date range), 50 a page;
- ``GET /open311/v2/requests.json`` with service_code and status filters;
- ``POST /open311/v2/requests.json`` (a new case, committed).
Baseline: the issue asks for a minimal ASGI app on a psycopg pool behind the
same server; this first slice measures in process instead (no HTTP server on
either side): the very SQL each read ran (captured on a warm-up call) replayed
on a raw cursor and its rows encoded with ``json.dumps``; for the write, one
``INSERT ... RETURNING`` of a full case row in autocommit (one commit, as the
platform's) and ``json.dumps`` of the answer.
Goals (issue 7): reads >= 0.5x the baseline's throughput, writes >= 0.7x, p99
<= 2x (the p99 ratios are in the details).
"""

import json
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks.harness import Result, Say, interleave
from civicgrid.access.client_keys import client_key_issue
from civicgrid.access.models import ApiToken, ClientKey
from civicgrid.access.services import token_issue
from civicgrid.cases.models import Case, Category
from civicgrid.registry.models import Place

NAME = "case_api"
PREFIX = "BXP"


def _jsonable(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _replay(queries: list[str]):
    def side() -> bytes:
        out = []
        with connection.cursor() as cursor:
            for sql in queries:
                cursor.execute(sql)
                if cursor.description is None:
                    continue
                names = [c[0] for c in cursor.description]
                out.append([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])
        return json.dumps(out, default=_jsonable).encode()

    return side


def _capture(call) -> list[str]:
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        call()
    return [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
    ]


def _insert_case(category: Category, place: Place, n: int) -> int:
    now = timezone.now()
    row = {
        "number": f"{PREFIX}{n:012d}",
        "channel": "open311",
        "category_id": category.pk,
        "priority": category.default_priority or "normal",
        "stage": "reported",
        "description": "路灯不亮",
        "answers": "{}",
        "place_id": place.pk,
        "place_code": place.code,
        "lat": place.centroid_lat,
        "lon": place.centroid_lon,
        "reported_at": now,
        "due_at": now + timedelta(hours=72),
        "intake_key": f"bench:{n}",
    }
    fields = [f for f in Case._meta.concrete_fields if f.attname != "id"]
    values = []
    for f in fields:
        value = row[f.attname] if f.attname in row else f.get_default()
        values.append(json.dumps(value) if isinstance(value, dict | list) else value)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Case._meta.db_table} ({columns}) VALUES ({marks}) RETURNING id",  # noqa: S608
            values,
        )
        return cursor.fetchone()[0]


def run(*, quick: bool = False, say: Say = print) -> list[Result]:
    user, _created = get_user_model().objects.get_or_create(
        username="bench-api", defaults={"is_superuser": True, "is_staff": True}
    )
    token, key = token_issue(user=user, name="bench")
    client_row, api_key = client_key_issue(name=f"bench-{timezone.now():%H%M%S%f}")
    category = Category.objects.order_by("code").first()
    place = Place.objects.filter(level="grid", centroid_lat__isnull=False).order_by("code").first()
    if category is None or place is None:
        raise RuntimeError("no categories or places: run civicgrid demo-data first")
    district = place.code[:6]
    start = (timezone.localdate() - timedelta(days=90)).isoformat()
    host = next((h for h in settings.ALLOWED_HOSTS if h and "*" not in h), "localhost")
    client = Client(HTTP_HOST=host.lstrip("."))
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    rounds = 3 if quick else 40
    counter = {"n": 0}
    try:
        reads = {
            "api list": lambda: client.get(
                "/api/v1/cases",
                {"place": district, "stage": "closed", "date_from": start, "limit": 50},
                **auth,
            ),
            "open311 GET": lambda: client.get(
                "/open311/v2/requests.json",
                {
                    "service_code": category.code,
                    "status": "closed",
                    "start_date": start + "T00:00:00Z",
                },
            ),
        }
        results = []
        for name, call in reads.items():
            response = call()
            assert response.status_code == 200, response.content[:300]
            queries = _capture(call)
            timings = interleave({"platform": call, "baseline": _replay(queries)}, rounds=rounds)
            say(f"case api {name}: {len(response.content)} bytes, {len(queries)} queries")
            results.append(
                _result(f"{name} (reads)", timings, 0.5, len(queries), len(response.content))
            )

        def post():
            counter["n"] += 1
            response = client.post(
                "/open311/v2/requests.json",
                {
                    "api_key": api_key,
                    "service_code": category.code,
                    "lat": place.centroid_lat,
                    "long": place.centroid_lon,
                    "description": "路灯不亮",
                    "client_request_id": f"bench-{client_row.pk}-{counter['n']}",
                },
            )
            assert response.status_code == 201, response.content[:300]

        def insert():
            counter["n"] += 1
            pk = _insert_case(category, place, counter["n"])
            return json.dumps([{"service_request_id": pk}])

        timings = interleave({"platform": post, "baseline": insert}, rounds=rounds)
        results.append(_result("open311 POST (writes)", timings, 0.7, 0, 0))
        return results
    finally:
        Case.objects.filter(client=client_row).delete()
        Case.objects.filter(number__startswith=PREFIX).delete()
        ClientKey.objects.filter(pk=client_row.pk).delete()
        ApiToken.objects.filter(pk=token.pk).delete()


def _result(hot_path, timings, goal, queries, size) -> Result:
    platform, baseline = timings["platform"], timings["baseline"]
    return Result(
        benchmark=NAME,
        hot_path=f"case API: {hot_path}",
        unit="req/s (median)",
        platform=1 / platform.p(50),
        baseline=1 / baseline.p(50),
        baseline_name="same SQL on a raw cursor + json.dumps (in process)",
        goal_op=">=",
        goal=goal,
        details={
            "rounds": platform.count,
            "queries": queries,
            "bytes": size,
            "platform_p99_ms": platform.p(99) * 1000,
            "baseline_p99_ms": baseline.p(99) * 1000,
            "p99_ratio": platform.p(99) / baseline.p(99),
            "p99_goal": "<= 2",
        },
    )
