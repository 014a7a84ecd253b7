"""Stored explanations are recipes (cernai.core.sentences): made in one language, read in another."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.utils import translation

from cernai.core import sentences
from fellowships import eligibility
from governance import tally


def test_a_tally_made_in_english_is_read_in_french_and_back() -> None:
    with translation.override("en"):
        result = tally.tally(
            kind="ordinary", yes=5, no=2, abstain=1, electorate=tally.Electorate(all_states=10, entitled=10, present=9)
        )
    assert result.explanation.startswith("Ordinary rule: simple majority of the 7 states voting")
    stored = json.loads(json.dumps(sentences.data(result.explanation)))  # as a JSON column keeps it
    with translation.override("fr"):
        french = sentences.render(stored)
    assert french.startswith("Règle ordinaire : majorité simple des 7 États votants"), french
    assert "1 abstention non comptée" in french and "adoptée" in french, french
    with translation.override("en"):
        assert sentences.render(stored) == result.explanation


def test_an_eligibility_check_keeps_its_nested_parts_and_old_rows_render_as_stored() -> None:
    deadline = datetime(2026, 3, 1, 16, tzinfo=UTC)
    with translation.override("en"):
        result = eligibility.check_senior(
            highest_degree="phd", phd_date=date(2020, 3, 1), masters_date=None, deadline=deadline, tz=ZoneInfo("UTC")
        )
    stored = result.as_dict()
    assert stored["reason"] == "Senior: 6.0 years after the PhD; at most 10.0 is allowed."
    with translation.override("fr"):
        french = sentences.render(stored["sentence"])
    assert "6.0 années après" in french and "years" not in french and "the PhD" not in french, french
    assert sentences.render("An English sentence stored long ago.") == "An English sentence stored long ago."
    assert sentences.render(None) == ""
