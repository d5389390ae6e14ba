import io
from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import Workbook

from civicgrid.access.models import AuditLog
from civicgrid.inspections import businesses, services
from civicgrid.inspections.businesses import COLUMNS
from civicgrid.inspections.models import Business, Equipment, Licence
from civicgrid.notify.models import Notice
from tests.inspections.conftest import code, make_business


def test_a_business_is_registered_in_its_grid_with_its_phone_masked(personas, places):
    business = businesses.business_create(
        actor=personas["staff_a"],
        name="雪域餐厅",
        credit_code=code(7).lower(),
        kind="restaurant",
        address="泽新路3号",
        place=places["grid_a"],
        contact_phone="13908912345",
    )
    assert business.credit_code == code(7) and business.place_code == places["grid_a"].code
    assert business.contact_phone_masked == "139****2345"
    assert AuditLog.objects.filter(object_type="inspections.business", action="create").exists()


def test_an_invalid_credit_code_is_refused_with_the_reason(personas, places):
    wrong = code(7)[:17] + ("0" if code(7)[17] != "0" else "1")
    with pytest.raises(ValidationError) as caught:
        businesses.business_create(
            actor=personas["staff_a"],
            name="雪域餐厅",
            credit_code=wrong,
            kind="restaurant",
            address="泽新路3号",
            place=places["grid_a"],
        )
    assert "校验位不符" in caught.value.message_dict["credit_code"][0]
    assert not Business.objects.exists()


def test_a_business_outside_the_scope_is_refused(personas, places):
    with pytest.raises(PermissionDenied):
        businesses.business_create(
            actor=personas["staff_b"],
            name="雪域餐厅",
            credit_code=code(7),
            kind="restaurant",
            address="泽新路3号",
            place=places["grid_a"],
        )


def test_outsiders_see_no_business(personas, shop_a):
    assert list(Business.objects.for_user(personas["staff_a"])) == [shop_a]
    assert not Business.objects.for_user(personas["staff_b"]).exists()
    assert not Business.objects.for_user(personas["resident"]).exists()


def _file(rows) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    sheet.append([header for _key, header, _required in COLUMNS])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def _row(n, grid, **changes):
    values = {
        "name": f"商户{n}",
        "credit_code": code(n),
        "kind": "药店",
        "address": f"林廓路{n}号",
        "grid": grid,
        "contact_name": "",
        "contact_phone": "",
        "food_licence": "",
        "food_expires": "",
        "drug_licence": f"藏AA{n:07d}",
        "drug_expires": "2028-05-01",
        "lat": "",
        "lon": "",
    }
    values.update(changes)
    return [values[key] for key, _h, _r in COLUMNS]


def test_import_writes_all_rows_or_none(personas, places):
    grid = places["grid_a"].code
    bad = _file(
        [
            _row(11, grid),
            _row(12, grid, credit_code="91110000802100433C"),
            _row(13, "540102001002001"),  # community B: outside staff A's scope
            _row(14, grid, kind="网吧"),
        ]
    )
    result = businesses.business_import(actor=personas["staff_a"], file=bad, filename="x.xlsx")
    messages = [str(issue) for issue in result.errors]
    assert not result.ok
    assert any(m.startswith("第3行 统一社会信用代码：") and "校验位不符" in m for m in messages)
    assert any(m.startswith("第5行 类型：未知的类型") for m in messages)
    assert not Business.objects.exists() and not Licence.objects.exists()

    outside = businesses.business_import(
        actor=personas["staff_a"], file=_file([_row(11, grid), _row(13, "540102001002001")]),
        filename="x.xlsx",
    )  # fmt: skip
    assert [str(i) for i in outside.errors] == ["第3行 网格编码：该网格不在您的管辖范围内。"]
    assert not Business.objects.exists()

    good = businesses.business_import(
        actor=personas["staff_a"], file=_file([_row(11, grid), _row(12, grid)]), filename="x.xlsx"
    )
    assert good.ok and (good.created, good.updated) == (2, 0)
    assert Licence.objects.get(number="藏AA0000011").expires_on == date(2028, 5, 1)
    again = businesses.business_import(
        actor=personas["staff_a"],
        file=_file([_row(11, grid, name="商户十一"), _row(12, grid)]),
        filename="x.xlsx",
    )
    assert again.ok and (again.created, again.updated) == (0, 2)
    assert Business.objects.get(credit_code=code(11)).name == "商户十一"
    assert AuditLog.objects.filter(action="import", object_type="inspections.business").count() == 2


def test_import_refuses_a_file_that_is_not_a_workbook(personas):
    result = businesses.business_import(
        actor=personas["staff_a"], file=io.BytesIO(b"not excel"), filename="x.xlsx"
    )
    assert [str(i) for i in result.errors] == ["文件不是有效的 Excel（.xlsx）文件，无法读取。"]


def test_overdue_equipment_and_reminders_once_per_due_date(personas, places, inspectors, shop_a):
    with time_machine.travel("2026-05-10 09:00 +08:00", tick=False):
        # The scale is due 2026-06-01: within 30 days. The gas cylinder is not.
        assert services.equipment_remind() == 1
        notices = Notice.objects.filter(target_type="inspections.business")
        told = {n.user.username for n in notices}
        assert {"inspector1", "inspector2", "inspector3", "staff_a", "grid_a"} == told
        assert "将于 2026-06-01 到期检定" in notices.first().message
        assert services.equipment_remind() == 0
    with time_machine.travel("2026-06-05 09:00 +08:00", tick=False):
        overdue = Equipment.objects.filter(next_verification_on__lt=date(2026, 6, 5))
        assert [e.serial for e in overdue] == ["SC-1"]
        assert services.equipment_remind() == 0  # told once for this due date
        scale = Equipment.objects.get(serial="SC-1")
        businesses.equipment_verified(
            actor=personas["staff_a"], equipment=scale, next_verification_on=date(2026, 6, 20)
        )
        assert services.equipment_remind() == 1  # a new due date, a new reminder
    assert Equipment.objects.get(serial="SC-1").reminded_for == date(2026, 6, 20)


def test_the_reminder_task_is_scheduled():
    from civicgrid.ops.schedule import discover

    names = set(discover())
    assert "civicgrid.inspections.tasks.remind_verifications" in names
    assert "civicgrid.inspections.tasks.flag_overdue_orders" in names


def test_equipment_is_registered_once(personas, shop_a):
    with pytest.raises(ValidationError):
        businesses.equipment_add(
            actor=personas["staff_a"],
            business=shop_a,
            kind="scale",
            serial="SC-1",
            next_verification_on=date.today() + timedelta(days=300),
        )
    item = businesses.equipment_add(
        actor=personas["staff_a"],
        business=shop_a,
        kind="elevator",
        serial="EL-9",
        next_verification_on=date.today() + timedelta(days=300),
    )
    assert item.category == "special" and item.place_code == shop_a.place_code


def test_make_business_helper_is_valid(places):
    business = make_business(places["grid_a"], 99)
    assert business.credit_code == code(99)
