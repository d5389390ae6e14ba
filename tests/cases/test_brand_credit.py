"""Closing a case may name the self-governance brand that solved it: the
credit counts in "problems solved by residents themselves"."""

import pytest

from civicgrid.cases.workflow import case_move
from civicgrid.registry.brands import credit_of
from civicgrid.registry.models import BrandCredit, Organisation
from tests.cases.test_api import post


@pytest.fixture
def whistled(case_a, personas, fire):
    """case_a accepted and dispatched to fire."""
    case_move(case=case_a, action="accept", actor=personas["staff_a"])
    return case_move(case=case_a, action="dispatch", actor=personas["staff_a"], departments=[fire])


def test_closing_names_the_brand(whistled, personas, places, api_for):
    brand = Organisation.objects.create(
        code="zhuoma", name="卓玛调解室", kind="brand", place=places["community_a"]
    )
    other = Organisation.objects.create(
        code="elsewhere", name="鲁固社区议事会", kind="brand", place=places["community_b"]
    )
    staff, dept = api_for(personas["staff_a"]), api_for(personas["department"])
    url = f"/api/v1/cases/{whistled.pk}"
    for action in ("check-in", "handle"):
        assert post(dept, f"{url}/{action}").status_code == 200
    assert post(staff, f"{url}/verify", {"passed": True}).status_code == 200
    hidden = post(staff, f"{url}/close", {"brand_id": other.pk})
    assert hidden.status_code == 400 and hidden.json()["errors"]["brand_id"]
    assert not BrandCredit.objects.exists()
    closed = post(staff, f"{url}/close", {"brand_id": brand.pk, "note": "调解室协调解决"})
    assert closed.status_code == 200 and closed.json()["stage"] == "closed"
    credit = credit_of(whistled)
    assert credit.brand == brand and credit.place_code == whistled.place_code


def test_closing_on_the_page_names_the_brand(whistled, personas, places, client_for):
    from django.urls import reverse

    brand = Organisation.objects.create(
        code="gesang", name="格桑花志愿服务队", kind="brand", place=places["community_a"]
    )
    for action in ("check_in", "handle"):
        case_move(case=whistled, action=action, actor=personas["department"])
    case_move(case=whistled, action="verify_pass", actor=personas["staff_a"])
    staff = client_for(personas["staff_a"])
    page = staff.get(reverse("cases:detail", args=[whistled.pk])).content.decode()
    assert "格桑花志愿服务队" in page
    response = staff.post(
        reverse("cases:move", args=[whistled.pk]), {"action": "close", "brand": brand.pk}
    )
    assert response.status_code == 302
    assert credit_of(whistled).brand == brand
