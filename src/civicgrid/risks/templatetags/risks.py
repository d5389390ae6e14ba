"""``{% household_risk household %}``: the risk panel on the registry's
household page, which knows nothing of risks beyond one include line."""

from django import template

from civicgrid.risks.views import household_risk_context

register = template.Library()


@register.inclusion_tag("risks/_risk_panel.html", takes_context=True)
def household_risk(context, household):
    request = context["request"]
    return {
        **household_risk_context(request.user, household),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }
