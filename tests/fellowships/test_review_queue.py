"""The reviewer's queue as the reviewer reads it: what is in it, in which order, what each row says, and
how it pages. The rows are cut from keys and loaded 50 at a time, so this pins what the page shows."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from fellowships.models import Application, Review, ReviewAssignment
from tests.factories import UserFactory
from tests.fellowships import factories

pytestmark = pytest.mark.django_db


def _applications(call: Any, n: int, **fields: Any) -> list[Application]:
    users = UserFactory.create_batch(n)
    site = call.host_sites.first()
    return Application.objects.bulk_create(
        [
            Application(
                call=call, applicant=u, status="submitted", host_site=site, title=f"{call.slug} plan {i}", **fields
            )
            for i, u in enumerate(users)
        ]
    )


def _rows(html: str) -> list[list[str]]:
    """The queue table's rows as the text of their cells, links kept as (href) after the text."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = []
        for cell in re.findall(r"<td>(.*?)</td>", row, re.S):
            link = re.search(r'href="([^"]+)"', cell)
            text = " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            cells.append(f"{text} ({link.group(1)})" if link else text)
        rows.append(cells)
    return rows


@pytest.fixture
def queue(states: None, reviewer: Any) -> dict[str, Any]:
    """A reviewer with 53 applications to review in two calls: a blind one closing soon (3) and an open
    one closing later (50), one of them already reviewed; and four that are not in the queue."""
    soon = factories.CallFactory(title="Blind call", blind=True, deadline=timezone.now() + timedelta(days=5))
    later = factories.CallFactory(title="Open call", deadline=timezone.now() + timedelta(days=40))
    blind = _applications(soon, 3)
    open_ = _applications(later, 50)
    withdrawn = _applications(later, 1)[0]
    withdrawn.status = "withdrawn"
    withdrawn.save(update_fields=["status"])
    conflicted, reviewed = open_[-1], open_[0]
    assignments = ReviewAssignment.objects.bulk_create(
        [ReviewAssignment(application=a, reviewer=reviewer) for a in [*reversed(blind), *open_, withdrawn]]
    )
    by_application = {a.application_id: a for a in assignments}
    ReviewAssignment.objects.filter(pk=by_application[conflicted.pk].pk).update(conflict_declared_at=timezone.now())
    own = _applications(later, 1)[0]  # the reviewer's own application, however it was assigned
    own.applicant = reviewer
    own.save(update_fields=["applicant"])
    ReviewAssignment.objects.create(application=own, reviewer=reviewer)
    # Another reviewer's assignment is not in this queue.
    ReviewAssignment.objects.create(application=open_[1], reviewer=UserFactory(groups=["Reviewers"]))
    keys = [str(c.pk) for c in later.criteria.all()]
    for revision, outdated, total in ((1, True, Decimal("41.5")), (2, False, Decimal("77.0"))):
        Review.objects.create(
            assignment=by_application[reviewed.pk],
            application=reviewed,
            revision=revision,
            scores=dict.fromkeys(keys, "4.0"),
            total_percent=total,
            outdated=outdated,
        )
    return {"blind": blind, "open": open_[:-1], "by_application": by_application, "reviewed": reviewed}


def test_the_queue_lists_what_is_to_review_by_deadline_and_pages_through_it(
    queue: dict[str, Any], reviewer: Any, login: Any
) -> None:
    client = login(reviewer)
    url = reverse("fellowships:review_queue")
    first, second = (_rows(client.get(url, {"page": n}).text) for n in (1, 2))
    expected = []
    for a in [*sorted(queue["blind"], key=lambda a: a.pk), *queue["open"]]:
        blind = a in queue["blind"]
        review_url = reverse("fellowships:review_form", args=[queue["by_application"][a.pk].pk])
        expected.append(
            [
                f"{a.reference} {a.title} ({review_url})",
                "Blind call" if blind else "Open call",
                "hidden (blind review)" if blind else a.applicant.name,
                "submitted (77.0 %)" if a == queue["reviewed"] else "to do",
            ]
        )
    assert len(expected) == 52  # not the withdrawn, conflicted or own application, nor another's
    assert first == expected[:50]
    assert second == expected[50:]
    page = client.get(url, {"page": 2}).text
    assert "2 / 2" in page and 'href="?page=1"' in page
    assert _rows(client.get(url, {"page": 99}).text) == second  # past the end: the last page
    assert _rows(client.get(url, {"page": "x"}).text) == first  # not a number: the first page


def test_the_queue_in_french_and_when_empty(queue: dict[str, Any], reviewer: Any, login: Any) -> None:
    reviewer.language = "fr"  # a signed-in person reads the portal in the profile's language
    reviewer.save(update_fields=["language"])
    rows = _rows(login(reviewer).get(reverse("fellowships:review_queue")).text)
    assert [rows[0][2:], rows[3][3], rows[4][3]] == [
        ["masqué (évaluation anonyme)", "à faire"],
        "soumise (77,0 %)",
        "à faire",
    ]
    nobody = login(UserFactory(groups=["Reviewers"]))
    assert "Nothing to review." in nobody.get(reverse("fellowships:review_queue")).text
