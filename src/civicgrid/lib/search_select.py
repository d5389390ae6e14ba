"""Choosing one of thousands of records by typing, not from a select box of
all of them (15,900 households made the notebook page 1.86 MB).

``SearchSelect`` is a text input tied to a ``<datalist>``: as the user types,
htmx asks ``search_url`` (``?field=<name>&<name>=<text>``: htmx sends the
input under its own name) for ``<option>`` rows, rendered by
``options_response``; the value sent is the record's key (``to_field_name``
of the ModelChoiceField, e.g. a household's number), resolved inside the
field's queryset, so a key outside the user's scope is an invalid choice as
with any select. A short list stays a plain select (``searchable``)."""

from django import forms
from django.shortcuts import render

SHORT_LIST = 50  # at most this many choices: a select box is quicker
FOUND_AT_MOST = 20


class SearchSelect(forms.TextInput):
    template_name = "lib/search_select.html"

    def __init__(self, search_url: str, attrs=None):
        super().__init__(attrs)
        self.search_url = search_url

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        joiner = "&" if "?" in self.search_url else "?"
        context["widget"]["search_url"] = f"{self.search_url}{joiner}field={name}"
        context["widget"]["list_id"] = f"{attrs.get('id') or name}-found"
        return context

    def format_value(self, value):
        # The field's initial value is an object or its pk: show its key.
        return "" if value is None else str(value)


def searchable(field: forms.ModelChoiceField, *, search_url: str) -> None:
    """Make ``field`` a search box when its queryset is longer than a select should be."""
    if field.queryset.count() > SHORT_LIST:
        field.widget = SearchSelect(search_url)


def typed(request) -> str:
    """What the user has typed so far (see ``SearchSelect``)."""
    return request.GET.get(request.GET.get("field", "q"), "").strip()[:50]


def options_response(request, rows, *, key, label):
    """The ``<option>`` rows for what was typed: ``rows`` already filtered by
    the caller; ``key(row)`` is the value sent, ``label(row)`` what is shown."""
    found = [{"key": key(row), "label": label(row)} for row in rows[:FOUND_AT_MOST]]
    return render(request, "lib/search_options.html", {"found": found})
