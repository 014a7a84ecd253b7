"""Issue 9 item 5: papers numbered per session and classified, read by exactly their audience;
convocations sent once before a session; minutes drafted, approved at a later session, published.
Pages and downloads are exercised as each person would, through the client; the admin as the
secretariat through its real forms (tests/admin_forms.py)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from cernai.core.models import Notification
from governance import papers, services
from governance.models import Adviser, Appointment, Convocation, MemberState, Minutes, Paper, Session
from tests.admin_forms import form_fields, messages_of, post_form
from tests.factories import UserFactory
from tests.governance.factories import AgendaItemFactory, CouncilFactory, SessionFactory, appoint, make_paper

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(
    members: list[MemberState],
    france: MemberState,
    associate: MemberState,
    observer: MemberState,
    delegate_fr_sci: Any,
    chair: Any,
    secretariat: Any,
    applicant: Any,
) -> dict[str, Any]:
    adviser = UserFactory(email="adviser@example.org", name="Ada Adviser", mfa=True)
    Adviser.objects.create(state=france, user=adviser, start=dt.date(2020, 1, 1))
    return {
        "anonymous": None,
        "applicant": applicant,
        "fr_delegate": delegate_fr_sci,
        "fr_adviser": adviser,
        "associate_delegate": appoint(associate, Appointment.Role.SCIENTIFIC),
        "observer_delegate": appoint(observer, Appointment.Role.SCIENTIFIC),
        "chair": chair,
        "secretariat": secretariat,
    }


def client_of(user: Any, login: Any) -> Client:
    return Client() if user is None else login(user)


def test_papers_are_numbered_per_session_with_a_symbol_unique_in_the_database(secretariat: Any) -> None:
    council = CouncilFactory(name="Council")
    spring, autumn = SessionFactory(council=council), SessionFactory(council=council)
    spc = SessionFactory(council=CouncilFactory(name="Scientific Policy Committee"))
    first = make_paper(AgendaItemFactory(session=spring), "Budget", owner=secretariat)
    second = make_paper(AgendaItemFactory(session=spring), "Plan", owner=secretariat)
    other = make_paper(AgendaItemFactory(session=autumn), "Budget again", owner=secretariat)
    committee = make_paper(AgendaItemFactory(session=spc), "Science plan", owner=secretariat)
    assert (first.symbol, second.symbol) == (f"C/{spring.pk}/1", f"C/{spring.pk}/2")
    assert (other.symbol, committee.symbol) == (f"C/{autumn.pk}/1", f"SPC/{spc.pk}/1")
    # A draft has no number yet; numbers are not reused after a draft is deleted or published twice.
    draft = make_paper(AgendaItemFactory(session=spring), "Draft", owner=secretariat, publish=False)
    assert (draft.symbol, draft.number) == ("", None)
    with pytest.raises(services.GovernanceError, match="already published"):
        papers.publish_paper(actor=secretariat, paper_id=first.pk)
    assert papers.publish_paper(actor=secretariat, paper_id=draft.pk).symbol == f"C/{spring.pk}/3"
    # The database refuses a second paper with the same symbol, whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        Paper.objects.filter(pk=second.pk).update(symbol=first.symbol)


def test_each_classification_is_read_by_exactly_its_audience(people: dict[str, Any], login: Any) -> None:
    owner = people["secretariat"]
    open_session = SessionFactory(title="Open session")
    closed_session = SessionFactory(title="In camera", closed=True)
    item, camera_item = AgendaItemFactory(session=open_session), AgendaItemFactory(session=closed_session)
    docs = {
        "public": make_paper(item, "Press release", classification="public", owner=owner),
        "restricted": make_paper(item, "Draft budget", classification="restricted", owner=owner),
        "closed": make_paper(item, "Staff matters", classification="closed", owner=owner),
        "restricted_in_camera": make_paper(camera_item, "Camera budget", classification="restricted", owner=owner),
        "draft": make_paper(item, "Unpublished", classification="public", owner=owner, publish=False),
    }
    everyone = set(people)
    delegations = {"fr_delegate", "fr_adviser", "associate_delegate", "observer_delegate", "chair", "secretariat"}
    closed_attendees = {"fr_delegate", "fr_adviser", "chair", "secretariat"}
    expected = {
        "public": everyone,
        "restricted": delegations,
        "closed": closed_attendees,
        "restricted_in_camera": closed_attendees,
        "draft": {"secretariat"},
    }
    for persona, user in people.items():
        client = client_of(user, login)
        for name, paper in docs.items():
            response = client.get(f"/governance/papers/{paper.pk}/")
            allowed = persona in expected[name]
            assert response.status_code == (200 if allowed else 404), (persona, name, response.status_code)
            if allowed:
                assert b"".join(response.streaming_content).startswith(b"%PDF-1.4")
                assert response["Content-Disposition"].startswith("attachment")
                assert response["X-Content-Type-Options"] == "nosniff"
            # core's file view answers the same (anonymous visitors are sent to sign in there).
            if user is not None:
                via_core = client.get(f"/files/{paper.file_id}/")
                assert via_core.status_code == (200 if allowed else 404), (persona, name, "core")
        # The session page lists exactly the papers the person may read.
        if user is not None and persona != "applicant":
            page = client.get(f"/governance/sessions/{open_session.pk}/").content.decode()
            for name in ("public", "restricted", "closed", "draft"):
                assert (docs[name].title in page) == (persona in expected[name]), (persona, name)


def test_the_register_lists_public_papers_only(people: dict[str, Any]) -> None:
    item = AgendaItemFactory(session=SessionFactory(title="Open session"))
    public = make_paper(item, "Annual report", classification="public", owner=people["secretariat"])
    make_paper(item, "Draft budget", classification="restricted", owner=people["secretariat"])
    make_paper(item, "Unpublished report", classification="public", owner=people["secretariat"], publish=False)
    page = Client().get("/governance/register/documents/").content.decode()
    assert "Annual report" in page and public.symbol in page
    assert "Draft budget" not in page and "Unpublished report" not in page
    assert "/governance/register/documents/" in Client().get("/governance/register/").content.decode()
    link = re.search(r'href="(/governance/papers/\d+/)">Annual report', page).group(1)  # type: ignore[union-attr]
    assert Client().get(link).status_code == 200


def test_publishing_a_paper_announces_it_to_its_audience_once(
    people: dict[str, Any], delegates: Any, django_capture_on_commit_callbacks: Any
) -> None:
    item = AgendaItemFactory(session=SessionFactory(title="Spring session"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        restricted = make_paper(item, "Draft budget", owner=people["secretariat"])
    told = set(
        Notification.objects.filter(dedupe_key=f"governance.paper_published:{restricted.pk}").values_list(
            "recipient__email", flat=True
        )
    )
    # 23 member states x 2 delegates, the associate's and the observer's delegate, France's adviser, the chair.
    assert len(told) == 46 + 2 + 1 + 1
    assert {people["associate_delegate"].email, people["fr_adviser"].email, people["chair"].email} <= told
    assert people["applicant"].email not in told and people["secretariat"].email not in told
    subjects = [m.subject for m in mail.outbox if m.to == [people["fr_delegate"].email]]
    assert subjects == [f"New paper {restricted.symbol}: Draft budget"]
    closed = make_paper(item, "Staff matters", classification="closed", owner=people["secretariat"])
    told_closed = set(
        Notification.objects.filter(dedupe_key=f"governance.paper_published:{closed.pk}").values_list(
            "recipient__email", flat=True
        )
    )
    assert people["associate_delegate"].email not in told_closed
    assert people["observer_delegate"].email not in told_closed
    assert len(told_closed) == 46 + 1 + 1


def test_french_delegates_get_the_announcement_in_french(
    people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    delegate = people["fr_delegate"]
    delegate.language = "fr"
    delegate.save(update_fields=["language"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        paper = make_paper(AgendaItemFactory(), "Budget", classification="closed", owner=people["secretariat"])
    (message,) = [m for m in mail.outbox if m.to == [delegate.email]]
    assert message.subject == f"Nouveau document {paper.symbol} : Budget"
    assert "séance à huis clos" in message.body


def test_the_secretariat_publishes_a_paper_in_the_admin(people: dict[str, Any], login: Any) -> None:
    secretariat = people["secretariat"]
    client = login(secretariat)
    session = SessionFactory(title="Spring session")
    item = AgendaItemFactory(session=session, title="Budget")
    # Bad input: no file → the field and the reason, nothing stored.
    refused = post_form(client, "/admin/governance/paper/add/", {"item": str(item.pk), "title": "Budget 2027"})
    assert "Choose the PDF file of the paper." in messages_of(refused)
    assert not Paper.objects.exists()
    data = form_fields(client, "/admin/governance/paper/add/")
    data.update(
        item=str(item.pk),
        title="Budget 2027",
        classification="restricted",
        publish="on",
        upload=SimpleUploadedFile("budget.pdf", b"%PDF-1.4 budget"),
    )
    client.post("/admin/governance/paper/add/", data, follow=True)
    paper = Paper.objects.get()
    assert (paper.symbol, paper.classification) == (f"C/{session.pk}/1", "restricted")
    assert Notification.objects.filter(recipient=people["fr_delegate"], kind="governance.paper_published").exists()
    # Once published, its classification and item are fixed; its title can still be corrected.
    url = f"/admin/governance/paper/{paper.pk}/change/"
    shown = form_fields(client, url)
    assert "classification" not in shown and "item" not in shown and "publish" not in shown
    post_form(client, url, {"title": "Budget 2027 (corrigendum)"})
    paper.refresh_from_db()
    assert (paper.title, paper.classification, paper.symbol) == (
        "Budget 2027 (corrigendum)",
        "restricted",
        f"C/{session.pk}/1",
    )


def test_a_convocation_goes_out_once_before_the_session_from_the_admin(
    people: dict[str, Any], login: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = login(people["secretariat"])
    session = SessionFactory(title="Autumn session", starts_at=timezone.now() + dt.timedelta(days=20))
    AgendaItemFactory(session=session, position=1, title="Adoption of the agenda")
    AgendaItemFactory(session=session, position=2, title="Budget 2027")
    url = f"/admin/governance/session/{session.pk}/change/"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = post_form(client, url, {"send_convocation": "on"})
    assert any("The convocation is sent to" in m for m in messages_of(done)), messages_of(done)
    convocation = Convocation.objects.get(session=session)
    assert convocation.agenda == "1. Adoption of the agenda\n2. Budget 2027"
    (message,) = [m for m in mail.outbox if m.to == [people["fr_delegate"].email]]
    assert message.subject == "Convocation: Autumn session"
    assert "2. Budget 2027" in message.body
    # Sent once: the admin no longer offers it, and the service refuses a second one.
    assert "send_convocation" not in form_fields(client, url)
    with pytest.raises(services.GovernanceError, match="already sent"):
        papers.send_convocation(actor=people["secretariat"], session_id=session.pk)
    assert Notification.objects.filter(kind="governance.convocation", recipient=people["fr_delegate"]).count() == 1
    # Shown on the session page.
    page = login(people["fr_delegate"]).get(f"/governance/sessions/{session.pk}/").content.decode()
    assert "The convocation with the agenda below was sent on" in page


def test_a_convocation_is_refused_after_the_start_or_without_an_agenda(people: dict[str, Any], login: Any) -> None:
    client = login(people["secretariat"])
    started = SessionFactory(title="Started", starts_at=timezone.now() - dt.timedelta(hours=1))
    AgendaItemFactory(session=started)
    late = post_form(client, f"/admin/governance/session/{started.pk}/change/", {"send_convocation": "on"})
    assert "The session has already started: a convocation goes out before it." in messages_of(late)
    empty = SessionFactory(title="Empty", starts_at=timezone.now() + dt.timedelta(days=3))
    refused = post_form(client, f"/admin/governance/session/{empty.pk}/change/", {"send_convocation": "on"})
    assert "The agenda is empty: add its items before convening." in messages_of(refused)
    assert not Convocation.objects.exists()


def test_minutes_are_drafted_approved_at_the_next_session_then_published(
    people: dict[str, Any], login: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = login(people["secretariat"])
    council = CouncilFactory(name="Council")
    now = timezone.now()
    march = SessionFactory(council=council, title="March session", starts_at=now - dt.timedelta(days=90), closed=True)
    june = SessionFactory(council=council, title="June session", starts_at=now - dt.timedelta(hours=2))
    september = SessionFactory(council=council, title="September session", starts_at=now + dt.timedelta(days=90))
    committee = SessionFactory(council=CouncilFactory(name="Finance Committee"), starts_at=now - dt.timedelta(days=1))
    post_form(
        client,
        "/admin/governance/minutes/add/",
        {"session": str(march.pk), "public_part": "The Council adopted the budget.", "closed_part": "Staff case 12."},
    )
    minutes = Minutes.objects.get()
    assert minutes.status == "draft"
    url = f"/admin/governance/minutes/{minutes.pk}/change/"
    # Not yet approved: not published, nowhere public.
    assert "publish" not in form_fields(client, url)
    assert "The Council adopted the budget." not in Client().get("/governance/register/documents/").content.decode()
    # Approval only at a later session of the same body that has begun.
    assert str(committee.pk) not in [o for o in [form_fields(client, url).get("approve_at")] if o]
    too_early = post_form(client, url, {"approve_at": str(september.pk)})
    assert "That session has not started yet: minutes are approved when it meets." in messages_of(too_early)
    with pytest.raises(services.GovernanceError, match="later session of the same body"):
        papers.approve_minutes(actor=people["chair"], minutes_id=minutes.pk, at_session_id=committee.pk)
    minutes.refresh_from_db()
    assert minutes.status == "draft"
    post_form(client, url, {"approve_at": str(june.pk)})
    minutes.refresh_from_db()
    assert (minutes.status, minutes.approved_at_session, minutes.approved_by) == (
        "approved",
        june,
        people["secretariat"],
    )
    # Approved text is fixed.
    assert "public_part" not in form_fields(client, url)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        post_form(client, url, {"publish": "on"})
    minutes.refresh_from_db()
    assert minutes.status == "published" and minutes.published_at is not None
    assert any(
        m.subject == "Minutes published: March session" for m in mail.outbox if m.to == [people["fr_delegate"].email]
    )
    # The public part is in the public register; the closed part stays with those entitled.
    register = Client().get("/governance/register/documents/").content.decode()
    assert "Minutes of March session" in register
    public = Client().get(f"/governance/register/minutes/{minutes.pk}/").content.decode()
    assert "The Council adopted the budget." in public and "Staff case 12." not in public
    member_page = login(people["fr_adviser"]).get(f"/governance/sessions/{march.pk}/").content.decode()
    assert "Staff case 12." in member_page
    assert login(people["associate_delegate"]).get(f"/governance/sessions/{march.pk}/").status_code == 404


def test_a_draft_minutes_is_not_public(people: dict[str, Any]) -> None:
    minutes = Minutes.objects.create(session=SessionFactory(), public_part="Draft text")
    assert Client().get(f"/governance/register/minutes/{minutes.pk}/").status_code == 404
    with pytest.raises(services.GovernanceError, match="only after their approval"):
        papers.publish_minutes(actor=people["secretariat"], minutes_id=minutes.pk)


def test_session_audience_follows_the_session(people: dict[str, Any]) -> None:
    open_session, closed_session = SessionFactory(), SessionFactory(closed=True)
    open_audience = {u.email for u in papers.session_audience(open_session)}
    closed_audience = {u.email for u in papers.session_audience(closed_session)}
    assert people["associate_delegate"].email in open_audience
    assert people["associate_delegate"].email not in closed_audience
    assert {people["fr_delegate"].email, people["fr_adviser"].email, people["chair"].email} <= closed_audience
    assert people["applicant"].email not in open_audience
    assert not isinstance(open_session, Session) or open_session.pk  # the function takes the session itself
