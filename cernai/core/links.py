"""Links for the rows of a list: the URL reversed once, each row's key put in.

Reversing costs tens of microseconds; a page of 50 or 100 rows with a ``{% url %}`` each spent more
time on its links than on its query."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

_ANY_PK = 987654321  # stands for a row's key in the one reversed URL


def link_for_each(viewname: str) -> Callable[[int], str]:
    """``link_for_each("app:detail")(pk)`` is ``reverse("app:detail", args=[pk])`` for an integer key."""
    url = reverse(viewname, args=[_ANY_PK])
    return lambda pk: url.replace(str(_ANY_PK), str(int(pk)))
