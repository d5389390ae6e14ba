import time

from django.contrib.auth import get_user_model

from civicgrid.demo.inspections import CAMPAIGN, load_inspections
from civicgrid.inspections import draws, selectors
from civicgrid.inspections.models import Business, Campaign, Equipment


def test_the_holiday_campaign_has_the_seeds_figures(places, personas):
    started = time.monotonic()
    counts = load_inspections()
    elapsed = time.monotonic() - started
    assert counts["businesses"] == 320 and counts["orders"] >= 1
    assert elapsed < 10, elapsed
    inspector = get_user_model().objects.get(username="inspector")
    assert inspector.role == "inspector" and inspector.scope_place == places["district"]
    campaign = Campaign.objects.get(name=CAMPAIGN)
    assert draws.draw_verify(campaign)
    figures = selectors.figures(user=personas["admin"], campaign=campaign)
    assert figures["inspected"] == 8
    assert figures["special_checked"] == 28 and figures["measuring_checked"] == 17
    assert figures["fixed_on_spot"] == 1 and figures["problems_ordered"] == 8
    assert figures["major_violations"] == 0
    kinds = {d.business.kind for d in campaign.draws.select_related("business")}
    assert kinds <= {"restaurant", "pharmacy", "supermarket", "jewellery"}
    assert Equipment.objects.filter(next_verification_on__lt=campaign.starts_on).exists()
    # A reload replaces, never doubles.
    load_inspections()
    assert Business.objects.count() == 320 and Campaign.objects.count() == 1
