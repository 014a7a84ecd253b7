"""The fellowships journey in a real browser: a fellow applies for an exchange over several visits and
uploads a CV, a referee uploads a letter through the private link, the fellow submits; a reviewer
scores it; staff decide in bulk from the ranked list; the fellow sees the decision."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from fellowships.models import Application, Placement, ReviewAssignment
from tests.browser.conftest import header_link, sign_out
from tests.factories import UserFactory
from tests.fellowships import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.both_viewports
def test_exchange_from_application_to_decision(
    page: Page, live_server: Any, browser_login: Any, mailoutbox: list, tmp_path: Path
) -> None:
    factories.member_states()
    factories.CallFactory(title="Exchange 2027", slug="exchange-2027", places=1, min_reviewers=1)
    fellow = UserFactory(email="fellow@example.org", name="Fia Fellow", nationality="PT", home_country="PT",
                         home_institution="Universidade do Porto")  # fmt: skip
    reviewer = UserFactory(email="rev@example.org", name="Rui Reviewer", mfa=True,
                           home_institution="TU Delft")  # fmt: skip
    factories.engaged_reviewer(reviewer)  # reviewed for an earlier call: in the pool by that record
    busy = factories.submitted_application(factories.CallFactory(title="Residency 2027", slug="residency-2027"))
    ReviewAssignment.objects.create(application=busy, reviewer=reviewer)  # one review still to write elsewhere
    colleague = UserFactory(email="carla@example.org", name="Carla Colleague", home_institution="Universidade do Porto")
    factories.engaged_reviewer(colleague)  # in the pool, but from the fellow's own institution
    staff = UserFactory(email="staff@example.org", name="Sia Staff", is_staff=True, groups=["Secretariat"], mfa=True)
    cv = tmp_path / "my-cv.pdf"
    cv.write_bytes(factories.PDF)
    letter = tmp_path / "letter.pdf"
    letter.write_bytes(factories.PDF)
    start = timezone.localdate() + timedelta(days=120)

    # Visit 1: the fellow finds the call, starts applying and saves a draft.
    browser_login(page, fellow)
    header_link(page, "Fellowships").click()
    page.get_by_role("link", name="Exchange 2027").click()
    expect(page.get_by_text("UTC")).not_to_have_count(0)
    page.get_by_role("button", name="Apply").click()
    page.get_by_label("Host site").select_option(label="cernai flagship campus")
    page.get_by_label("Proposed start").fill(start.isoformat())
    page.get_by_label("Proposed end").fill((start + timedelta(days=120)).isoformat())
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Saved. You can leave and come back at any time.")).to_be_visible()
    sign_out(page)

    # Visit 2: back to the draft, the project, career, the CV and a referee.
    browser_login(page, fellow)
    page.goto(f"{live_server.url}/fellowships/calls/exchange-2027/")
    page.get_by_role("button", name="Continue your application").click()
    expect(page.get_by_role("heading", name="Project")).to_be_visible()  # resumed where it was left
    page.get_by_role("navigation", name="Steps").get_by_role("link", name="Details").click()
    expect(page.get_by_label("Proposed start")).to_have_value(start.isoformat())
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Project title").fill("Evaluating multilingual models")
    page.get_by_label("Research plan").fill("Four months at the flagship campus on evaluation suites.")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("Highest degree").select_option("master")
    page.get_by_label("Country (stay 1)").select_option("CH")
    page.get_by_label("From (stay 1)").fill("2025-01-01")
    page.get_by_label("To (exclusive) (stay 1)").fill("2025-04-01")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_label("CV (PDF)").set_input_files(str(cv))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("link", name="my-cv.pdf")).to_be_visible()
    page.get_by_label("Referee's name").fill("Prof. Rosa Referee")
    page.get_by_label("Referee's email").fill("rosa@uni.example")
    page.get_by_role("button", name="Invite the referee").click()
    expect(page.get_by_text("Prof. Rosa Referee was invited by email.")).to_be_visible()
    sign_out(page)

    # The referee, with no account, follows the private link from the email.
    invitation = next(m for m in mailoutbox if m.to == ["rosa@uni.example"])
    link = re.search(r"https?://\S+/fellowships/referee/\S+/", invitation.body)
    assert link, invitation.body
    page.goto(live_server.url + "/fellowships" + link.group(0).split("/fellowships", 1)[1])
    page.get_by_label("Reference letter (PDF)").set_input_files(str(letter))
    page.get_by_role("button", name="Upload the letter").click()
    expect(page.get_by_text("Thank you: your letter was received.")).to_be_visible()

    # Visit 3: the fellow checks the eligibility preview and submits.
    browser_login(page, fellow)
    application = Application.objects.get(applicant=fellow)
    page.goto(f"{live_server.url}/fellowships/applications/{application.pk}/step/5/")
    expect(page.get_by_text("3.0 months in the host country (CH)")).to_be_visible()
    page.get_by_label("I have checked my application and want to submit it.", exact=False).check()
    page.get_by_role("button", name="Submit the application").click()
    expect(page.locator("#application-status")).to_have_text("Submitted")
    expect(page.get_by_text("letter received")).to_be_visible()
    assert any("Application received" in m.subject for m in mailoutbox)
    sign_out(page)

    # Staff assign the reviewer on the call's applications page; the reviewer scores.
    browser_login(page, staff)
    header_link(page, "Fellowship staff").click()
    page.get_by_role("link", name="Applications Exchange 2027").click()
    page.get_by_label(f"Select {application.reference}").check()
    page.get_by_role("button", name="Choose reviewers for the selected applications").click()
    # Each reviewer with a checkbox, their load and their conflicts, before anything is assigned.
    expect(page.get_by_role("heading", name="Assign reviewers: “Exchange 2027”")).to_be_visible()
    rui = page.get_by_role("row").filter(has_text="Rui Reviewer")
    expect(rui.get_by_role("cell")).to_have_text(["Rui Reviewer", "TU Delft", "1", "0", "none"])
    carla = page.get_by_role("row").filter(has_text="Carla Colleague")
    expect(page.get_by_label("Carla Colleague")).to_be_disabled()  # conflicted: cannot be ticked
    expect(carla).to_contain_text(
        f"Not assignable to {application.reference}: same home institution as the applicant (Universidade do Porto)"
    )
    page.get_by_label("Rui Reviewer").check()
    page.get_by_role("button", name="Assign the ticked reviewers").click()
    expect(page.get_by_text("1 assignment(s) made")).to_be_visible()
    assert not ReviewAssignment.objects.filter(application=application, reviewer=colleague).exists()
    sign_out(page)
    browser_login(page, reviewer)
    header_link(page, "Reviews").click()
    page.get_by_role("link", name=re.compile("Evaluating multilingual models")).click()
    page.get_by_label("Excellence (50 %)").fill("4.5")
    page.get_by_label("Impact (30 %)").fill("3.0")
    page.get_by_role("button", name="Submit the review").click()
    expect(page.get_by_text("Implementation is blank")).to_be_visible()  # a blank is refused, never 0
    page.get_by_label("Excellence (50 %)").fill("4.5")
    page.get_by_label("Impact (30 %)").fill("3.0")
    page.get_by_label("Implementation (20 %)").fill("3.5")
    page.get_by_role("button", name="Submit the review").click()
    expect(page.get_by_text("Your review was submitted.")).to_be_visible()
    expect(page.get_by_text("submitted (77.0 %)")).to_be_visible()
    sign_out(page)

    # Staff decide in bulk from the ranked list (the fundable application within places is pre-selected).
    browser_login(page, staff)
    header_link(page, "Fellowship staff").click()
    page.get_by_role("link", name="Ranked list Exchange 2027").click()
    expect(page.get_by_role("cell", name="77.0")).to_be_visible()
    # The Decision column is on the page, not cut off or behind a sideways scroll, at any width.
    decision = page.get_by_label(f"Decision for {application.reference}")
    expect(decision).to_be_visible()
    box, width = decision.bounding_box(), page.viewport_size["width"]  # type: ignore[index]
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    expect(page.locator(".table-scroll")).to_have_count(0)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Record the decisions").click()
    expect(page.get_by_text("1 decision(s) recorded and sent.")).to_be_visible()
    assert Placement.objects.filter(application=application).exists()
    sign_out(page)

    # The fellow sees the decision.
    browser_login(page, fellow)
    page.goto(f"{live_server.url}/fellowships/applications/{application.pk}/")
    expect(page.locator("#application-status")).to_have_text("Accepted")
    expect(page.get_by_text("Return report due")).to_be_visible()
    assert any("Decision on your application" in m.subject for m in mailoutbox)


def test_a_blind_reviewer_downloads_the_plan_without_its_metadata_and_sees_the_rubric(
    page: Page, live_server: Any, browser_login: Any, reviewer: Any
) -> None:
    """rules §2 (blind calls) as the reviewer meets it: the review page shows the rubric and the
    plan only; the plan the browser downloads names nobody in its metadata."""
    from cernai.core.files import store_upload
    from fellowships import services

    factories.member_states()
    applicant = UserFactory(email="ana@example.org", name="Ana Applicant", nationality="PT", home_country="PT")
    staff = UserFactory(email="sia@example.org", name="Sia Staff", is_staff=True, groups=["Secretariat"], mfa=True)
    application = factories.filled_application(factories.CallFactory(title="Blind exchange", blind=True), applicant)
    named_plan = factories.make_pdf({"/Author": "Ana Applicant", "/Creator": "Ana's laptop", "/Title": "Ana's plan"})
    application.plan_file = store_upload(
        upload=factories.pdf("ana-applicant-plan.pdf", named_plan), owner=applicant, purpose="fellowships.plan_file"
    )
    application.save()
    services.submit_application(application=application, actor=applicant)
    services.assign_reviewers(applications=[application], reviewers=[reviewer], actor=staff)

    browser_login(page, reviewer)
    page.goto(f"{live_server.url}/fellowships/reviews/")
    page.get_by_role("link", name=application.title).first.click()
    expect(page.get_by_text("its author and other metadata were removed")).to_be_visible()
    expect(page.get_by_role("link", name="CV (PDF)")).to_have_count(0)
    for rubric in ("Excellence", "Impact", "Implementation", "threshold is 70.0 %"):
        expect(page.locator("main")).to_contain_text(rubric)
    expect(page.locator("main")).not_to_contain_text("Ana Applicant")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Research plan (PDF)").click()
    body = Path(download_info.value.path()).read_bytes()
    assert body.startswith(b"%PDF")
    for identifying in (b"Ana", b"/Author", b"/Creator"):
        assert identifying not in body, identifying
