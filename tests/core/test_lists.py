"""A page of a long list cut from its keys, counted in the same query: Django's paging, one query less."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cernai.core.lists import link_for_each, page_of_keys
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_page_of_keys_pages_like_django_in_one_query() -> None:
    from cernai.accounts.models import User

    keys = [u.pk for u in UserFactory.create_batch(7, name="Listed")]
    listed = User.objects.filter(name="Listed").order_by("-pk")
    with CaptureQueriesContext(connection) as one:
        page = page_of_keys(listed, "2", 3)
    assert len(one) == 1
    assert (list(page), page.number, page.paginator.count, page.paginator.num_pages) == (keys[3:0:-1], 2, 7, 3)
    assert page.has_previous() and page.has_next()

    def shown(number: Any, queryset: Any = listed) -> tuple[list[int], int]:
        page = page_of_keys(queryset, number, 3)
        return list(page), page.number

    assert shown("x") == shown(None) == (keys[:3:-1], 1)  # not a number: the first page
    assert shown(99) == shown(0) == ([keys[0]], 3)  # out of range: the last page, as Django gives it
    assert shown(3, listed.distinct()) == ([keys[0]], 3)  # DISTINCT: counted apart
    assert shown(1, User.objects.none().order_by("pk")) == ([], 1)  # an empty list has its one page


def test_a_link_for_each_row_is_the_reversed_url() -> None:
    from django.urls import reverse

    link = link_for_each("core:notification_read")
    assert [link(pk) for pk in (1, 98765, 987654321)] == [
        reverse("core:notification_read", args=[pk]) for pk in (1, 98765, 987654321)
    ]
