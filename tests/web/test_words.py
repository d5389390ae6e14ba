"""Words and small things every page shares: each language named in itself,
请选择 for an empty choice, the platform's own 404 and 500 pages, a favicon."""

from django.test import Client
from django.urls import reverse

from civicgrid.registry.forms import HouseholdForm


def test_language_switcher_names_each_language_in_itself(db):
    for language in ("zh-hans", "en"):
        page = Client(headers={"Accept-Language": language}).get("/login/").content.decode()
        assert '<option value="en" lang="en"' in page and ">English</option>" in page
        assert ">简体中文</option>" in page


def test_an_empty_choice_says_please_choose(personas):
    from django.utils import translation

    with translation.override("zh-hans"):
        html = str(HouseholdForm(user=personas["staff_a"]))
    assert "---------" not in html and "请选择" in html
    with translation.override("en"):
        html = str(HouseholdForm(user=personas["staff_a"]))
    assert "---------" not in html


def test_404_and_500_are_the_platforms_pages(personas, client_for, settings):
    missing = client_for(personas["staff_a"]).get("/registry/households/999999/")
    assert missing.status_code == 404
    page = missing.content.decode()
    assert "找不到页面" in page and 'class="topbar"' in page and "favicon.svg" in page

    from django.template.loader import render_to_string

    broken = render_to_string("500.html")
    assert "服务器出错" in broken and "web/site.css" in broken


def test_debug_is_off_unless_asked_for(monkeypatch, tmp_path):
    """The demo shows these pages, not Django's technical ones."""
    from tests.test_settings_env import _settings

    monkeypatch.delenv("DEBUG", raising=False)
    assert _settings(monkeypatch, {"CIVICGRID_DATA_DIR": str(tmp_path)})["DEBUG"] is False
    asked = {"CIVICGRID_DATA_DIR": str(tmp_path), "DEBUG": "true"}
    assert _settings(monkeypatch, asked)["DEBUG"] is True


def test_favicon_is_served(db):
    response = Client().get("/static/web/favicon.svg")
    assert response.status_code == 200
    assert reverse("home") == "/"


def test_api_errors_follow_the_requests_language(personas, api_for):
    api = api_for(personas["staff_a"])
    english = api.get("/api/v1/households/999999", headers={"Accept-Language": "en"})
    chinese = api.get("/api/v1/households/999999", headers={"Accept-Language": "zh-hans"})
    assert english.json()["detail"] == "Not found, or not within your scope."
    assert chinese.json()["detail"] == "没有找到，或不在您的管辖范围内。"
    refused = api.get("/api/v1/households", {"colour": "blue"}, headers={"Accept-Language": "en"})
    assert refused.status_code == 400 and "valid choice" in refused.json()["detail"]


def test_labels_end_in_no_colon(personas):
    from django.utils import translation

    from civicgrid.risks.forms import VisitForm

    with translation.override("zh-hans"):
        html = str(VisitForm())
    assert '<label for="id_at">走访时间</label>' in html
    assert "走访时间:" not in html and "走访时间\uff1a" not in html


def test_demo_login_page_lists_the_demo_accounts(db, personas, settings):
    from civicgrid.access.models import AuditLog
    from civicgrid.access.roles import Role
    from civicgrid.demo.accounts import DEMO_PASSWORD
    from tests.conftest import _user

    _user("grid01", Role.GRID_WORKER)
    before = Client().get("/login/").content.decode()
    assert "演示账号" not in before  # no demo loaded: nothing listed
    AuditLog.objects.create(action=AuditLog.Action.IMPORT, object_type="demo", note="demo")
    page = Client().get("/login/").content.decode()
    assert "演示账号" in page and "<code>grid01</code>" in page and "网格员" in page
    assert f"密码都是 {DEMO_PASSWORD}" in page
    assert "<code>zexin</code>" not in page  # only accounts that exist
    settings.PRODUCTION = True
    assert "演示账号" not in Client().get("/login/").content.decode()


def test_worker_and_login_logs_are_quiet_at_the_default_level():
    import logging

    for name in ("django_tasks", "django_tasks_db", "axes.handlers.database"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING, name
    assert logging.getLogger("civicgrid.ops.management.commands.worker").isEnabledFor(
        logging.WARNING
    )
