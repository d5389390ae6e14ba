"""Place-code arithmetic in one module; idempotency keys through one helper."""

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from civicgrid.lib import placecodes
from civicgrid.lib.idempotency import once, request_key, scoped_key
from civicgrid.notify.models import Notice

GRID = "540102001001001"


def test_codes_cut_at_each_level():
    assert placecodes.ancestor_codes(GRID) == [
        "5401", "540102", "540102001", "540102001001", GRID,
    ]  # fmt: skip
    assert placecodes.prefixes(GRID) == ["", *placecodes.ancestor_codes(GRID)]
    assert placecodes.prefixes(GRID, (placecodes.COMMUNITY, placecodes.GRID)) == [
        "540102001001",
        GRID,
    ]
    assert placecodes.community_code(GRID) == "540102001001"
    assert placecodes.is_within(GRID, "540102001") and not placecodes.is_within(GRID, "")
    assert not placecodes.is_within("540102001002001", "540102001001")


def test_keys_are_scoped_to_their_sender():
    assert scoped_key("web", "u12", key=" abc ") == "web:u12:abc"
    assert scoped_key("web", "u12", key="  ") is None
    assert len(scoped_key("u1", key="x" * 500)) == len("u1:") + 100


def test_the_body_and_the_header_must_agree():
    factory = RequestFactory()
    assert request_key(factory.post("/", HTTP_IDEMPOTENCY_KEY="k1")) == "k1"
    assert request_key(factory.post("/"), " k2 ") == "k2"
    with pytest.raises(ValidationError):
        request_key(factory.post("/", HTTP_IDEMPOTENCY_KEY="k1"), "k2")


def test_a_replay_returns_the_first_row(personas):
    made = []

    def create():
        made.append(1)
        return Notice.objects.create(user=personas["staff_a"], message="一次", target_id="k")

    first, created = once(Notice, key="k", field="target_id", create=create)
    again, created_again = once(Notice, key="k", field="target_id", create=create)
    assert created and not created_again and again == first and made == [1]
