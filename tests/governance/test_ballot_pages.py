"""Issue 9 sections 3 and 4 through the pages: quorum at opening with the chair's quorum line, entitlement on
every step of casting, what a delegation sees of its own vote (turnout, status, receipts, joint
mode), and the papers of its sessions."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.cache import cache

from governance import selectors
from governance.models import Appointment, Ballot, MemberState
from tests.governance.factories import appoint, make_paper, put_in_arrears

pytestmark = pytest.mark.django_db


def messages_after(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_chair_sees_the_quorum_line_and_opening_without_quorum_is_refused(
    members: list[MemberState], session: Any, chair: Any, login: Any, delegates: dict[str, Any]
) -> None:
    session.attendances.exclude(state__in=members[:11]).delete()
    ballot = Ballot.objects.get(pk=_draft(session).pk)
    client = login(chair)
    page = client.get(f"/governance/ballots/{ballot.pk}/").content.decode()
    line = "a majority of the 23 states entitled to vote = 12 needed present; 11 present → no quorum"
    assert line in page
    refused = client.post(f"/governance/ballots/{ballot.pk}/open/")
    assert any(line in m for m in messages_after(refused))
    ballot.refresh_from_db()
    assert ballot.status == Ballot.Status.DRAFT
    # One more delegation checks in on the session page: the quorum is met and the ballot opens.
    twelfth = members[11]
    login(delegates[twelfth.iso2][0]).post(f"/governance/sessions/{session.pk}/check-in/")
    page = client.get(f"/governance/ballots/{ballot.pk}/").content.decode()
    assert "12 present → quorum met" in page
    opened = client.post(f"/governance/ballots/{ballot.pk}/open/")
    assert "The ballot is open." in messages_after(opened)
    ballot.refresh_from_db()
    assert (ballot.status, ballot.present_count) == (Ballot.Status.OPEN, 12)


def _draft(session: Any) -> Ballot:
    from tests.governance.factories import AgendaItemFactory, BallotFactory, MotionFactory

    return BallotFactory(motion=MotionFactory(item=AgendaItemFactory(session=session), title="Draft motion"))


@pytest.mark.parametrize("who", ["associate", "arrears", "adviser"])
def test_the_confirmation_step_refuses_whoever_the_cast_would_refuse(
    who: str, members: list[MemberState], associate: MemberState, make_ballot: Any, login: Any
) -> None:
    if who == "associate":
        user, reason = appoint(associate, Appointment.Role.SCIENTIFIC), "associate member: sits without a vote"
    elif who == "arrears":
        italy = members[5]
        put_in_arrears(italy)
        user, reason = appoint(italy, Appointment.Role.SCIENTIFIC), "in arrears, without a voting authorisation"
    else:
        from governance.models import Adviser
        from tests.factories import UserFactory

        user = UserFactory(email="adviser@example.org", mfa=True)
        Adviser.objects.create(state=members[0], user=user, start="2020-01-01")
        reason = "Only a serving delegate of a member state can vote"
    ballot = make_ballot()
    response = login(user).post(f"/governance/ballots/{ballot.pk}/confirm/", {"choice": "yes"})
    assert response.status_code == 302
    assert any(reason in m for m in messages_after(response))
    follow = login(user).get(response["Location"]).content.decode()
    assert "Confirm my vote" not in follow
    assert not ballot.votes.exists()


def test_delegates_see_turnout_their_state_vote_and_their_receipt_on_the_ballot_and_dashboard(
    delegates: dict[str, Any], make_ballot: Any, login: Any
) -> None:
    ballot = make_ballot()
    sci, pol = delegates["FR"]
    client = login(pol)
    before = client.get(f"/governance/ballots/{ballot.pk}/").content.decode()
    assert "0 of 23 states have voted." in before
    assert "Your state has not voted yet" in before
    done = client.post(f"/governance/ballots/{ballot.pk}/vote/", {"choice": "no", "confirmed": "1"})
    receipt = re.search(r'<code id="receipt">([0-9A-F-]+)</code>', done.content.decode()).group(1)  # type: ignore[union-attr]
    # Leaves, comes back: the ballot page and the dashboard show the state's vote and the receipt.
    again = login(pol).get(f"/governance/ballots/{ballot.pk}/").content.decode()
    assert "1 of 23 states have voted." in again
    assert "Your state voted no" in again
    assert receipt in again
    dashboard = login(pol).get("/dashboard/").content.decode()
    assert receipt in dashboard and "your state voted no" in dashboard
    # The co-delegate sees the state's vote; the receipt was given to Paul, not to her.
    co = login(sci).get(f"/governance/ballots/{ballot.pk}/").content.decode()
    assert "Your state voted no" in co and receipt not in co
    assert login(sci).get(f"/governance/ballots/{ballot.pk}/turnout/").status_code == 200


def test_a_vote_cast_from_the_confirmation_form_with_htmx_returns_the_receipt_alone(
    delegates: dict[str, Any], make_ballot: Any, login: Any
) -> None:
    """With JavaScript the confirmation form posts with htmx and swaps only the receipt into the page;
    the co-delegate's refused cast sends the browser to the ballot page, which shows the refusal."""
    ballot = make_ballot()
    sci, pol = delegates["FR"]
    htmx = {"HX-Request": "true", "HX-Target": "main"}
    done = login(pol).post(f"/governance/ballots/{ballot.pk}/vote/", {"choice": "yes", "confirmed": "1"}, headers=htmx)
    fragment = done.content.decode()
    assert done.status_code == 200
    assert re.search(r'<code id="receipt">[0-9A-F-]+</code>', fragment)
    assert "<title>Vote recorded · cernai</title>" in fragment  # htmx sets the window's title from it
    assert "site-header" not in fragment and "<html" not in fragment  # not a whole page in the page
    co = login(sci)
    refused = co.post(f"/governance/ballots/{ballot.pk}/vote/", {"choice": "no", "confirmed": "1"}, headers=htmx)
    assert refused.headers["HX-Redirect"] == f"/governance/ballots/{ballot.pk}/"
    page = co.get(refused.headers["HX-Redirect"]).content.decode()
    assert "has already voted: cast by" in page
    unconfirmed = co.post(f"/governance/ballots/{ballot.pk}/vote/", {"choice": "no"}, headers=htmx)
    assert unconfirmed.headers["HX-Redirect"] == f"/governance/ballots/{ballot.pk}/"
    assert "Confirm your vote to cast it." in co.get(unconfirmed.headers["HX-Redirect"]).content.decode()


