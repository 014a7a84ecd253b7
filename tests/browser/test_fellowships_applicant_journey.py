"""An applicant's own paths in a real browser: submitting after a confirmation, withdrawing another
application, and filing the return report after a placement."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from fellowships import services
from fellowships.models import Application, Placement
from tests.factories import UserFactory
from tests.fellowships import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_submit_after_confirming_withdraw_another_and_file_a_return_report(
    page: Page, live_server: Any, browser_login: Any
) -> None:
    factories.member_states()
    fellow = UserFactory(email="fia@example.org", name="Fia Fellow", nationality="PT", home_country="PT",
                         home_institution="Universidade do Porto")  # fmt: skip
    staff = UserFactory(email="sia@example.org", name="Sia Staff", is_staff=True, groups=["Secretariat"], mfa=True)
    to_submit = factories.filled_application(factories.CallFactory(title="Exchange A"), fellow)
    to_withdraw = factories.filled_application(factories.CallFactory(title="Exchange B"), fellow)
    # A past fellowship of hers, accepted and ended: its return report is due (the setup of this journey).
    past = factories.submitted_application(factories.CallFactory(title="Exchange 2025"), fellow)
    factories.scored(past, factories.FUNDABLE, factories.FUNDABLE)
    services.decide(application=past, actor=staff, decision="accepted")
    ended = timezone.localdate() - timedelta(days=3)
    Placement.objects.filter(application=past).update(
        status=Placement.Status.COMPLETED,
        start=ended - timedelta(days=180),
        end=ended,
        report_due=services.placements.report_due_for(ended),
    )

    browser_login(page, fellow)
    # Submitting asks for a confirmation first: the button alone does not submit.
    page.goto(f"{live_server.url}/fellowships/applications/{to_submit.pk}/step/5/")
    page.get_by_role("button", name="Submit the application").click()
    expect(page.get_by_role("heading", name="Check and submit")).to_be_visible()
    assert Application.objects.get(pk=to_submit.pk).status == "draft"
    page.get_by_label("I have checked my application and want to submit it.", exact=False).check()
    page.get_by_role("button", name="Submit the application").click()
    expect(page.locator("#application-status")).to_have_text("Submitted")

    # Withdrawing the other application, confirmed the same way.
    page.goto(f"{live_server.url}/fellowships/applications/{to_withdraw.pk}/")
    page.get_by_label("I want to withdraw this application.", exact=False).check()
    page.get_by_role("button", name="Withdraw the application").click()
    expect(page.get_by_text("Your application was withdrawn.")).to_be_visible()
    expect(page.locator("#application-status")).to_have_text("Withdrawn")

    # The return report of the past fellowship.
    page.goto(f"{live_server.url}/fellowships/applications/{past.pk}/")
    expect(page.get_by_text("Return report due")).to_be_visible()
    page.get_by_label("Return report").fill("Six months on evaluation suites; two papers submitted.")
    page.get_by_label("State of your institution after the placement").select_option("PT")
    page.get_by_label("Started there on").fill((timezone.localdate() + timedelta(days=20)).isoformat())
    page.get_by_role("button", name="Save the return report").click()
    expect(page.get_by_text("Your return report was saved.")).to_be_visible()
    expect(page.get_by_text("received, thank you")).to_be_visible()

    placement = Placement.objects.get(application=past)
    assert placement.report_submitted_at is not None and placement.returned_country == "PT"
    assert Application.objects.get(pk=to_submit.pk).status == "submitted"
    assert Application.objects.get(pk=to_withdraw.pk).status == "withdrawn"


def on_disk(private_file: Any) -> bool:
    from django.core.files.storage import default_storage

    from cernai.core.files import STORAGE_DIR

    return bool(default_storage.exists(f"{STORAGE_DIR}/{private_file.stored_name}"))


def test_a_replaced_cv_is_deleted_a_referee_link_is_bounded_and_the_steps_are_french(
    page: Page, live_server: Any, browser_login: Any
) -> None:
    """Issue 11 in the browser: the applicant replaces her CV (the old file is deleted), invites a
    referee whose private link takes three uploads, each replacing the last, and reads the steps in
    French after choosing the language."""
    from cernai.core.models import PrivateFile
    from fellowships.models import Referee

    factories.member_states()
    fellow = UserFactory(email="ana@example.org", name="Ana Applicant", nationality="PT", home_country="PT")
    application = factories.filled_application(factories.CallFactory(title="Exchange C"), fellow)
    first_cv = application.cv
    assert on_disk(first_cv)

    browser_login(page, fellow)
    page.goto(f"{live_server.url}/fellowships/applications/{application.pk}/step/4/")
    page.get_by_label("CV (PDF)").set_input_files(
        {"name": "cv-2026.pdf", "mimeType": "application/pdf", "buffer": factories.PDF}
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.get_by_role("link", name="cv-2026.pdf")).to_be_visible()
    assert not PrivateFile.objects.filter(pk=first_cv.pk).exists() and not on_disk(first_cv)

    page.get_by_label("Referee's name").fill("Prof. Rosa Referee")
    page.get_by_label("Referee's email").fill("rosa@uni.example")
    page.get_by_role("button", name="Invite the referee").click()
    expect(page.get_by_role("cell", name="Prof. Rosa Referee")).to_be_visible()

    # French: the step names follow the language chosen on the page.
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change language").click()
    steps = page.get_by_role("navigation", name="Étapes")
    for name in ("Détails", "Projet", "Carrière et séjours", "Vérifier et soumettre"):
        expect(steps).to_contain_text(name)
    expect(steps.locator("[aria-current=step]")).to_have_text("Documents et référents")
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer de langue").click()
    expect(page.get_by_role("navigation", name="Steps")).to_contain_text("Career and stays")

    # The referee has no account: the emailed private link, in a browser without a session.
    referee = Referee.objects.get(application=application)
    link = f"{live_server.url}/fellowships/referee/{services.referee_token(referee)}/"
    page.context.clear_cookies()
    letters = []
    for n in range(3):
        page.goto(link)
        page.get_by_label("Reference letter (PDF)").set_input_files(
            {"name": f"letter-{n}.pdf", "mimeType": "application/pdf", "buffer": factories.PDF}
        )
        page.get_by_role("button", name="Upload the letter").click()
        expect(page.get_by_text("Thank you: your letter was received.")).to_be_visible()
        referee.refresh_from_db()
        letters.append(referee.letter)
    page.goto(link)
    expect(page.get_by_text("This link takes no more uploads; the last letter received is kept.")).to_be_visible()
    expect(page.get_by_label("Reference letter (PDF)")).to_have_count(0)
    assert [letter.original_name for letter in letters] == ["letter-0.pdf", "letter-1.pdf", "letter-2.pdf"]
    assert on_disk(letters[-1]) and not any(on_disk(old) for old in letters[:2])
    assert PrivateFile.objects.filter(purpose="fellowships.letter").count() == 1


def test_circulation_sets_associate_states_apart(page: Page, live_server: Any) -> None:
    """The public circulation page: a fellow who returned to Ukraine (an associate member state) is
    not counted as returning to a member state."""
    factories.member_states()
    staff = UserFactory(email="sia@example.org", name="Sia Staff", is_staff=True, groups=["Secretariat"], mfa=True)
    call = factories.CallFactory(places=3)
    people = [UserFactory(nationality=c, home_country=c) for c in ("PT", "UA", "FR")]
    applications = [
        factories.scored(factories.submitted_application(call, p), factories.FUNDABLE, factories.FUNDABLE)
        for p in people
    ]
    services.decide_in_bulk(decisions={a.pk: "accepted" for a in applications}, actor=staff)
    Placement.objects.update(status=Placement.Status.COMPLETED)
    placements = list(Placement.objects.order_by("application_id"))
    back = placements[0].end + timedelta(days=30)
    Placement.objects.filter(pk=placements[0].pk).update(returned_country="PT", returned_on=back)
    Placement.objects.filter(pk=placements[1].pk).update(returned_country="UA", returned_on=back)

    page.goto(f"{live_server.url}/fellowships/circulation/")
    expect(page.get_by_role("heading", name="Circulation of fellows")).to_be_visible()
    expect(page.get_by_text("33.3 % (1 of 3 completed placements)")).to_be_visible()
    expect(page.get_by_text("Returned to an associate member state within 12 months")).to_be_visible()
    expect(page.get_by_role("cell", name="Ukraine (associate member state)")).to_be_visible()
