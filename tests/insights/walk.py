"""Objects for the URL walk (tests/test_url_walk.py): a kept brief in the
community on ``side``; the other insights routes take no object."""

from civicgrid.insights.models import Brief


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    community = places[f"community_{side}"]
    brief = Brief.objects.create(
        place=community,
        place_code=community.code,
        first="2026-04-01",
        last="2026-04-30",
        title=f"{community.name}2026年4月工作简报",
        body="一、基本情况\n辖区登记1户。",
        key=f"walk:{side}",
    )
    return {"brief_id": brief.pk}
