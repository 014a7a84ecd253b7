"""PI self-service journey (issue 11): the PI adds a member on the project's page and requests a
renewal of an allocation; the secretariat assigns a reviewer in the admin, the reviewer records the
review in the portal, the secretariat grants it with a reason, and the PI sees the new allocation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import axe_violations, header_link, sign_out
from tests.compute import factories
from tests.compute.conftest import (  # noqa: F401  (fixtures shared with the compute tests)
    flagship,
    fox,
    gpu_period,
    member,
    pi,
    project,
)
from tests.factories import UserFactory

# ruff: noqa: F811  (the fixtures above are requested by name below)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_pi_adds_a_member_and_requests_a_renewal_that_is_reviewed_and_granted(
    page: Page,
    live_server: Any,
    browser_login: Any,
    pi: Any,
    project: Any,
    gpu_period: Any,
    secretariat: Any,
    reviewer: Any,
) -> None:
    allocation = factories.grant(project, gpu_period, 1000, actor=secretariat)
    factories.make_call([gpu_period.resource])
    UserFactory(email="nora@example.org", name="Nora Newcomer")
    renewal_start = allocation.end + timedelta(days=1)

    browser_login(page, pi)
    page.goto(f"{live_server.url}/compute/projects/{project.code}/")
    page.get_by_label("Email address of their account").fill("nora@example.org")
    page.get_by_label("Role").select_option("member")
    page.get_by_role("button", name="Add the member").click()
    expect(page.get_by_text("Nora Newcomer is now in the project.")).to_be_visible()
    expect(page.get_by_role("cell", name="Nora Newcomer (nora@example.org)")).to_be_visible()

    page.get_by_role("link", name="Request a renewal").click()
    page.get_by_label("Call").select_option(index=1)
    expect(page.get_by_label("Start")).to_have_value(renewal_start.isoformat())
    page.get_by_label("Amount").fill("1200")
    page.get_by_label("End").fill((renewal_start + timedelta(days=300)).isoformat())
    page.get_by_label("Justification").fill("Year two: scaling the evaluation suite.")
    page.get_by_role("button", name="Submit the request").click()
    expect(page.get_by_text("Your renewal request is submitted")).to_be_visible()
    expect(page.get_by_text("Renewal (development call): 1200")).to_be_visible()
    sign_out(page)

    # The secretariat works in its own browser window (signing in twice within one TOTP period
    # would reuse a code, which is refused); its pages are checked with axe-core here.
    assert page.context.browser is not None
    staff_context = page.context.browser.new_context(locale="en-GB", timezone_id="Europe/Zurich")
    staff = staff_context.new_page()
    browser_login(staff, secretariat)
    staff.goto(f"{live_server.url}/admin/compute/allocationrequest/?kind__exact=renewal")
    staff.get_by_role("link", name="llm-alignment: 1200").click()
    staff.get_by_role("link", name="Assign a reviewer").click()
    assert axe_violations(staff) == []
    staff.get_by_label("Reviewer's email address").fill(reviewer.email)
    staff.get_by_role("button", name="Assign a reviewer").click()
    expect(staff.locator(".messagelist")).to_contain_text("is asked for the Technical review")
    page.context.clear_cookies()

    browser_login(page, reviewer)
    header_link(page, "Compute reviews").click()
    page.get_by_role("link", name="llm-alignment: 1200").click()
    expect(page.get_by_text("Year two: scaling the evaluation suite.")).to_be_visible()
    page.get_by_label("Verdict").select_option("support")
    page.get_by_role("button", name="Record my review").click()
    expect(page.get_by_text("Your review is recorded.")).to_be_visible()
    page.context.clear_cookies()

    staff.get_by_role("link", name="Decide").click()
    assert axe_violations(staff) == []
    staff.get_by_label("Decision").select_option("approve")
    staff.get_by_label("Reason (sent to the PI)").fill("Renewed: the first year delivered.")
    staff.get_by_role("button", name="Decide on the request").click()
    expect(staff.locator(".messagelist")).to_contain_text("Approved:")
    staff_context.close()

    browser_login(page, pi)
    page.goto(f"{live_server.url}/compute/projects/{project.code}/")
    renewal = project.allocations.get(renewal_of=allocation)
    row = page.locator(f"#allocation-{renewal.pk}")
    assert renewal.start == renewal_start and renewal.amount == 1200
    expect(row).to_contain_text("1200 GPU-hours")
    expect(row).to_contain_text("GrpTRESMins=gres/gpu=72000")
    expect(page.get_by_test_id(f"state-{renewal.pk}")).to_have_text("not started yet")
    expect(page.get_by_text("Renewed: the first year delivered.")).to_be_visible()
