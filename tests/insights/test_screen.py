"""The command screen: tiles from the catalogue, the care and cases panels,
the live map's layers, and the push that tells it a new SOS has come."""

import json

import pytest
from django.utils import timezone

from civicgrid.care.pipeline import handle_message
from civicgrid.insights import live
from tests.care.conftest import message, sos_device  # noqa: F401  (fixture)


@pytest.fixture
def no_pause(monkeypatch):
    monkeypatch.setattr(live, "POLL_SECONDS", 0)


def _events(stream, n):
    """The next ``n`` "changed" events' data, skipping keep-alives."""
    found = []
    for chunk in stream:
        if chunk.startswith("event: changed"):
            found.append(json.loads(chunk.split("data: ", 1)[1]))
            if len(found) == n:
                return found
    raise AssertionError("the stream ended")


def test_screen_shows_tiles_panels_and_the_map(scene, sos_device, personas, client_for):  # noqa: F811
    handle_message(
        "SOS-0001", message("m1", "sos", lat=29.65, lon=91.15), received_at=timezone.now()
    )
    response = client_for(personas["admin"]).get("/insights/screen/")
    assert response.status_code == 200
    html = response.content.decode()
    today = {tile["key"]: tile["text"] for tile in response.context["tiles"]["today"]}
    assert today["care.sos_alarms"] == "1" and today["cases.cases"] == "2"
    year = {tile["key"]: tile["text"] for tile in response.context["tiles"]["year"]}
    assert year["risks.resolution_rate"] == "50.0%"
    # The care panel: the open SOS, its ladder at the first rung.
    assert (
        "实时告警" in html and "SOS-0001" in html and '<span class="now">1 社区医生</span>' in html
    )
    assert "今日部门派遣" in html
    assert 'id="map-layers"' in html and "risks/map.js" in html and "insights/screen.js" in html
    assert "<script>" not in html  # no inline script: data as json_script only


def test_screen_parts_are_scoped(scene, sos_device, personas, client_for):  # noqa: F811
    handle_message(
        "SOS-0001", message("m1", "sos", lat=29.65, lon=91.15), received_at=timezone.now()
    )
    outsider = client_for(personas["staff_b"]).get("/insights/screen/parts/")
    assert outsider.status_code == 200
    html = outsider.content.decode()
    assert "SOS-0001" not in html and "暂无待处置告警。" in html
    assert client_for(personas["resident"]).get("/insights/screen/").status_code == 403


def test_stream_pushes_a_new_sos(scene, sos_device, personas, client_for, no_pause):  # noqa: F811
    response = client_for(personas["staff_a"]).get("/insights/screen/stream/")
    assert response["Content-Type"] == "text/event-stream"
    stream = iter(chunk.decode() for chunk in response.streaming_content)
    (first,) = _events(stream, 1)
    assert first["care.sos_alarms"] == 0 and first["care.open_alarms"] == 0
    handle_message(
        "SOS-0001", message("m1", "sos", lat=29.65, lon=91.15), received_at=timezone.now()
    )
    (second,) = _events(stream, 1)
    assert second["care.sos_alarms"] == 1 and second["care.open_alarms"] == 1
    response.close()


def test_stream_of_another_community_stays_quiet(scene, sos_device, personas, client_for, no_pause):  # noqa: F811
    response = client_for(personas["staff_b"]).get("/insights/screen/stream/")
    stream = iter(chunk.decode() for chunk in response.streaming_content)
    (first,) = _events(stream, 1)
    handle_message(
        "SOS-0001", message("m1", "sos", lat=29.65, lon=91.15), received_at=timezone.now()
    )
    # Three looks later, still nothing changed for community B.
    quiet = [next(stream) for _ in range(3)]
    assert all(chunk.startswith(": keep-alive") for chunk in quiet)
    assert first["care.sos_alarms"] == 0
    response.close()
