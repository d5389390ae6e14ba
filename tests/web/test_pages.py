"""The server-rendered pages: login, home, and login required everywhere (the
registry's own pages are tested in tests/registry/test_pages.py). Personas and
places come from tests/conftest.py (community A staff, community B staff, a
grid worker of A, a doctor of A, fire department staff, a superuser)."""

import pytest
from django.test import Client
from django.urls import reverse

from civicgrid.access.models import AuditLog
from civicgrid.cases.models import Category
from civicgrid.registry.models import ResidentTag, TargetGroup

HX = {"HX-Request": "true"}


def html(response) -> str:
    return response.content.decode()


@pytest.fixture
def staff_a(personas, client_for):
    return client_for(personas["staff_a"])


# Login and language ---------------------------------------------------------


def test_login_page_is_chinese_then_english_after_switching(db):
    client = Client()
    page = html(client.get(reverse("login")))
    assert '<html lang="zh-hans">' in page
    assert "用户名" in page and "密码" in page

    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    page = html(client.get(reverse("login")))
    assert '<html lang="en">' in page
    assert "Username" in page and "Password" in page


def test_login_with_password_goes_home_and_logout_needs_post(personas):
    client = Client()
    response = client.post(reverse("login"), {"username": "staff_a", "password": "pw"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_five_failed_logins_lock_the_account_with_429(personas):
    client = Client()
    for _ in range(5):
        client.post(reverse("login"), {"username": "staff_a", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "staff_a", "password": "pw"})
    assert response.status_code == 429
    assert "登录失败次数过多，请 15 分钟后再试" in html(response)
    assert "_auth_user_id" not in client.session


def test_four_failed_logins_do_not_lock(personas):
    client = Client()
    for _ in range(4):
        client.post(reverse("login"), {"username": "staff_a", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "staff_a", "password": "pw"})
    assert response.status_code == 302


# Login required everywhere --------------------------------------------------

PAGES = [
    ("home", {}),
    ("registry:places", {}),
    ("registry:place", {"pk": 1}),
    ("registry:households", {}),
    ("registry:household", {"pk": 1}),
    ("registry:household_new", {}),
    ("registry:household_edit", {"pk": 1}),
    ("registry:resident_new", {"household_id": 1}),
    ("registry:residents", {}),
    ("registry:resident", {"pk": 1}),
    ("registry:resident_edit", {"pk": 1}),
    ("registry:organisations", {}),
]


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_anonymous_is_sent_to_login(db, name, kwargs):
    response = Client().get(reverse(name, kwargs=kwargs))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_anonymous_reveal_is_sent_to_login(registry):
    url = reverse("registry:resident_reveal", args=[registry["resident_a"].pk])
    logged = AuditLog.objects.count()
    response = Client().post(url, {"field": "phone"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert AuditLog.objects.count() == logged


# Home -----------------------------------------------------------------------


def test_home_shows_figures_of_the_scope_only(personas, registry, client_for):
    ResidentTag.objects.create(
        resident=registry["resident_a"], group=TargetGroup.objects.get(code="living_alone")
    )
    page = html(client_for(personas["staff_a"]).get(reverse("home")))
    assert "泽新社区" in page
    assert figure(page, "户") == "1" and figure(page, "居民") == "1"
    assert figure(page, "60岁以上老人") == "1"  # 顿珠, born 1951
    assert figure(page, "独居老人") == "1"
    assert figure(page, "80岁以上高龄老人") == "0"

    page = html(client_for(personas["staff_b"]).get(reverse("home")))
    assert figure(page, "60岁以上老人") == "0"  # 卓玛, born 1988
    assert figure(page, "独居老人") == "0"


def figure(page: str, label: str) -> str:
    """The number shown on the home page above ``label``."""
    marker = f"</b>{label}</a>"
    assert marker in page, label
    before = page[: page.index(marker)]
    return before[before.rindex("<b>") + 3 :]


def test_home_for_department_shows_organisation_and_categories(personas, fire, client_for):
    lane = Category.objects.create(code="fire_lane", name="消防通道堵塞", group="安全")
    lane.departments.add(fire)
    Category.objects.create(code="power_cut", name="停电", group="供电")
    page = html(client_for(personas["department"]).get(reverse("home")))
    assert "消防救援大队" in page and "消防通道堵塞" in page and "停电" not in page
    assert 'class="figures"' not in page


def test_navigation_follows_the_role(personas, client_for):
    staff = html(client_for(personas["staff_a"]).get(reverse("home")))
    doctor = html(client_for(personas["doctor_a"]).get(reverse("home")))
    department = html(client_for(personas["department"]).get(reverse("home")))
    root = html(client_for(personas["root"]).get(reverse("home")))
    assert "/registry/excel/import/" in staff and "/registry/excel/import/" not in doctor
    assert reverse("registry:residents") in doctor
    assert reverse("registry:households") not in department
    assert reverse("admin:index") in root and reverse("admin:index") not in staff
