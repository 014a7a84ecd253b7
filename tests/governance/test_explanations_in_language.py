"""Issue 14 §4: a ballot's result and electorate sentences are stored as data and shown in the reader's
language, whoever closed it and in whichever language; a result stored before (plain English) is
still shown as stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from governance.models import Ballot

pytestmark = pytest.mark.django_db


def test_a_result_closed_in_english_reads_in_french_on_the_register_and_the_ballot(
    delegates: dict[str, Any], make_ballot: Any, chair: Any, login: Any
) -> None:
    ballot = make_ballot()
    _sci, pol = delegates["FR"]
    login(pol).post(f"/governance/ballots/{ballot.pk}/vote/", {"choice": "yes", "confirmed": "1"})
    runner = login(chair)  # the chair reads English
    runner.post(f"/governance/ballots/{ballot.pk}/close/")
    runner.post(f"/governance/ballots/{ballot.pk}/publish/")
    english = Client().get(f"/governance/register/{ballot.pk}/").content.decode()
    assert "Ordinary rule: simple majority of the 1 states voting" in english
    public = Client()
    public.cookies["django_language"] = "fr"
    french = public.get(f"/governance/register/{ballot.pk}/").content.decode()
    assert "Ordinary rule" not in french
    assert "Règle ordinaire" in french, french
    assert "adoptée" in french or "adopté" in french
    pol.language = "fr"
    pol.save(update_fields=["language"])
    page = login(pol).get(f"/governance/ballots/{ballot.pk}/").content.decode()
    assert '<html lang="fr"' in page and "Règle ordinaire" in page and "Ordinary rule" not in page
    api = public.get(f"/api/v1/governance/resolutions/{ballot.pk}/", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert "Règle ordinaire" in api["explanation"]


def test_a_result_stored_before_as_an_english_sentence_is_still_shown(
    make_ballot: Any, delegates: dict[str, Any], chair: Any, login: Any
) -> None:
    ballot = make_ballot()
    runner = login(chair)
    runner.post(f"/governance/ballots/{ballot.pk}/close/")
    runner.post(f"/governance/ballots/{ballot.pk}/publish/")
    Ballot.objects.filter(pk=ballot.pk).update(explanation="An old English sentence.", explanation_data=None)
    public = Client()
    public.cookies["django_language"] = "fr"
    assert "An old English sentence." in public.get(f"/governance/register/{ballot.pk}/").content.decode()
