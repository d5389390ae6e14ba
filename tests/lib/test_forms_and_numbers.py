"""One helper puts a service's errors on a form; one generator numbers records;
one keyset cursor pages large lists."""

from datetime import UTC, datetime

import pytest
from django import forms
from django.core.exceptions import ValidationError

from civicgrid.lib.forms import add_service_errors
from civicgrid.lib.keyset import Keyset
from civicgrid.lib.numbers import record_number


class NameForm(forms.Form):
    name = forms.CharField(required=False)


def test_errors_go_to_their_field_or_above_the_form():
    form = NameForm({})
    form.is_valid()
    add_service_errors(form, ValidationError({"name": "太短", "location": "不在网格内"}))
    assert form.errors["name"] == ["太短"] and form.non_field_errors() == ["不在网格内"]
    other = NameForm({})
    other.is_valid()
    add_service_errors(other, ValidationError("整体错误"))
    assert other.non_field_errors() == ["整体错误"]


def test_a_form_claims_keys_of_its_own():
    form, claimed = NameForm({}), {}
    form.is_valid()
    add_service_errors(
        form,
        ValidationError({"location": "不在网格内", "name": "太短"}),
        elsewhere=lambda key, messages: (
            key == "location" and bool(claimed.update({key: messages})) is False
        ),
    )
    assert claimed == {"location": ["不在网格内"]} and not form.non_field_errors()


def test_record_numbers_read_the_local_date_and_the_id():
    at = datetime(2025, 2, 28, 17, 30, tzinfo=UTC)  # 1 March in Lhasa
    assert record_number(prefix="YH", at=at, pk=42) == "YH20250301000042"


def test_a_cursor_round_trips_and_a_forged_one_is_refused():
    keyset = Keyset("reported_at", parse=datetime.fromisoformat)
    moment = datetime(2025, 3, 1, 8, tzinfo=UTC)
    assert keyset.decode(keyset.encode(moment, 7)) == (moment, 7)
    for forged in ("not-base64!", keyset.encode(datetime(2025, 3, 1), 7)):  # naive time
        with pytest.raises(ValidationError):
            keyset.decode(forged)
