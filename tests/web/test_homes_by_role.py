"""Each role's phone has a bottom tab bar of its daily actions and 工作台 of
the rest, and each role's home leads with its work."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from civicgrid.access.roles import Role
from civicgrid.web.extensions import TAB_LIMIT, tabs_for
from tests.risks.conftest import located, new_hazard  # noqa: F401
from tests.volunteers.conftest import counter, operator, volunteer, volunteer_user  # noqa: F401


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def tab_labels(page: str) -> list[str]:
    """The tab bar's labels (an unread count's badge left out)."""
    bar = page[page.index('<nav class="tabbar"') :]
    bar = bar[: bar.index("</nav>")]
    links = re.findall(r"<a [^>]*>(.*?)</a>", bar)
    return [re.sub(r'<span class="badge">\d+</span>', "", link).strip() for link in links]


@pytest.mark.parametrize(
    ("persona", "tabs"),
    [
        ("grid_a", ["民情地图", "今日走访", "随手拍", "通知", "工作台"]),
        ("staff_a", ["民情地图", "事件", "值班台", "通知", "工作台"]),
        ("department", ["部门待办", "通知", "工作台"]),
        ("doctor_a", ["值班台", "健康提醒", "通知", "工作台"]),
        ("resident", ["随手拍", "我的上报", "通知", "工作台"]),
    ],
)
def test_a_roles_tab_bar_holds_its_daily_actions_then_workbench(
    personas, client_for, persona, tabs
):
    page = html(client_for(personas[persona]).get(reverse("home")))
    assert tab_labels(page) == tabs
    assert len(tabs_for(personas[persona])) <= TAB_LIMIT


def test_workbench_lists_everything_the_role_may_open(personas, client_for):
    page = html(client_for(personas["staff_a"]).get(reverse("workbench")))
    for url in ("/registry/households/", "/registry/excel/import/", "/risks/hazards/", "/cases/"):
        assert f'class="tile" href="{url}"' in page
    assert 'href="/admin/"' not in page
    assert client_for(personas["department"]).get(reverse("workbench")).status_code == 200
    assert client_for(personas["staff_a"]).logout() is None


def test_anonymous_is_sent_to_login_from_the_workbench(client):
    assert client.get(reverse("workbench")).status_code == 302


def test_grid_workers_home_leads_with_visits_due_and_snap_report(
    personas,
    client_for,
    registry,
    new_hazard,  # noqa: F811
):
    new_hazard("major")  # a red household is due today
    page = html(client_for(personas["grid_a"]).get(reverse("home")))
    work = page[page.index('aria-labelledby="home-today"') :]
    assert registry["household_a"].address in work
    assert reverse("risks:visit_new", args=[registry["household_a"].pk]) in work
    assert reverse("cases:report") in work
    assert '<ul class="links">' not in page


def test_doctors_home_leads_with_alarms_and_reminders(personas, client_for):
    page = html(client_for(personas["doctor_a"]).get(reverse("home")))
    assert "未处理告警" in page and "今日待完成提醒" in page
    assert "没有未处理的告警和今日提醒" in page


def test_volunteers_home_shows_points_and_next_activity(
    personas,
    client_for,
    volunteer,  # noqa: F811
    places,
):
    from civicgrid.volunteers import activities
    from civicgrid.volunteers.models import Activity

    start = timezone.now() + timedelta(days=2)
    activity = Activity.objects.create(
        title="义务理发", place=places["community_a"], starts_at=start,
        ends_at=start + timedelta(hours=2), capacity=5, created_by=personas["staff_a"],
    )  # fmt: skip
    activities.signup_create(activity=activity, volunteer=volunteer, actor=volunteer.user)
    assert volunteer.user.role == Role.VOLUNTEER
    page = html(client_for(volunteer.user).get(reverse("home")))
    assert "可用积分" in page and "义务理发" in page
    assert reverse("volunteers:activity", args=[activity.pk]) in page


def test_counters_home_leads_with_its_redeem_button(client_for, operator, counter):  # noqa: F811
    page = html(client_for(operator).get(reverse("home")))
    assert reverse("volunteers:counter", args=[counter.pk]) in page
    assert f"在{counter.name}兑换" in page
