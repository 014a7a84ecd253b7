"""Query counts pinned at two data sizes: the dashboard and the notifications list do not make a
query per notification."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cernai.core.models import Notification


def give_notifications(user: Any, n: int) -> None:
    Notification.objects.filter(recipient=user).delete()
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                kind="core.test",
                dedupe_key=f"q-{i}",
                subject=f"Subject {i}",
                body_text=f"Body {i}",
                url="/profile/" if i % 2 else "",
                email_status=Notification.EmailStatus.NONE,
                read_at=None if i % 3 else timezone.now(),
            )
            for i in range(n)
        ]
    )


def queries(client: Any, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured)


@pytest.mark.parametrize("path", ["/dashboard/", "/notifications/", "/notifications/?page=2"])
@pytest.mark.parametrize("persona", ["applicant", "reviewer", "secretariat"])
def test_same_number_of_queries_with_5_and_200_notifications(
    path: str, persona: str, request: Any, login: Any, django_assert_num_queries: Any
) -> None:
    user = request.getfixturevalue(persona)
    client = login(user)
    give_notifications(user, 30 if "page=2" in path else 5)
    small = queries(client, path)
    give_notifications(user, 200)
    with django_assert_num_queries(small):
        client.get(path)
    # The foundation's share (session, user, unread count, page) stays small.
    assert small <= 25, small


def test_who_a_person_is_costs_the_page_the_same_queries_however_many_roles_they_hold(
    applicant: Any, chair: Any, login: Any
) -> None:
    """Roles, the menu and the second-factor check come from one query, so a person holding many
    roles (the Council's chair, a delegate, in the secretariat) pays what an applicant pays."""
    from django.contrib.auth.models import Group

    from cernai.accounts import roles
    from tests.governance.factories import MemberStateFactory, appoint

    appoint(MemberStateFactory(iso2="FR", name="France"), "scientific", user=chair)
    chair.groups.add(Group.objects.get_or_create(name=roles.SECRETARIAT)[0])
    everyone, many = login(applicant), login(chair)
    give_notifications(applicant, 5)
    give_notifications(chair, 5)
    for client in (everyone, many):  # the first request of a client stores its session and token
        client.get("/notifications/")

    with CaptureQueriesContext(connection) as plain:
        page = everyone.get("/notifications/").content.decode()
    assert 'href="/governance/"' not in page and 'href="/fellowships/staff/"' not in page
    with CaptureQueriesContext(connection) as holder:
        page = many.get("/notifications/").content.decode()
    assert 'href="/governance/"' in page and 'href="/fellowships/staff/"' in page
    assert len(holder) == len(plain), [q["sql"][:120] for q in holder.captured_queries]
