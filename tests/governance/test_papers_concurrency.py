"""Issue 9 item 5: papers of one session published at the same moment, each on its own connection,
get distinct consecutive numbers (the session's counter row queues them; the symbol is unique in
the database), including the very first publications, which race to create that row."""

from __future__ import annotations

from typing import Any

import pytest

from governance import papers
from governance.models import Paper
from tests.governance.factories import AgendaItemFactory, SessionFactory, make_paper
from tests.governance.test_concurrency import run_at_once

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_papers_published_at_once_get_distinct_numbers(secretariat: Any) -> None:
    session = SessionFactory(title="Spring session")
    item = AgendaItemFactory(session=session)
    drafts = [make_paper(item, f"Paper {i}", owner=secretariat, publish=False) for i in range(8)]
    results = run_at_once(
        [lambda p=p: papers.publish_paper(actor=secretariat, paper_id=p.pk).symbol for p in drafts]  # type: ignore[misc]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results, key=lambda s: int(s.rsplit("/", 1)[1])) == [f"C/{session.pk}/{n}" for n in range(1, 9)]
    assert sorted(Paper.objects.filter(item=item).values_list("number", flat=True)) == list(range(1, 9))
