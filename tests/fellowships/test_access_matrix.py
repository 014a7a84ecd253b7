"""T7 for fellowships: every persona against every page, API object and file of an application.

An applicant never sees another's application; a conflicted or unassigned reviewer sees nothing of
it; blind reviewers see no identity."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from fellowships import services
from fellowships.models import Application
from tests.access import Row, check_matrix
from tests.factories import UserFactory
from tests.fellowships import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(call: Any, applicant: Any, reviewer: Any, reviewer2: Any, secretariat: Any, login: Any) -> dict[str, Any]:
    other = UserFactory(email="other@example.org", name="Otto Other")
    conflicted = UserFactory(email="coi@example.org", name="Cora Conflicted", groups=["Reviewers"], mfa=True)
    application = factories.filled_application(call, applicant)
    services.attach_document(
        application=application, actor=applicant, upload=factories.pdf("plan.pdf"), kind="plan_file"
    )
    referee = services.invite_referee(application=application, actor=applicant, name="Ref", email="ref@example.org")
    services.upload_reference_letter(token=services.referee_token(referee), upload=factories.pdf("letter.pdf"))
    application = services.submit_application(application=application, actor=applicant)
    report = services.assign_reviewers(applications=[application], reviewers=[reviewer, conflicted], actor=secretariat)
    mine, coi = report.created
    services.declare_conflict(assignment=coi, reviewer=conflicted, reason="former supervisor")
    draft = Application.objects.create(call=factories.CallFactory(), applicant=other)
    referee.refresh_from_db()
    clients: dict[str | None, Client] = {
        None: Client(),
        "applicant": login(applicant),
        "other": login(other),
        "reviewer": login(reviewer),
        "unassigned": login(reviewer2),
        "conflicted": login(conflicted),
        "secretariat": login(secretariat),
    }
    return {"app": application, "mine": mine, "coi": coi, "draft": draft, "clients": clients, "referee": referee}


def everyone(status: int | str) -> dict[str | None, int | str]:
    return dict.fromkeys([None, "applicant", "other", "reviewer", "unassigned", "conflicted", "secretariat"], status)


def test_access_matrix(world: dict[str, Any]) -> None:
    app, mine, coi, draft = world["app"], world["mine"], world["coi"], world["draft"]
    call = app.call
    nobody_but = lambda **allowed: {  # noqa: E731
        None: "login", "applicant": 404, "other": 404, "reviewer": 404, "unassigned": 404, "conflicted": 404,
        "secretariat": 404, **allowed,
    }  # fmt: skip
    staff_only = {**everyone(403), None: "login", "secretariat": 200}
    rows = [
        Row(reverse("fellowships:call_list"), everyone(200)),
        Row(reverse("fellowships:call_detail", args=[call.slug]), everyone(200)),
        Row(reverse("fellowships:circulation"), everyone(200)),
        Row("/api/v1/fellowships/calls/", everyone(200)),
        Row(f"/api/v1/fellowships/calls/{call.slug}/", everyone(200)),
        Row(reverse("fellowships:referee_upload", args=["not-a-token"]), everyone(404)),
        Row(reverse("fellowships:application_status", args=[app.pk]), nobody_but(applicant=200)),
        Row(reverse("fellowships:application_step", args=[app.pk, 1]), nobody_but(applicant=302)),
        Row(reverse("fellowships:application_step", args=[draft.pk, 1]), nobody_but(other=200)),
        Row(reverse("fellowships:submit", args=[app.pk]), nobody_but(applicant=302), method="post"),
        Row(reverse("fellowships:withdraw", args=[app.pk]), nobody_but(applicant=302), method="post"),
        Row(reverse("fellowships:upload_documents", args=[app.pk]), nobody_but(applicant=302), method="post"),
        Row(reverse("fellowships:invite_referee", args=[app.pk]), nobody_but(applicant=302), method="post"),
        Row(reverse("fellowships:review_form", args=[mine.pk]), nobody_but(reviewer=200)),
        Row(reverse("fellowships:review_plan", args=[mine.pk]), nobody_but(reviewer=200)),
        Row(reverse("fellowships:review_form", args=[coi.pk]), nobody_but()),
        Row(reverse("fellowships:review_plan", args=[coi.pk]), nobody_but()),
        Row(reverse("fellowships:declare_conflict", args=[coi.pk]), nobody_but(), method="post"),
        Row(reverse("fellowships:review_queue"), {**everyone(200), None: "login"}),
        Row(reverse("fellowships:my_applications"), {**everyone(200), None: "login"}),
        Row(reverse("fellowships:my_data"), {**everyone(200), None: "login"}),
        Row(reverse("core:file_download", args=[app.cv_id]), nobody_but(applicant=200, reviewer=200, secretariat=200)),
        Row(
            reverse("core:file_download", args=[app.plan_file_id]),
            nobody_but(applicant=200, reviewer=200, secretariat=200),
        ),
        # The letter is confidential: not even the applicant downloads it.
        Row(
            reverse("core:file_download", args=[world["referee"].letter_id]), nobody_but(reviewer=200, secretariat=200)
        ),
        Row(reverse("fellowships:staff_calls"), staff_only),
        Row(reverse("fellowships:staff_call", args=[call.pk]), staff_only),
        Row(reverse("fellowships:staff_ranking", args=[call.pk]), staff_only),
        Row(reverse("fellowships:staff_application", args=[app.pk]), staff_only),
    ]
    check_matrix(rows, world["clients"])


def test_lists_hold_only_the_callers_objects(world: dict[str, Any]) -> None:
    app = world["app"]
    clients = world["clients"]
    assert (
        app.reference in clients["applicant"].get(reverse("fellowships:my_applications")).text
        or app.call.title in clients["applicant"].get(reverse("fellowships:my_applications")).text
    )
    assert app.call.title not in clients["other"].get(reverse("fellowships:my_applications")).text
    assert app.reference in clients["reviewer"].get(reverse("fellowships:review_queue")).text
    for persona in ("unassigned", "conflicted", "applicant"):
        assert app.reference not in clients[persona].get(reverse("fellowships:review_queue")).text, persona


def test_blind_reviewers_see_no_identity(world: dict[str, Any]) -> None:
    app = world["app"]
    app.call.blind = True
    app.call.save()
    reviewer = world["clients"]["reviewer"]
    applicant = app.applicant
    for url in (reverse("fellowships:review_queue"), reverse("fellowships:review_form", args=[world["mine"].pk])):
        page = reviewer.get(url).text
        for identity in (applicant.name, applicant.email, app.home_institution, app.cv.original_name):
            assert identity not in page, (url, identity)
    # Files keep their identifying names: blind reviewers get none of them, only the neutral plan.
    assert reviewer.get(reverse("core:file_download", args=[app.cv_id])).status_code == 404
    assert reviewer.get(reverse("core:file_download", args=[world["referee"].letter_id])).status_code == 404
    plan = reviewer.get(reverse("fellowships:review_plan", args=[world["mine"].pk]))
    assert plan.status_code == 200
    assert plan["Content-Disposition"] == f'attachment; filename="plan-{app.reference}.pdf"'
    assert plan["X-Content-Type-Options"] == "nosniff"


def test_conflict_declaration_removes_access_at_once(world: dict[str, Any]) -> None:
    reviewer = world["clients"]["reviewer"]
    url = reverse("fellowships:review_form", args=[world["mine"].pk])
    assert reviewer.get(url).status_code == 200
    response = reviewer.post(
        reverse("fellowships:declare_conflict", args=[world["mine"].pk]), {"coi-reason": "my student"}
    )
    assert response.status_code == 302
    assert reviewer.get(url).status_code == 404
    assert reviewer.get(reverse("core:file_download", args=[world["app"].cv_id])).status_code == 404
