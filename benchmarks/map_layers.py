"""The map's households and cases layers (GeoJSON) for a grid's bbox and a
street's bbox.

Platform: the ``risks`` layer views (``/risks/layers/{households,cases}.geojson``)
called as view functions through ``RequestFactory`` for a superuser: the
permission check, ``risks.layers`` and ``JsonResponse`` encoding. No
middleware or URL resolving (in-process, not over HTTP).
Baseline: the very SQL the platform ran (captured on a warm-up call),
executed on a raw cursor, each row turned into a GeoJSON point feature with
its columns as properties and encoded with ``json.dumps``.
Goal (issue 7): platform throughput >= 0.5x the baseline.
"""

import json

from django.contrib.auth import get_user_model
from django.db import connection, reset_queries
from django.db.models import Count
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from shapely.geometry import shape

from benchmarks.harness import Result, Say, interleave
from civicgrid.cases.models import Case
from civicgrid.registry.models import Place
from civicgrid.risks import views

NAME = "map_layers"
LAT = ("lat", "centroid_lat")
LON = ("lon", "centroid_lon")


def _bbox(place: Place) -> str:
    west, south, east, north = shape(place.boundary).bounds
    return f"{west},{south},{east},{north}"


def _places() -> dict[str, Place]:
    busiest = (
        Case.objects.order_by().values("place_code").annotate(n=Count("pk")).order_by("-n").first()
    )
    if busiest is None:
        raise RuntimeError("no cases: run civicgrid demo-data --scale first")
    grid = Place.objects.get(code=busiest["place_code"])
    street = grid
    while street.level != "street" and street.parent_id:
        street = street.parent
    return {"grid": grid, "street": street}


def _baseline(queries: list[str]):
    def encode() -> bytes:
        features, extra = [], {}
        with connection.cursor() as cursor:
            for sql in queries:
                cursor.execute(sql)
                names = [c[0] for c in cursor.description]
                rows = cursor.fetchall()
                lat = next((i for i, n in enumerate(names) if n in LAT), None)
                lon = next((i for i, n in enumerate(names) if n in LON), None)
                if lat is None or lon is None:  # a count
                    extra["count"] = rows[0][0] if rows else 0
                    continue
                for row in rows:
                    features.append(
                        {
                            "type": "Feature",
                            "geometry": {"type": "Point", "coordinates": [row[lon], row[lat]]},
                            "properties": dict(zip(names, row, strict=True)),
                        }
                    )
        document = {"type": "FeatureCollection", "features": features, **extra}
        return json.dumps(document, default=str).encode()

    return encode


def run(*, quick: bool = False, say: Say = print) -> list[Result]:
    user = get_user_model()(username="bench", is_superuser=True, is_active=True)
    factory = RequestFactory()
    places = _places()
    rounds = 3 if quick else 30
    results = []
    for layer in ("households", "cases"):
        for scale, place in places.items():
            request = factory.get(f"/risks/layers/{layer}.geojson", {"bbox": _bbox(place)})
            request.user = user

            def platform_side(request=request, layer=layer):
                response = views.layer_geojson(request, name=layer)
                assert response.status_code == 200, response.content[:200]
                return response.content

            reset_queries()  # a full query log (DEBUG) would capture nothing
            with CaptureQueriesContext(connection) as captured:
                body = platform_side()
            queries = [q["sql"] for q in captured.captured_queries]
            if not queries:
                raise RuntimeError("captured no SQL from the platform's layer view")
            baseline_side = _baseline(queries)
            features = len(json.loads(body)["features"])
            say(f"map {layer} {scale} {place.code}: {features} features, {len(queries)} queries")
            timings = interleave({"platform": platform_side, "baseline": baseline_side},
                                 rounds=rounds)  # fmt: skip
            results.append(
                Result(
                    benchmark=NAME,
                    hot_path=f"{layer} layer, {scale} bbox",
                    unit="req/s (median)",
                    platform=1 / timings["platform"].p(50),
                    baseline=1 / timings["baseline"].p(50),
                    baseline_name="same SQL on a raw cursor + json.dumps",
                    goal_op=">=",
                    goal=0.5,
                    details={
                        "place": place.code,
                        "features": features,
                        "rounds": rounds,
                        "bytes": len(body),
                        "platform_p99_ms": timings["platform"].p(99) * 1000,
                        "baseline_p99_ms": timings["baseline"].p(99) * 1000,
                    },
                )  # fmt: skip
            )
    return results
