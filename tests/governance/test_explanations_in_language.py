"""Issue 14 §4: a ballot's result and electorate sentences are stored as data and shown in the reader's
language, whoever closed it and in whichever language; a result stored before (plain English) is
still shown as stored."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from governance.models import Ballot
from tests.governance.factories import put_in_arrears

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


def test_a_state_in_arrears_is_named_in_the_readers_language_in_its_frozen_sentence(
    members: list[Any], delegates: dict[str, Any], make_ballot: Any, login: Any
) -> None:
    from django.utils import translation
    from django_countries import countries

    state = members[1]  # recorded in English as "State <code>"
    put_in_arrears(state)
    ballot = make_ballot()  # the electorate is frozen at opening, while the chair reads English
    sci, _pol = delegates[state.iso2]
    english = login(sci).get(f"/governance/ballots/{ballot.pk}/").content.decode()
    assert f"{state.name}: arrears" in english
    sci.language = "fr"
    sci.save(update_fields=["language"])
    french = login(sci).get(f"/governance/ballots/{ballot.pk}/").content.decode()
    with translation.override("fr"):
        french_name = str(countries.name(state.iso2))
    assert french_name and french_name != state.name
    assert f"{french_name}\u00a0: " in french or f"{french_name} : " in french, french
    assert state.name not in french.split('id="state-entitlement"')[1].split("</p>")[0]
