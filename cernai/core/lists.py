"""Long lists: a page cut from the list's keys with its length in the same query, and the rows' links
from one reversed URL. Used by the lists that page through thousands of rows (quality.md B3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, QuerySet, Window
from django.urls import reverse

_ANY_PK = 987654321  # stands for a row's key in the one reversed URL


def page_of_keys(ordered: QuerySet[Any], number: Any, per_page: int) -> Page:
    """Page ``number`` of the keys of ``ordered`` (a queryset in the list's order), as Django's
    ``Paginator.get_page`` gives it, read with ``count(*) OVER ()``: counting apart ran the list's
    joins and filters a second time. Past the end, on an empty list, or for a DISTINCT queryset (the
    window would count its rows before DISTINCT), Django's own paging applies."""
    paginator = Paginator(ordered.values_list("pk", flat=True), per_page)
    try:
        wanted = int(number)
    except (TypeError, ValueError):
        wanted = 1
    if wanted >= 1 and not ordered.query.distinct:
        start = (wanted - 1) * per_page
        counted = ordered.annotate(list_length=Window(Count("*"))).values_list("pk", "list_length")
        rows = list(counted[start : start + per_page])
        if rows:
            paginator.count = rows[0][1]  # type: ignore[misc]  # the cached property, filled
            return Page([pk for pk, _length in rows], wanted, paginator)
    return paginator.get_page(number)


def link_for_each(viewname: str) -> Callable[[int], str]:
    """``link_for_each("app:detail")(pk)`` is ``reverse("app:detail", args=[pk])`` for an integer key:
    reversing costs tens of microseconds, and a page of 50 links spent more on them than on its query."""
    url = reverse(viewname, args=[_ANY_PK])
    return lambda pk: url.replace(str(_ANY_PK), str(int(pk)))
