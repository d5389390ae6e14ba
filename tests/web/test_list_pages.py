"""What every list page shares (civicgrid.web.pages): a count that stops at
a cap, and pages that still follow each other."""

from django.urls import reverse

from civicgrid.registry.models import Household
from civicgrid.web import pages


def test_count_stops_at_the_cap_and_says_so(personas, registry, client_for, monkeypatch, settings):
    for n in range(3):
        Household.objects.create(
            number=f"540102001001001{n + 2:04d}", grid=registry["household_a"].grid, address="x"
        )
    client = client_for(personas["admin"])
    url = reverse("registry:households")
    page = client.get(url).content.decode()
    assert "共 5 户" in page and "只计前" not in page

    monkeypatch.setattr(pages, "COUNT_CAP", 3)
    settings.PAGE_SIZE = 2
    first = client.get(url).context["page"]
    assert first.paginator.count == 3 and first.paginator.capped
    assert first.paginator.num_pages == 2
    assert "只计前 3 条" in client.get(url).content.decode()
    second = client.get(url, {"page": 2}).context["page"]
    # Pages keep their order and never repeat a row up to the cap.
    seen = [h.number for h in first] + [h.number for h in second]
    assert len(seen) == 3 and len(set(seen)) == 3 and seen == sorted(seen)


def test_a_filtered_list_under_the_cap_is_exact(personas, registry, client_for, monkeypatch):
    monkeypatch.setattr(pages, "COUNT_CAP", 1)
    client = client_for(personas["staff_a"])
    page = client.get(reverse("registry:households")).context["page"]
    assert page.paginator.count == 1 and not page.paginator.capped
