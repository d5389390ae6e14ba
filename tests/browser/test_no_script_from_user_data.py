"""No script from user data: markup is stored in every field a person can
type that a page or map shows (households, residents, places, buildings,
organisations, cases and their comments, hazards, visits, colour reasons,
volunteers, teams, activities, counters and goods, notebook needs, devices,
responders, safe zones, alarms, reminders, display names), then every page
and map that shows them is opened in chromium, tooltips and popups included.

Nothing may run (no dialog, no flag set), and the Content-Security-Policy
must report no violation at all: an escaped payload makes no element, so a
violation means either an unescaped payload or an inline script or handler
of the platform's own. One server and one browser for the whole walk."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from civicgrid.care import alarms
from civicgrid.care import services as care
from civicgrid.care.models import Device, DeviceEvent, HealthReminder, Responder
from civicgrid.cases.models import Question
from civicgrid.cases.services import case_report
from civicgrid.cases.workflow import case_move
from civicgrid.registry.models import Building, Household, Organisation
from civicgrid.risks import hazards, visits
from civicgrid.risks import services as risks
from civicgrid.volunteers import exchange
from civicgrid.volunteers.models import (
    Activity,
    CentralHouseholdKeeper,
    Counter,
    Item,
    Membership,
    Need,
    SignUp,
    Volunteer,
)
from tests.browser.conftest import log_in
from tests.factories import give

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("transactional_db"),
]

# Fits the shortest text fields (a household number: 32 characters).
SHORT = '"><img src=x onerror=alert(1)>'
LONG = SHORT + "<script>alert(2)</script><svg onload=alert(3)><a href=javascript:alert(4)>x</a>"

# Collects, in every page, what the CSP refused and anything that ran.
WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(
  [e.violatedDirective, e.blockedURI, e.sourceFile, e.lineNumber, e.sample].join(" | ")));
"""


