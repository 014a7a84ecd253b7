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
