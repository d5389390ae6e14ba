"""OsmAnd HTTP: a device is its secret credential. Unknown, wrong, revoked
and malformed identifiers (a device number included) get one answer; a
retried report is a duplicate by its parsed values; reports dated far off
are refused; requests larger than any report are refused unread; dead
letters of callers without a credential are rationed per address."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from civicgrid.care import services
from civicgrid.care.models import Alarm, DeadLetter, DeviceEvent


@pytest.fixture
def secret(sos_device):
    return services.device_credential_issue(device=sos_device)


def _params(secret, at=None, **extra):
    at = at or timezone.now()
    return {
        "id": secret,
        "lat": "29.65",
        "lon": "91.15",
        "timestamp": str(int(at.timestamp())),
        "batt": "77",
        **extra,
    }


def test_osmand_get_and_post_with_sos(sos_device, secret):
    client = Client()
    ts = int(timezone.now().timestamp())
    params = {"id": secret, "lat": "29.65", "lon": "91.15", "timestamp": str(ts), "batt": "77"}
    assert client.get("/ingest/osmand", params).status_code == 200
    retried = client.get("/ingest/osmand", params)
    assert retried.status_code == 200 and retried.content == b"duplicate"
    response = client.post("/ingest/osmand", {**params, "alarm": "sos", "timestamp": str(ts + 5)})
    assert response.status_code == 200
    assert DeviceEvent.objects.count() == 2 and Alarm.objects.get().kind == "sos"
    sos_device.refresh_from_db()
    assert sos_device.battery == 77


def test_a_report_is_a_duplicate_by_its_parsed_values(sos_device, secret):
    """The same moment in seconds, milliseconds or ISO-8601, the secret in
    capitals, other parameters in another order or added: one event."""
    client = Client()
    at = timezone.now().replace(microsecond=0)
    seconds = str(int(at.timestamp()))
    iso = at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    variants = [
        {"id": secret, "timestamp": seconds, "lat": "29.65", "lon": "91.15"},
        {"lon": "91.150", "lat": "29.650", "timestamp": seconds + "000", "id": secret.upper()},
        {"id": secret, "timestamp": iso, "lat": "29.65", "lon": "91.15", "speed": "0"},
    ]
    answers = [client.get("/ingest/osmand", v).content for v in variants]
    assert answers == [b"accepted", b"duplicate", b"duplicate"]
    # An SOS at the same moment is another report.
    sos = client.get("/ingest/osmand", {**variants[0], "alarm": "sos"})
    assert sos.content == b"accepted"
    assert DeviceEvent.objects.count() == 2 and Alarm.objects.count() == 1


@pytest.mark.parametrize(
    "ident",
    [
        "SOS-0001",  # the device's number: not a credential
        "abcdefghijklmnopqrstuvwxyz234567",  # well formed, nobody's
        "",
        "SOS-0001\x00",
        "x" * 5000,
    ],
)
def test_unknown_and_wrong_credentials_get_the_same_answer(sos_device, secret, ident):
    client = Client()
    wrong = secret[:-1] + ("a" if secret[-1] != "a" else "b")
    reference = client.get("/ingest/osmand", {**_params(wrong), "alarm": "sos"})
    response = client.get("/ingest/osmand", {**_params(ident), "alarm": "sos"})
    assert (response.status_code, response.content) == (403, b"forbidden")
    assert (reference.status_code, reference.content) == (403, b"forbidden")
    assert not DeviceEvent.objects.exists() and not Alarm.objects.exists()
    letters = DeadLetter.objects.all()
    assert {d.reason for d in letters} == {"unknown_credential"}
    assert all(secret[:5] not in d.ident + d.payload for d in letters)


def test_a_replaced_credential_and_a_retired_device_are_refused(sos_device, secret):
    client = Client()
    assert client.get("/ingest/osmand", _params(secret)).status_code == 200
    newer = services.device_credential_issue(device=sos_device)
    later = timezone.now() + timedelta(seconds=5)
    assert client.get("/ingest/osmand", _params(secret, at=later)).status_code == 403
    assert client.get("/ingest/osmand", _params(newer, at=later)).status_code == 200
    services.device_unbind(actor=None, device=sos_device)
    latest = later + timedelta(seconds=5)
    assert client.get("/ingest/osmand", _params(newer, at=latest)).status_code == 403


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"lat": "95", "lon": "91.1"}, b"bad_coordinates"),
        ({"lat": "x", "lon": "91.1"}, b"bad_coordinates"),
        ({"lat": "29.6", "lon": "91.1", "timestamp": "1"}, b"timestamp_out"),
        ({"lat": "29.6", "lon": "91.1", "batt": "1e999"}, b"bad_battery"),
    ],
)
def test_osmand_bad_input_is_400_with_a_dead_letter(sos_device, secret, params, reason):
    params = {"id": secret, "timestamp": timezone.now().isoformat(), **params}
    response = Client().get("/ingest/osmand", params)
    assert response.status_code == 400 and reason in response.content
    assert DeadLetter.objects.count() == 1 and DeviceEvent.objects.count() == 0


@pytest.mark.parametrize(
    "moment",
    [timedelta(days=-8), timedelta(hours=-170), timedelta(minutes=11), timedelta(days=400)],
)
def test_reports_dated_far_off_are_never_drawn_into_the_track(sos_device, secret, moment):
    at = timezone.now() + moment
    response = Client().get("/ingest/osmand", _params(secret, at=at))
    assert response.status_code == 400 and b"timestamp_out_of_range" in response.content
    assert not DeviceEvent.objects.exists()
    sos_device.refresh_from_db()
    assert sos_device.last_at is None and sos_device.lat is None


def test_a_week_old_buffered_report_is_kept(sos_device, secret):
    at = timezone.now() - timedelta(days=6)
    assert Client().get("/ingest/osmand", _params(secret, at=at)).status_code == 200
    assert DeviceEvent.objects.get().at == at.replace(microsecond=0)


def test_requests_larger_than_any_report_are_refused_unread(sos_device, secret, settings):
    settings.INGEST_MAX_MESSAGE_BYTES = 2048
    client = Client()
    body = client.post(f"/ingest/osmand?id={secret}", data="x" * 4096, content_type="text/plain")
    query = client.get("/ingest/osmand", {**_params(secret), "pad": "y" * 4096})
    assert body.status_code == query.status_code == 413
    assert not DeviceEvent.objects.exists() and not DeadLetter.objects.exists()


def test_a_database_outage_is_503_for_the_app_to_retry(sos_device, secret, monkeypatch):
    from civicgrid.care import pipeline

    def away(*args, **kwargs):
        raise OperationalError("the database system is shutting down")

    monkeypatch.setattr(pipeline, "handle_message", away)
    response = Client().get("/ingest/osmand", _params(secret))
    assert response.status_code == 503 and response["Retry-After"]


def test_dead_letters_of_unknown_callers_are_rationed_per_address(sos_device, settings):
    settings.DEAD_LETTERS_PER_MINUTE = 5
    flood = Client(REMOTE_ADDR="203.0.113.7")
    for n in range(12):
        params = {"id": f"guess{n}", "lat": "29.6", "lon": "91.1", "alarm": "sos"}
        assert flood.get("/ingest/osmand", params).status_code == 403
    other = Client(REMOTE_ADDR="198.51.100.2")
    assert other.get("/ingest/osmand", {"id": "SOS-0001"}).status_code == 403
    assert DeadLetter.objects.count() == 6


def test_old_dead_letters_are_pruned(sos_device):
    from civicgrid.care.tasks import dead_letters_prune

    now = datetime(2026, 12, 1, tzinfo=UTC)
    for days in (1, 13, 15, 40):
        DeadLetter.objects.create(
            received_at=now - timedelta(days=days), source="osmand", reason="unknown_credential"
        )
    assert dead_letters_prune(now=now) == 2
    assert DeadLetter.objects.count() == 2