def _seed(personas, registry, places, fire, fire_lane, rider):
    """Payloads everywhere, through the services where they take the text."""
    grid_a, household, resident = places["grid_a"], registry["household_a"], registry["resident_a"]
    staff, grid_worker = personas["staff_a"], personas["grid_a"]
    for place in (grid_a, places["community_a"]):
        place.name = SHORT
        place.save()
    grid_worker.display_name = SHORT
    grid_worker.save()
    household.number, household.address, household.note = SHORT, LONG, LONG
    household.lat, household.lon = 29.6505, 91.1505
    household.save()
    resident.name, resident.note = SHORT, LONG
    resident.save()
    Building.objects.create(grid=grid_a, name=SHORT, address=LONG, lat=29.651, lon=91.151)
    fire.name, fire.description = SHORT, LONG
    fire.save()
    team = Organisation.objects.create(
        code="team-x", name=SHORT, kind="team", place=places["community_a"], description=LONG
    )
    fire_lane.name, fire_lane.group, fire_lane.description = SHORT, SHORT, LONG
    fire_lane.save()
    Question.objects.filter(category=fire_lane).update(label=SHORT)

    case, _ = case_report(
        channel="mobile",
        category=fire_lane,
        description=LONG,
        reporter=rider,
        lat=29.6502,
        lon=91.1502,
        place=grid_a,
        address=LONG,
        reporter_name=SHORT,
        answers={"blocked_by": "car"},
        household=household,
    )
    case_move(case=case, action="comment", actor=grid_worker, note=LONG)
    case_move(case=case, action="accept", actor=staff, note=LONG)
    case_move(case=case, action="dispatch", actor=staff, note=LONG, departments=[fire])

    hazard = hazards.hazard_register(
        actor=grid_worker, household=household, kind="gas", severity="major", description=LONG
    )
    hazards.hazard_move(hazard=hazard, action="rectify", actor=staff, note=LONG)
    visits.visit_log(actor=grid_worker, household=household, notes=LONG, needs=LONG)
    risks.colour_override(actor=staff, household=household, colour="red", reason=SHORT, until=None)

    volunteer = Volunteer.objects.create(
        name=SHORT,
        community=places["community_a"],
        user=personas["resident"],
        skills=LONG,
        availability=LONG,
        work_unit=SHORT,
    )
    Membership.objects.create(volunteer=volunteer, team=team, is_leader=True)
    give(volunteer, 500)
    start = timezone.now() + timedelta(days=1)
    activity = Activity.objects.create(
        title=SHORT,
        description=LONG,
        address=LONG,
        place=places["community_a"],
        team=team,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        capacity=5,
        created_by=staff,
    )
    SignUp.objects.create(activity=activity, volunteer=volunteer)
    counter = Counter.objects.create(name=SHORT, address=LONG, place=places["community_a"])
    counter.operators.add(personas["admin"])
    item = Item.objects.create(counter=counter, name=SHORT, price=10, stock=5)
    code, _record = exchange.redemption_code_issue(volunteer=volunteer, actor=personas["resident"])
    redemption, _ = exchange.redemption_create(
        counter=counter,
        volunteer=volunteer,
        item=item,
        quantity=1,
        actor=personas["admin"],
        code=code,
    )
    central = Household.objects.create(
        number="5401020010010010009", grid=grid_a, address=LONG, is_central_household=True
    )
    household.central_household = central
    household.save()
    CentralHouseholdKeeper.objects.create(user=personas["doctor_a"], household=central)
    Need.objects.create(
        central=central, neighbour=household, text=LONG, category="other", recorded_by=staff
    )

    device = Device.objects.create(ident=SHORT, model=SHORT, kind=Device.Kind.CHILD_TRACKER)
    care.device_bind(actor=None, device=device, resident=resident)
    care.responder_add(actor=None, device=device, kind=Responder.Kind.GUARDIAN, name=SHORT)
    care.responder_add(actor=None, device=device, kind=Responder.Kind.DUTY_STAFF, user=staff)
    care.geofence_save(
        actor=None,
        name=SHORT,
        kind="circle",
        device=device,
        center_lat=29.65,
        center_lon=91.15,
        radius_m=200,
    )
    now = timezone.now()
    device.lat, device.lon, device.last_seen_at = 29.6503, 91.1503, now
    device.save()
    event = DeviceEvent.objects.create(
        device=device, msg_id="x1", type="sos", at=now, lat=29.6503, lon=91.1503
    )
    alarm = alarms.alarm_open(device=device, event=event, kind="sos", now=now)
    alarms.alarm_move(alarm=alarm, action="acknowledge", actor=staff, note=LONG, now=now)
    HealthReminder.objects.create(
        resident=resident, doctor=personas["doctor_a"], what=SHORT, time_of_day=time(8, 0),
        weekdays=[0, 1, 2, 3, 4, 5, 6], place_code=grid_a.code,
    )  # fmt: skip
    return {
        "case": case,
        "hazard": hazard,
        "household": household,
        "resident": resident,
        "volunteer": volunteer,
        "activity": activity,
        "counter": counter,
        "redemption": redemption,
        "device": device,
        "alarm": alarm,
        "place": grid_a,
    }


def _check(page, where: str, ran: list) -> None:
    violations = page.evaluate("window.__violations")
    assert not violations, f"{where}: {violations}"
    assert not ran, f"{where}: {ran}"


def _open(page, url: str, ran: list, ready: str = "main") -> None:
    response = page.goto(url)
    assert response.status < 400, f"{url}: {response.status}"
    page.locator(ready).first.wait_for()
    _check(page, url, ran)


def _hover_everything(page) -> None:
    """Open every tooltip: Leaflet builds its content when it opens."""
    page.eval_on_selector_all(
        ".leaflet-interactive, .leaflet-marker-icon",
        "els => els.forEach((el) => el.dispatchEvent(new MouseEvent('mouseover', {bubbles: 1})))",
    )


