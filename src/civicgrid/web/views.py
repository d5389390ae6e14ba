"""The home page: the cards each package registers for the signed-in user
(web.extensions.home_card), by role and scope."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from civicgrid.web.extensions import home_cards_for


@login_required
def home(request):
    user = request.user
    cards = home_cards_for(request)
    context = {
        "scope": user.scope_place or (user.organisation.place if user.organisation_id else None),
        "cards": cards,
        # Someone without the register's figures gets the list of what they can open.
        "show_links": not any(card["key"] == "registry" for card in cards),
    }
    return render(request, "web/home.html", context)


@login_required
def workbench(request):
    """工作台: every page the role may open, as buttons (the navigation's
    entries); a phone's tab bar holds only the daily few."""
    return render(request, "web/workbench.html")
