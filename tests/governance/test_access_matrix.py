"""T7 for governance: every governance URL x every persona → the expected status."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from governance import services
from governance.models import Appointment, Ballot, MemberState
from tests.access import Row, check_matrix
from tests.governance.factories import SessionFactory, appoint, make_paper

pytestmark = pytest.mark.django_db


def test_access_matrix(
    members: list[MemberState],
    associate: MemberState,
    delegate_fr_sci: Any,
    chair: Any,
    secretariat: Any,
    applicant: Any,
    make_ballot: Any,
    login: Any,
) -> None:
    associate_delegate = appoint(associate, Appointment.Role.SCIENTIFIC)
    clients: dict[str | None, Client] = {
        None: Client(),
        "delegate_fr_sci": login(delegate_fr_sci),
        "associate_delegate": login(associate_delegate),
        "chair": login(chair),
        "secretariat": login(secretariat),
        "applicant": login(applicant),
    }
    open_ballot = make_ballot()
    open_session = open_ballot.motion.item.session
    closed_session = SessionFactory(closed=True, title="In camera")
    closed_ballot = make_ballot(in_session=closed_session)
    published = make_ballot()
    services.close_ballot(actor=None, ballot_id=published.pk)
    services.publish_result(actor=None, ballot_id=published.pk)
    secret_closed = make_ballot(in_session=closed_session, secrecy=Ballot.Secrecy.SECRET)
    services.close_ballot(actor=None, ballot_id=secret_closed.pk)
    services.publish_result(actor=None, ballot_id=secret_closed.pk)

    open_paper = make_paper(open_ballot.motion.item, "Budget paper", owner=secretariat)
    closed_paper = make_paper(closed_ballot.motion.item, "In camera paper", owner=secretariat)
    public_paper = make_paper(closed_ballot.motion.item, "Press release", owner=secretariat, classification="public")
    closed_class = make_paper(open_ballot.motion.item, "Staff", owner=secretariat, classification="closed")

    everyone = {
        None: 200,
        "delegate_fr_sci": 200,
        "associate_delegate": 200,
        "chair": 200,
        "secretariat": 200,
        "applicant": 200,
    }
    council = {
        None: "login",
        "delegate_fr_sci": 200,
        "associate_delegate": 200,
        "chair": 200,
        "secretariat": 200,
        "applicant": 403,
    }
    members_only = {**council, "associate_delegate": 404}
    vote_post = {
        None: "login",
        "delegate_fr_sci": 200,
        "associate_delegate": 200,
        "chair": 200,
        "secretariat": 200,
        "applicant": 403,
    }
    transition = {
        None: "login",
        "delegate_fr_sci": 403,
        "associate_delegate": 403,
        "chair": 302,
        "secretariat": 302,
        "applicant": 403,
    }
    rows = [
        Row("/governance/", council),
        Row(f"/governance/sessions/{open_session.pk}/", council),
        Row(f"/governance/sessions/{closed_session.pk}/", members_only),
        Row(f"/governance/ballots/{open_ballot.pk}/", council),
        Row(f"/governance/ballots/{closed_ballot.pk}/", members_only),
        # Live turnout: everyone who sees the ballot (issue 9 §4).
        Row(f"/governance/ballots/{open_ballot.pk}/turnout/", council),
        Row(f"/governance/ballots/{closed_ballot.pk}/turnout/", members_only),
        # The confirmation step asks the cast's questions: only France's delegate reaches "Confirm".
        Row(
            f"/governance/ballots/{open_ballot.pk}/confirm/",
            {**vote_post, "associate_delegate": 302, "chair": 302, "secretariat": 302},
            method="post",
            data={"choice": "yes"},
        ),
        # Papers: whoever sees the session downloads them (issue 9 §4: they were a 404 for delegates).
        Row(f"/files/{open_paper.file_id}/", {**council, "applicant": 404}),
        Row(f"/files/{closed_paper.file_id}/", {**members_only, "applicant": 404}),
        # Issue 9 item 5: the paper's own download answers by its classification (papers.readable_papers).
        Row(f"/governance/papers/{open_paper.pk}/", {**council, None: 404, "applicant": 404}),
        Row(f"/governance/papers/{closed_paper.pk}/", {**members_only, None: 404, "applicant": 404}),
        Row(f"/governance/papers/{closed_class.pk}/", {**members_only, None: 404, "applicant": 404}),
        Row(f"/governance/papers/{public_paper.pk}/", everyone),
        Row("/governance/register/documents/", everyone),
        # Publishing an open ballot is refused by the service (redirect with a message), so nothing changes.
        Row(f"/governance/ballots/{open_ballot.pk}/publish/", transition, method="post"),
        Row(
            f"/governance/ballots/{closed_ballot.pk}/publish/", {**transition, "associate_delegate": 404}, method="post"
        ),
        Row(
            f"/governance/ballots/{open_ballot.pk}/vote/",
            {**vote_post, "delegate_fr_sci": 302, "associate_delegate": 302, "chair": 302, "secretariat": 302},
            method="post",
        ),
        Row(
            f"/governance/sessions/{open_session.pk}/check-in/",
            {**transition, "delegate_fr_sci": 302, "associate_delegate": 302},
            method="post",
        ),
        Row(f"/governance/ballots/{open_ballot.pk}/open/", transition, method="post"),
        Row("/governance/register/", everyone),
        Row("/governance/register/feed/", everyone),
        Row(f"/governance/register/{published.pk}/", everyone),
        Row(f"/governance/register/{secret_closed.pk}/", dict.fromkeys(everyone, 404)),
        Row(f"/governance/register/{open_ballot.pk}/", dict.fromkeys(everyone, 404)),
        Row("/governance/member-states/", everyone),
        Row("/api/v1/governance/resolutions/", everyone),
        Row(f"/api/v1/governance/resolutions/{published.pk}/", everyone),
        Row(f"/api/v1/governance/resolutions/{secret_closed.pk}/", dict.fromkeys(everyone, 404)),
        Row("/api/v1/governance/member-states/", everyone),
        Row(
            "/admin/governance/ballot/",
            # Non-staff are sent to the admin's own login (302); the secretariat works there.
            {
                None: 302,
                "delegate_fr_sci": 302,
                "associate_delegate": 302,
                "chair": 302,
                "applicant": 302,
                "secretariat": 200,
            },
        ),
        Row(f"/admin/governance/ballot/{open_ballot.pk}/change/", {"secretariat": 200, "chair": 302}),
        Row("/admin/governance/secretchoice/", {"secretariat": 404}),
        Row("/admin/governance/", {"secretariat": 200}),
    ]
    check_matrix(rows, clients)
    # The vote endpoint refused everyone but France's delegate (who had not confirmed): nothing stored.
    assert not open_ballot.votes.exists()


def test_lists_hold_only_what_the_caller_may_see(
    associate: MemberState, delegate_fr_sci: Any, make_ballot: Any, login: Any
) -> None:
    closed_session = SessionFactory(closed=True, title="In camera")
    make_ballot(in_session=closed_session)
    associate_page = login(appoint(associate, Appointment.Role.SCIENTIFIC)).get("/governance/").content.decode()
    assert "In camera" not in associate_page
    assert "In camera" in login(delegate_fr_sci).get("/governance/").content.decode()
