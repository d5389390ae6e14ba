from django import template

from civicgrid.volunteers import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def household_links(context, household):
    """For a household card: the neighbours a central household looks after
    and the latest needs about this household or its neighbours, in scope."""
    return selectors.household_links(user=context["request"].user, household=household)
