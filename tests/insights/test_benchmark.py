"""``civicgrid bench insights --quick`` end to end on small data: the
platform's figures by place equal the hand-written GROUP BY's. Correctness
only; no timing is asserted."""

import json

import pytest
from django.core.management import call_command

from civicgrid.cases.models import Category, Deadline
from civicgrid.demo.scale import load_scale


@pytest.fixture
def small_scale(scene):
    category = Category.objects.create(
        code="sanitation", name="环境卫生", group="市容环境", default_priority="normal", public=True
    )
    Deadline.objects.create(
        category=category, priority="normal", checkin_hours=4, handle_hours=24, close_hours=48
    )
    return load_scale(residents=30, devices=2, cases=200)


def test_bench_insights_rows_are_identical_to_the_baseline(small_scale, tmp_path):
    out = tmp_path / "results.json"
    call_command("bench", "insights", "--quick", "--json", str(out))
    document = json.loads(out.read_text())
    assert not document["machine"]["failed"], document["machine"]["failed"]
    rows = document["results"]
    assert len(rows) == 3 and all(row["platform"] > 0 and row["baseline"] > 0 for row in rows)
    assert rows[0]["details"]["identical"], rows[0]["details"]["differences"]


def test_the_comparison_finds_a_difference():
    from civicgrid.ops.management.commands.bench import _benchmarks

    _benchmarks()
    from benchmarks.insights import differences

    same = {"540102": {"cases": 3, "found": 1}}
    assert differences(same, same) == []
    assert differences(same, {"540102": {"cases": 2, "found": 1}}) == [
        "540102.cases: platform 3, baseline 2"
    ]
    assert differences({"540102": {"cases": 0}}, {}) == []
