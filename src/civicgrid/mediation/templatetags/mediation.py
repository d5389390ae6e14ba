from django import template

register = template.Library()


@register.simple_tag
def revealed_value(revealed: dict, party, field: str) -> str:
    """The clear value just revealed for (party, field), if any."""
    return revealed.get((party.pk, field), "")