def test_no_stored_payload_runs_on_any_page_or_map(
    phone, personas, registry, places, fire, fire_lane, rider
):
    w = _seed(personas, registry, places, fire, fire_lane, rider)
    ran: list = []

    def browse(username: str):
        context = phone()
        context.add_init_script(WATCH)
        page = log_in(context, username)
        page.on("dialog", lambda d: (ran.append(f"dialog {d.message}"), d.dismiss()))
        page.on("pageerror", lambda e: ran.append(f"error {e}"))
        return page

    admin = browse("admin")
    pages = [
        "/",
        "/registry/places/",
        f"/registry/places/{w['place'].pk}/",
        "/registry/households/",
        f"/registry/households/{w['household'].pk}/",
        f"/registry/households/{w['household'].pk}/edit/",
        "/registry/residents/",
        f"/registry/residents/{w['resident'].pk}/",
        "/registry/organisations/",
        "/risks/hazards/",
        f"/risks/hazards/{w['hazard'].pk}/",
        "/risks/today/",
        f"/risks/households/{w['household'].pk}/visit/",
        f"/cases/{w['case'].pk}/",
        "/cases/figures/",
        "/notices/",
        "/volunteers/",
        f"/volunteers/{w['volunteer'].pk}/",
        "/volunteers/activities/",
        f"/volunteers/activities/{w['activity'].pk}/",
        "/volunteers/activities/new/",
        "/volunteers/exchange/",
        f"/volunteers/exchange/{w['counter'].pk}/?volunteer={w['volunteer'].number}",
        f"/volunteers/exchange/receipts/{w['redemption'].pk}/",
        "/volunteers/notebook/",
        "/volunteers/figures/",
        f"/care/alarms/{w['alarm'].pk}/",
        "/care/devices/",
        f"/care/devices/{w['device'].pk}/",
        "/account/",
    ]
    for url in pages:
        _open(admin, url, ran)

    # The people's-condition map, every layer on, every tooltip and a card.
    admin.goto("/risks/map/")
    admin.wait_for_selector("path.household")
    admin.get_by_label("关爱设备").check()
    admin.wait_for_selector("path.device")
    admin.wait_for_selector("path.hazard")
    admin.wait_for_selector("path.case")
    _hover_everything(admin)
    admin.locator(".leaflet-tooltip").first.wait_for()
    assert SHORT in admin.locator(".leaflet-tooltip-pane").inner_text()
    admin.locator("path.household").first.click(force=True)
    admin.locator("#card .household-card").wait_for()
    _check(admin, "the map", ran)

    # The case list's map: pins with popups, grids with tooltips.
    admin.goto("/cases/")
    admin.locator("details.casemap summary").click()
    # Grids are drawn at once, pins when their fetch answers: wait for a pin.
    admin.wait_for_selector(".casemap path.case-pin")
    _hover_everything(admin)
    admin.locator(".casemap path.case-pin").last.click(force=True)
    admin.locator(".leaflet-popup-content a").wait_for()
    _check(admin, "the case map", ran)

    # The duty console streams its rows; the alarm row arrives rendered.
    admin.goto("/care/")
    admin.locator("[data-alarm-rows] tr").first.wait_for()
    _check(admin, "the duty console", ran)

    for username, urls in {
        "rider": ["/cases/mine/", "/cases/report/"],
        "fire": ["/cases/queue/"],
        "resident": ["/volunteers/me/"],
        "doctor_a": ["/care/reminders/", "/volunteers/notebook/"],
        "staff_a": ["/cases/new/", "/volunteers/new/"],
        "root": ["/admin/registry/household/", "/admin/registry/resident/", "/admin/access/user/"],
        "grid_a": ["/api/v1/docs"],
    }.items():
        page = browse(username)
        for url in urls:
            # The API's Swagger page renders into its own box once the schema has loaded.
            _open(
                page,
                url,
                ran,
                ready=".swagger-ui .info >> visible=true" if url.endswith("/docs") else "main",
            )
    assert not ran
