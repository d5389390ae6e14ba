"""``{% panels "household" household %}``: the panels other packages register
for an object's page (``web.extensions.panel``)."""

from django import template

from civicgrid.web.extensions import panels_for

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context, on: str, obj):
    return panels_for(context["request"], on, obj)
