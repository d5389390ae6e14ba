"""Helpers every list page uses: one page of results, the results region
alone for htmx, and a safe place to go back to."""

from functools import cached_property

from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

# Counting a district's million cases costs a full scan on every page view and
# helps nobody page through them; past this many rows the list says so and
# the filters narrow it.
COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    @cached_property
    def _counted(self) -> int:
        # Without ordering, the database can stop after COUNT_CAP + 1 rows.
        return self.object_list.order_by()[: COUNT_CAP + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, COUNT_CAP)

    @property
    def capped(self) -> bool:
        return self._counted > COUNT_CAP


def page_of(request, queryset):
    return CappedPaginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))


def full_or_partial(request, template: str, partial: str, context: dict, status: int = 200):
    """The results region alone for an htmx request, the whole page otherwise
    (also when htmx restores history, which needs a full page)."""
    only_results = request.htmx and not request.htmx.history_restore_request
    response = render(request, partial if only_results else template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def safe_next(request, default: str) -> str:
    """Where to go after a POST: the ``next`` field when it stays on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and allowed else default
