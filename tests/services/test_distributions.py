import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from civicgrid.ledger.books import Refused
from civicgrid.registry.models import Household, Resident
from civicgrid.services import distributions
from civicgrid.services.models import HandOver
from tests.services.conftest import signature


@pytest.fixture(autouse=True)
def today(time_machine):
    time_machine.move_to("2026-03-10 12:00 +08:00", tick=False)


def _elder(places, name, n):
    household = Household.objects.create(number=f"H{n}", grid=places["grid_a"], address="泽新路")
    from datetime import date

    return Resident.objects.create(
        household=household, name=name, gender="male", birth_date=date(1950, 1, 1)
    )


def test_warm_shoes_once_per_person_and_never_below_zero(shoes, registry, places, personas):
    programme, good = shoes
    elder = registry["resident_a"]
    staff = personas["staff_a"]
    distributions.handover_record(
        programme=programme, resident=elder, sign_off="signature", evidence=signature(), actor=staff
    )
    with pytest.raises(Refused) as twice:
        distributions.handover_record(
            programme=programme, resident=elder, sign_off="photo", evidence=signature(), actor=staff
        )
    assert "同一发放不能重复领取" in twice.value.messages[0]
    distributions.handover_record(
        programme=programme,
        resident=_elder(places, "次仁", 2),
        sign_off="proxy",
        proxy_name="次仁的女儿",
        proxy_reason="卧床不便",
        evidence=signature(),
        actor=staff,
    )
    with pytest.raises(Refused) as empty:
        distributions.handover_record(
            programme=programme,
            resident=_elder(places, "多吉", 3),
            sign_off="signature",
            evidence=signature(),
            actor=staff,
        )
    assert "库存不足" in empty.value.messages[0]
    assert HandOver.objects.count() == 2
    [row] = distributions.leftovers(programme)
    assert (row.received, row.handed, row.left) == (2, 2, 0)


def test_bad_input_and_scope(shoes, registry, personas):
    programme, _good = shoes
    elder = registry["resident_a"]
    with pytest.raises(ValidationError):  # proxy without a reason
        distributions.handover_record(
            programme=programme,
            resident=elder,
            sign_off="proxy",
            proxy_name="某人",
            evidence=signature(),
            actor=personas["staff_a"],
        )
    with pytest.raises(ValidationError):  # not an image
        distributions.handover_record(
            programme=programme,
            resident=elder,
            sign_off="photo",
            evidence=SimpleUploadedFile("x.png", b"<html>", content_type="image/png"),
            actor=personas["staff_a"],
        )
    with pytest.raises(ValidationError):  # too young
        distributions.handover_record(
            programme=programme,
            resident=registry["resident_b"],
            sign_off="signature",
            evidence=signature(),
            actor=personas["staff_b"],
        )
    with pytest.raises(PermissionDenied):
        distributions.handover_record(
            programme=programme,
            resident=elder,
            sign_off="signature",
            evidence=signature(),
            actor=personas["staff_b"],
        )
    assert not HandOver.objects.exists()
    [row] = distributions.leftovers(programme)
    assert row.left == 2
