"""The benchmark harness: its maths, and ``civicgrid bench`` end to end on
small data. Correctness only; no timing is asserted."""

import json

import pytest
from django.core.management import call_command

from civicgrid.access import crypto
from civicgrid.care.models import Device, Geofence
from civicgrid.cases.models import Case, Category, Deadline, Dispatch
from civicgrid.demo.scale import load_scale
from civicgrid.ops.management.commands.bench import _benchmarks
from civicgrid.registry.models import Household, Resident

_benchmarks()  # puts the repository root on sys.path
from benchmarks import harness  # noqa: E402


def test_percentile_interpolates_between_ranks():
    values = [4.0, 1.0, 3.0, 2.0]
    assert harness.percentile(values, 0) == 1.0
    assert harness.percentile(values, 100) == 4.0
    assert harness.percentile(values, 50) == 2.5
    assert harness.percentile(values, 25) == pytest.approx(1.75)
    assert harness.percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError):
        harness.percentile([], 50)
    with pytest.raises(ValueError):
        harness.percentile([1.0], 101)


def test_ratio_and_goal():
    assert harness.ratio(5, 10) == 0.5
    assert harness.ratio(0, 0) == 0.0
    assert harness.ratio(1, 0) == float("inf")
    faster = harness.Result("x", "x", "ops/s", platform=6, baseline=10, goal_op=">=", goal=0.5)
    assert faster.ratio == 0.6 and faster.met
    slower = harness.Result("x", "x", "ms", platform=2, baseline=10, goal_op="<=", goal=0.1)
    assert slower.ratio == pytest.approx(0.2) and not slower.met
    row = slower.as_dict()
    assert row["met"] is False and row["ratio"] == pytest.approx(0.2)
    assert "NO" in harness.table([faster, slower])


def test_timing_counts_calls_and_rates():
    calls = []
    timing = harness.time_calls(lambda: calls.append(1), repeat=5, warmup=2)
    assert len(calls) == 7 and timing.count == 5
    assert timing.rate(items=0) == 0.0
    rounds = harness.interleave({"a": lambda: calls.append("a"), "b": lambda: None}, rounds=3)
    assert rounds["a"].count == rounds["b"].count == 3


@pytest.fixture
def small_scale(places):
    category = Category.objects.create(
        code="sanitation", name="环境卫生", group="市容环境", default_priority="normal", public=True
    )
    Deadline.objects.create(
        category=category, priority="normal", checkin_hours=4, handle_hours=24, close_hours=48
    )
    return load_scale(residents=60, devices=8, cases=300)


@pytest.mark.django_db
def test_scale_data_is_bulk_loaded_and_readable(small_scale):
    assert small_scale["residents"] == Resident.objects.count() - 0
    assert Household.objects.filter(number__startswith="BX").count() == small_scale["households"]
    assert Device.objects.count() == 8 and Geofence.objects.count() == 16
    assert Case.objects.count() == 300
    assert Dispatch.objects.count() == small_scale["dispatches"]
    # Encrypted on the way in; the blind index matches the decrypted number.
    for resident in Resident.objects.all()[:20]:
        assert len(resident.id_number) == 18
        assert resident.id_number_hash == crypto.blind_index(resident.id_number)
        assert resident.phone.startswith("139")
    # Every household has its head among its members.
    for household in Household.objects.filter(number__startswith="BX")[:20]:
        assert household.head.household_id == household.pk
    # A second run replaces rather than adds.
    load_scale(residents=30, devices=4, cases=50)
    assert Case.objects.count() == 50 and Device.objects.count() == 4


@pytest.mark.django_db
def test_bench_command_runs_end_to_end(small_scale, tmp_path, capsys):
    out = tmp_path / "results.json"
    call_command(
        "bench",
        "geofence",
        "figures",
        "map_layers",
        "excel_import",
        "--quick",
        "--json",
        str(out),
    )
    document = json.loads(out.read_text())
    assert document["command"].startswith("civicgrid bench geofence figures")
    assert not document["machine"]["failed"]
    names = {r["benchmark"] for r in document["results"]}
    assert names == {"geofence", "figures", "map_layers", "excel_import"}
    for row in document["results"]:
        assert row["platform"] > 0 and row["baseline"] > 0
        assert row["ratio"] == pytest.approx(row["platform"] / row["baseline"])
    figures = [r for r in document["results"] if r["benchmark"] == "figures"]
    assert all(r["details"]["identical"] for r in figures), figures[0]["details"]
    assert "hot path" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_bench_case_api_end_to_end_over_http(places, tmp_path):
    """The case API is served by uvicorn processes (the platform and the raw
    baseline), which see only committed rows: a transactional test."""
    Category.objects.create(
        code="sanitation", name="环境卫生", group="市容环境", default_priority="normal", public=True
    )
    load_scale(residents=30, devices=2, cases=200)
    out = tmp_path / "results.json"
    call_command("bench", "case_api", "--quick", "--json", str(out))
    document = json.loads(out.read_text())
    assert not document["machine"]["failed"]
    rows = {r["hot_path"]: r for r in document["results"]}
    assert len(rows) == 3 and all(r["platform"] > 0 and r["baseline"] > 0 for r in rows.values())
    # Both servers answered the reads with the same document.
    reads = [r for r in rows.values() if "reads" in r["hot_path"]]
    assert len(reads) == 2 and all(r["details"]["identical"] for r in reads)
    # The benchmark removes the cases it posted, and their share of the roll-ups.
    from civicgrid.cases.tallies import tally_differences

    assert Case.objects.count() == 200 and tally_differences() == []


@pytest.mark.django_db(transaction=True)
def test_bench_ingest_end_to_end_through_the_broker(places, tmp_path):
    """Ingest runs as separate ``civicgrid ingest`` processes on this test
    database, so the rows must be committed (transactional test); alarm
    latency's baseline is PostgreSQL-only."""
    from django.db import connection

    from tests.care.mqtt import require_broker

    require_broker()
    Category.objects.create(
        code="sanitation", name="环境卫生", group="市容环境", default_priority="normal", public=True
    )
    load_scale(residents=30, devices=5, cases=20)
    names = ["ingest"] + (["alarm_latency"] if connection.vendor == "postgresql" else [])
    out = tmp_path / "results.json"
    call_command("bench", *names, "--quick", "--json", str(out))
    document = json.loads(out.read_text())
    assert not document["machine"]["failed"]
    ingest = next(r for r in document["results"] if r["benchmark"] == "ingest")
    assert ingest["details"]["lost"] == 0 and ingest["details"]["rows"] == 300
    # The benchmark removes what it wrote.
    from civicgrid.care.models import DeviceEvent

    assert not DeviceEvent.objects.exists()