def test_joint_mode_shows_waiting_and_split_and_publishes_every_delegates_receipt(
    delegates: dict[str, Any], make_ballot: Any, chair: Any, login: Any, client: Any
) -> None:
    ballot = make_ballot(mode=Ballot.Mode.JOINT)
    sci, pol = delegates["FR"]

    def submit(user: Any, choice: str) -> str:
        page = login(user).post(f"/governance/ballots/{ballot.pk}/vote/", {"choice": choice, "confirmed": "1"})
        return re.search(r'<code id="receipt">([0-9A-F-]+)</code>', page.content.decode()).group(1)  # type: ignore[union-attr]

    sci_receipt = submit(sci, "yes")
    assert "Waiting for your co-delegate" in login(sci).get(f"/governance/ballots/{ballot.pk}/").content.decode()
    assert "waiting for you" in login(pol).get(f"/governance/ballots/{ballot.pk}/").content.decode()
    pol_receipt = submit(pol, "no")
    split = login(sci).get(f"/governance/ballots/{ballot.pk}/").content.decode()
    assert "Split: your delegates submitted different choices" in split
    assert "split" in login(pol).get("/dashboard/").content.decode()
    pol_receipt_again = submit(pol, "yes")
    assert pol_receipt_again == pol_receipt  # a revised key keeps its receipt
    agreed = login(pol).get(f"/governance/ballots/{ballot.pk}/").content.decode()
    assert "Your state voted yes" in agreed and pol_receipt in agreed and sci_receipt not in agreed
    runner = login(chair)
    runner.post(f"/governance/ballots/{ballot.pk}/close/")
    runner.post(f"/governance/ballots/{ballot.pk}/publish/")
    published = client.get(f"/governance/register/{ballot.pk}/").content.decode()
    assert sci_receipt in published and pol_receipt in published
    api = client.get(f"/api/v1/governance/resolutions/{ballot.pk}/").json()
    assert {(r["receipt"], r["choice"]) for r in api["receipts"]} == {(sci_receipt, "yes"), (pol_receipt, "yes")}


