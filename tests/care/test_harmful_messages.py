"""No message stops ingest: each payload that once did (a list as type, a
400-digit number, deep nesting, a lone surrogate or NUL in msg_id, an 8 MB
position) becomes a dead letter with its reason, in a batch small or large
(PostgreSQL writes large ones by COPY), and the SOS after it raises exactly
one alarm. A property test feeds arbitrary bytes and JSON to handle_batch."""

import json
import string

import pytest
from django.db import OperationalError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.care import device_sql, pipeline
from civicgrid.care.models import Alarm, DeadLetter, DeviceEvent
from civicgrid.care.pipeline import handle_batch
from tests.factories import device_message as message

INSIDE = {"lat": 29.65, "lon": 91.15}


def _text(msg_id, **fields) -> str:
    return json.dumps(message(msg_id, **INSIDE) | fields)


# (payload, the dead letter's reason), each once a stop of ingest.
HARMFUL = [
    (_text("h1", type=[]).encode(), "bad_type"),
    (_text("h2", type={}).encode(), "bad_type"),
    (_text("h3", battery=None).replace('"battery": null', '"battery": ' + "9" * 400).encode(),
     "bad_battery"),
    (_text("h4").replace('"lat": 29.65', '"lat": ' + "1" * 5000).encode(), "bad_json"),
    (b'{"msg_id": "h5", "deep": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "too_large"),
    (b'{"msg_id": "h6", "deep": ' + b"[" * 5_000 + b"]" * 5_000 + b"}", "bad_json"),
    (json.dumps(message("h7\ud800"), ensure_ascii=False).encode("utf-8", "surrogatepass"),
     "bad_json"),
    (_text("x").replace('"x"', '"h8\\ud800"').encode(), "bad_msg_id"),
    (_text("x").replace('"x"', '"h9\\u0000"').encode(), "bad_msg_id"),
    (_text("x").replace('"x"', '"h10\\u0007"').encode(), "bad_msg_id"),
    (_text("h11", pad="p" * 8_000_000).encode(), "too_large"),
    (_text("h12", ts=timezone.now().isoformat() + "\x00").encode(), "bad_timestamp"),
    (_text("h13", ts=["2026"]).encode(), "bad_timestamp"),
    (_text("h14", lat=1e308, lon=1e308).encode(), "bad_coordinates"),
    (b"\xff\xfe\x00", "bad_json"),
    (b"null", "bad_json"),
    (b"", "bad_json"),
]  # fmt: skip


@pytest.mark.parametrize(("payload", "reason"), HARMFUL, ids=[r for _p, r in HARMFUL])
def test_a_harmful_message_is_a_dead_letter_and_the_next_sos_an_alarm(sos_device, payload, reason):
    now = timezone.now()
    sos = message("after", "sos", at=now, **INSIDE)
    outcomes = handle_batch([("SOS-0001", payload, now), ("SOS-0001", sos, now)])
    assert [o.status for o in outcomes] == ["dead", "accepted"]
    assert outcomes[0].reason == reason
    letter = DeadLetter.objects.get()
    assert letter.reason == reason and len(letter.payload) <= pipeline.PAYLOAD_KEPT
    assert Alarm.objects.get().event.msg_id == "after"


def test_harmful_messages_in_a_copied_batch_hold_no_one_else(sos_device):
    """Over SMALL rows go by COPY on PostgreSQL: each harmful message is a
    dead letter, every other row and the SOS are written."""
    now = timezone.now()
    batch = [("SOS-0001", message(f"p{n}", at=now, **INSIDE), now) for n in range(40)]
    for payload, _reason in HARMFUL:
        batch.insert(len(batch) // 2, ("SOS-0001", payload, now))
    # Stored by the database only if it takes them: jsonb refuses \u0000.
    batch.append(("SOS-0001", _text("nul-note", note="a\x00b").encode(), now))
    batch.append(("SOS-0001", message("help", "sos", at=now, **INSIDE), now))
    assert len(batch) > device_sql.SMALL
    outcomes = handle_batch(batch)
    assert all(o is not None for o in outcomes)
    assert DeviceEvent.objects.filter(msg_id__startswith="p").count() == 40
    assert Alarm.objects.get().event.msg_id == "help"
    assert DeadLetter.objects.count() == len(HARMFUL) + (outcomes[-2].status == "dead")


def test_an_sos_whose_raw_payload_the_database_refuses_still_raises_its_alarm(sos_device):
    """PostgreSQL's jsonb refuses \u0000: a position is then a dead letter,
    an SOS is kept with its validated fields only."""
    now = timezone.now()
    sos = _text("help", type="sos", note="a\x00b").encode()
    outcome = handle_batch([("SOS-0001", sos, now)])[0]
    assert outcome.status == "accepted" and len(outcome.alarm_ids) == 1
    assert DeviceEvent.objects.get().raw["msg_id"] == "help"


def test_an_unexpected_error_in_parsing_is_still_a_dead_letter(sos_device, monkeypatch):
    def broken(payload, *, received_at):
        raise KeyError("surprise")

    monkeypatch.setattr(pipeline, "parse", broken)
    outcome = pipeline.handle_message("SOS-0001", b"{}", received_at=timezone.now())
    assert (outcome.status, outcome.reason) == ("dead", "bad_payload")


def test_a_database_that_cannot_be_asked_stops_the_batch_not_the_messages(sos_device, monkeypatch):
    """An outage is nobody's fault: handle_batch raises and dead-letters
    nothing, so the caller keeps the batch and tries again."""

    def away(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(device_sql, "insert_events", away)
    now = timezone.now()
    with pytest.raises(OperationalError):
        handle_batch([("SOS-0001", message(f"m{n}", at=now, **INSIDE), now) for n in range(3)])
    assert not DeadLetter.objects.exists()


# Text with every kind of character, lone surrogates and NUL included.
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=20)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
FIELD = {
    "msg_id": JSON | st.text(string.printable, min_size=1, max_size=70),
    "ts": JSON | st.just(timezone.now().isoformat()),
    "type": JSON | st.sampled_from(["sos", "position", "fall", "battery", "heartbeat"]),
    "lat": JSON | st.floats(-95, 95),
    "lon": JSON | st.floats(-185, 185),
    "battery": JSON | st.integers(-5, 105),
    "accuracy": JSON,
}
SHAPED = st.fixed_dictionaries({}, optional=FIELD) | st.dictionaries(ANY_TEXT, JSON, max_size=5)


def _encoded(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


PAYLOAD = (
    st.binary(max_size=300)
    | SHAPED.map(_encoded)
    | SHAPED.map(lambda v: json.dumps(v).encode())  # \uXXXX escapes, surrogates as escapes
    | JSON.map(_encoded)
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(st.tuples(st.sampled_from(["SOS-0001", "NOPE", ""]), PAYLOAD), max_size=20))
def test_handle_batch_never_raises(sos_device, batch):
    now = timezone.now()
    outcomes = handle_batch([(ident, payload, now) for ident, payload in batch])
    assert len(outcomes) == len(batch)
    assert all(o.status in {"accepted", "duplicate", "dead"} for o in outcomes)
    assert all(o.reason for o in outcomes if o.status == "dead")
