"""Every rejection of an application carries its reason (issue 14 item 5): the staff application page,
the ranked list's bulk decision and the admin's reject action each ask for it, refuse an empty one
naming the field, store it (on the application and in the audit trail) and send it to the applicant
in her language. An application with no review shows "no reviews yet", never a 0.0 score."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from fellowships.models import Application
from fellowships.services.placements import export_rows
from tests.admin_forms import messages_of, post_form
from tests.fellowships import factories
from tests.fellowships.factories import BELOW, FUNDABLE

pytestmark = pytest.mark.django_db

EMPTY_REASON = "Reason for the rejection: required, it is sent to the applicant."


def status_of(application: Application) -> str:
    application.refresh_from_db()
    return application.status


def test_the_application_page_asks_for_the_reason_and_sends_it(
    submitted: Any, secretariat: Any, login: Any, commits: Any, mailoutbox: list
) -> None:
    client = login(secretariat)
    page = client.get(reverse("fellowships:staff_application", args=[submitted.pk]))
    assert "Reason for the rejection (sent to the applicant)" in page.text
    assert "No reviews yet." in page.text
    url = reverse("fellowships:staff_application_action", args=[submitted.pk, "rejected"])
    refused = client.post(url, {"rej-reason": "   "}, follow=True)
    assert EMPTY_REASON in refused.text
    assert status_of(submitted) == "submitted" and not mailoutbox

    with commits(execute=True):
        done = client.post(url, {"rej-reason": "The project is outside the call's scope."}, follow=True)
    assert "Done." in done.text and status_of(submitted) == "rejected"
    assert submitted.decision_reason == "The project is outside the call's scope."
    event = submitted.events.order_by("pgh_id").last()  # type: ignore[attr-defined]
    assert event.pgh_context.metadata["justification"] == "The project is outside the call's scope."
    (mail,) = mailoutbox
    assert mail.to == [submitted.applicant.email]
    assert "The reason given by the secretariat: The project is outside the call's scope." in mail.body
    # The applicant reads it on her application's page too.
    status = login(submitted.applicant).get(reverse("fellowships:application_status", args=[submitted.pk]))
    assert "The project is outside the call&#x27;s scope." in status.text


def test_the_ranked_list_asks_one_reason_for_its_rejections_and_shows_no_reviews_yet(
    call: Any, secretariat: Any, login: Any, commits: Any, mailoutbox: list
) -> None:
    poor = factories.scored(factories.submitted_application(call), BELOW, BELOW)
    unreviewed = factories.submitted_application(call)
    client = login(secretariat)
    ranking = client.get(reverse("fellowships:staff_ranking", args=[call.pk]))
    row = ranking.text.split(unreviewed.reference, 1)[1].split("</tr>", 1)[0]
    assert "no reviews yet" in row and "0.0" not in row
    assert "Reason for the rejections (sent to each rejected applicant)" in ranking.text

    url = reverse("fellowships:staff_decide", args=[call.pk])
    page = client.post(url, {f"decision_{poor.pk}": "rejected", "reason": ""}, follow=True)
    assert EMPTY_REASON in page.text and status_of(poor) == "submitted"
    with commits(execute=True):
        page = client.post(url, {f"decision_{poor.pk}": "rejected", "reason": "Below the threshold."}, follow=True)
    assert "1 decision(s) recorded and sent." in page.text
    assert status_of(poor) == "rejected" and poor.decision_reason == "Below the threshold."
    assert "Below the threshold." in mailoutbox[-1].body


def test_the_admin_reject_action_asks_for_the_reason_on_its_own_page(
    call: Any, secretariat: Any, login: Any, commits: Any, mailoutbox: list
) -> None:
    first = factories.submitted_application(call)
    second = factories.scored(factories.submitted_application(call), FUNDABLE, FUNDABLE)
    second.applicant.language = "fr"
    second.applicant.save()
    client = login(secretariat)
    page = post_form(
        client,
        "/admin/fellowships/application/",
        {"action": "reject", "_selected_action": [str(first.pk), str(second.pk)]},
    )
    assert page.status_code == 200 and first.reference in page.text and second.reference in page.text
    reject_page = page.request["PATH_INFO"] + "?" + page.request["QUERY_STRING"]
    refused = post_form(client, reject_page, {"reason": ""})
    assert any("required, it is sent to the applicant" in m for m in messages_of(refused))
    assert status_of(first) == "submitted" and status_of(second) == "submitted"

    with commits(execute=True):
        done = post_form(client, reject_page, {"reason": "The call's places are filled by stronger proposals."})
    assert "2 decision(s) recorded and sent." in messages_of(done)
    assert status_of(first) == "rejected" and status_of(second) == "rejected"
    assert first.decision_reason == "The call's places are filled by stronger proposals."
    by_recipient = {m.to[0]: m.body for m in mailoutbox}
    assert "The reason given by the secretariat: The call's places" in by_recipient[first.applicant.email]
    # The French applicant reads the same reason under a French heading.
    assert "Motif donné par le secrétariat : The call's places" in by_recipient[second.applicant.email]


def test_the_export_says_no_reviews_yet_instead_of_a_score(call: Any) -> None:
    unreviewed = factories.submitted_application(call)
    factories.scored(factories.submitted_application(call), FUNDABLE)
    header, rows = export_rows(call)
    by_reference = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    blank = by_reference[unreviewed.reference]
    assert blank["reviews"] == 0 and blank["mean total %"] == "no reviews yet"
    assert all(blank[f"{c.name} ({c.weight} %)"] == "no reviews yet" for c in call.criteria.all())
    assert any(row[header.index("mean total %")] not in ("", "no reviews yet") for row in rows)


def test_finding_an_application_not_eligible_sends_the_reason_to_the_applicant(
    submitted: Any, secretariat: Any, login: Any, commits: Any, mailoutbox: list
) -> None:
    submitted.applicant.language = "fr"
    submitted.applicant.save()
    client = login(secretariat)
    url = f"/admin/fellowships/application/{submitted.pk}/change/"
    with commits(execute=True):
        page = post_form(client, url, {"override": "no"})
    assert "An override needs a written justification." in messages_of(page) and not mailoutbox
    with commits(execute=True):
        post_form(client, url, {"override": "no", "override_reason": "The PhD is not yet defended."})
    (mail,) = mailoutbox
    assert mail.to == [submitted.applicant.email]
    assert "Votre candidature n\u2019est pas éligible" in mail.subject
    assert "Motif donné par le secrétariat : The PhD is not yet defended." in mail.body
    status = login(submitted.applicant).get(reverse("fellowships:application_status", args=[submitted.pk]))
    assert "The PhD is not yet defended." in status.text