def test_delegates_download_the_papers_of_their_sessions(
    delegates: dict[str, Any], session: Any, secretariat: Any, login: Any, make_ballot: Any
) -> None:
    ballot = make_ballot()
    make_paper(ballot.motion.item, "Medium-term plan", owner=secretariat, content=b"%PDF-1.4 medium-term plan")
    client = login(delegates["FR"][0])
    page = client.get(f"/governance/sessions/{session.pk}/").content.decode()
    link = re.search(r'href="(/governance/papers/\d+/)">Medium-term plan', page).group(1)  # type: ignore[union-attr]
    response = client.get(link)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-1.4 medium-term plan")


def test_a_motion_is_withdrawn_before_its_ballot_opens_with_a_reason_shown_on_it(
    session: Any, chair: Any, delegate_fr_sci: Any, login: Any, make_ballot: Any
) -> None:
    draft = _draft(session)
    motion = draft.motion
    runner = login(chair)
    url = f"/governance/motions/{motion.pk}/withdraw/"
    assert login(delegate_fr_sci).post(url, {"reason": "No."}).status_code == 403
    blank = runner.post(url, {"reason": "  "})
    assert "Say why the motion is withdrawn." in messages_after(blank)
    done = runner.post(url, {"reason": "Superseded by the revised plan."})
    assert done["Location"] == f"/governance/sessions/{session.pk}/"
    motion.refresh_from_db()
    assert motion.status == "withdrawn"
    shown = login(delegate_fr_sci).get(f"/governance/sessions/{session.pk}/").content.decode()
    assert "Superseded by the revised plan." in shown
    assert "Superseded by the revised plan." in runner.get(f"/governance/ballots/{draft.pk}/").content.decode()
    refused = runner.post(f"/governance/ballots/{draft.pk}/open/")
    assert "The motion was withdrawn: its ballot cannot open." in messages_after(refused)
    # Once a ballot has opened, the motion stays.
    opened = make_ballot()
    late = runner.post(f"/governance/motions/{opened.motion_id}/withdraw/", {"reason": "Too late."})
    assert "A motion can be withdrawn only before its ballot opens." in messages_after(late)


def test_live_turnout_names_the_first_fifty_states_yet_to_vote_by_name(
    delegates: dict[str, Any], session: Any, make_ballot: Any, login: Any
) -> None:
    """The polled partial: how many states voted, and who has not yet, alphabetically (whatever order the
    states were recorded in), fifty named and the rest counted."""
    from governance.models import Attendance
    from tests.governance.factories import MemberStateFactory

    late = [MemberStateFactory(iso2=f"X{chr(65 + i)}", name=f"Zone {i:02d}") for i in reversed(range(26))]
    late += [MemberStateFactory(iso2=f"Y{chr(65 + i)}", name=f"Zone {26 + i:02d}") for i in reversed(range(4))]
    late.append(MemberStateFactory(iso2="YZ", name="Albania"))
    Attendance.objects.bulk_create([Attendance(session=session, state=s) for s in late])
    ballot = make_ballot()
    client = login(delegates["FR"][0])

    def turnout() -> tuple[str, list[str], str]:
        html = " ".join(client.get(f"/governance/ballots/{ballot.pk}/turnout/").content.decode().split())
        found = re.search(r"<strong>(.*?)</strong>.*Not yet voted: (.*?)( and \d+ more)?</p>", html)
        assert found, html
        return found.group(1), found.group(2).split(", "), found.group(3) or ""

    states = ["France", *sorted(s.name for s in MemberState.objects.filter(iso2__in=delegates) if s.iso2 != "FR")]
    zones = [f"Zone {i:02d}" for i in range(30)]
    assert turnout() == ("0 of 54 states have voted.", ["Albania", *states, *zones[:26]], " and 4 more")
    client.post(f"/governance/ballots/{ballot.pk}/vote/", {"choice": "yes", "confirmed": "1"})
    # The polls of one second share one count (selectors.live_turnout); this poll comes a second later.
    cache.delete(selectors.live_turnout_key(ballot.pk))
    assert turnout() == ("1 of 54 states have voted.", ["Albania", *states[1:], *zones[:27]], " and 3 more")
