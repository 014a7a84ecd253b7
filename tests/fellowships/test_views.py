"""Pages of fellowships through the test client: applying in steps, uploads (T8), reviewing, staff work,
and query counts pinned at two data sizes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fellowships import services
from fellowships.models import Application, ExportJob, Placement, Review, ReviewAssignment
from tests.admin_forms import post_form
from tests.factories import UserFactory
from tests.fellowships import factories

pytestmark = pytest.mark.django_db


def test_apply_over_several_visits_and_submit(
    call: Any, applicant: Any, login: Any, commits: Any, mailoutbox: list
) -> None:
    client = login(applicant)
    response = client.post(reverse("fellowships:apply", args=[call.slug]))
    application = Application.objects.get()
    assert response["Location"] == reverse("fellowships:application_step", args=[application.pk, 1])
    start = timezone.localdate() + timedelta(days=100)
    step1 = {
        "d-nationality": "PT", "d-home_institution": "Universidade de Lisboa", "d-home_country": "PT",
        "d-host_site": call.host_sites.first().pk, "d-proposed_start": start,
        "d-proposed_end": start + timedelta(days=90),
        "d-secondment_months": "0", "action": "stay",
    }  # fmt: skip
    assert client.post(reverse("fellowships:application_step", args=[application.pk, 1]), step1).status_code == 302
    # Leave and come back: the draft is kept and "apply" resumes it where it was.
    client = login(applicant)
    assert client.post(reverse("fellowships:apply", args=[call.slug]))["Location"].endswith("/step/2/")
    client.post(
        reverse("fellowships:application_step", args=[application.pk, 2]), {"p-title": "T", "p-research_plan": "P"}
    )
    step3 = {
        "c-highest_degree": "phd", "c-phd_date": "2022-01-01",
        "stays-TOTAL_FORMS": "4", "stays-INITIAL_FORMS": "0",
        "stays-0-country": "CH", "stays-0-start": "2025-01-01", "stays-0-end": "2025-03-01",
        "breaks-TOTAL_FORMS": "3", "breaks-INITIAL_FORMS": "0",
    }  # fmt: skip
    assert client.post(reverse("fellowships:application_step", args=[application.pk, 3]), step3).status_code == 302
    assert client.get(reverse("fellowships:application_step", args=[application.pk, 3])).status_code == 200
    unconfirmed = client.post(reverse("fellowships:submit", args=[application.pk]), follow=True)
    assert "Confirm that you checked your application" in unconfirmed.text
    refused = client.post(reverse("fellowships:submit", args=[application.pk]), {"confirm": "yes"}, follow=True)
    assert "Please complete: CV" in refused.text
    client.post(reverse("fellowships:upload_documents", args=[application.pk]), {"doc-cv": factories.pdf()})
    page = client.get(reverse("fellowships:application_step", args=[application.pk, 5]))
    assert "months in the host country (CH)" in page.text  # the preview explains itself
    with commits(execute=True):
        done = client.post(reverse("fellowships:submit", args=[application.pk]), {"confirm": "yes"}, follow=True)
    assert "Submitted" in done.text and "Under review" in done.text
    application.refresh_from_db()
    assert application.status == "submitted" and application.stays.count() == 1
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("cv.pdf", b"<html><script>alert(1)</script></html>", "is not a real PDF"),
        ("cv.pdf", b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "is not a real PDF"),
        ("cv.pdf", b"", "is empty"),
    ],
)
def test_t8_bad_uploads_are_refused_with_a_clear_message(
    call: Any, applicant: Any, login: Any, name: str, content: bytes, message: str
) -> None:
    application = factories.filled_application(call, applicant, cv=None)
    application.cv = None
    application.save()
    upload = SimpleUploadedFile("x.pdf", content, content_type="application/pdf")
    upload.name = name
    response = login(applicant).post(
        reverse("fellowships:upload_documents", args=[application.pk]), {"doc-cv": upload}, follow=True
    )
    application.refresh_from_db()
    assert application.cv is None
    assert message in response.text


def test_t8_path_traversal_names_are_refused_or_neutralised(call: Any, applicant: Any, login: Any) -> None:
    from django.core.exceptions import ValidationError

    application = factories.filled_application(call, applicant)
    # Straight to the service (a client other than Django's parser could send the raw name):
    raw = factories.pdf()
    raw._name = "../../etc/passwd.pdf"  # UploadedFile's setter would strip the folders; bypass it
    with pytest.raises(ValidationError) as refused:
        services.attach_document(application=application, actor=applicant, upload=raw, kind="cv")
    assert "is not allowed" in refused.value.messages[0]
    # Through the page, Django's multipart parser already drops the folders; the stored name is random.
    upload = factories.pdf()
    upload.name = "../../etc/passwd.pdf"
    login(applicant).post(reverse("fellowships:upload_documents", args=[application.pk]), {"doc-cv": upload})
    application.refresh_from_db()
    assert application.cv.original_name == "passwd.pdf" and "/" not in application.cv.stored_name


def test_t8_too_large_and_stored_names_are_random(call: Any, applicant: Any, login: Any, settings: Any) -> None:
    settings.UPLOAD_MAX_BYTES = 1000
    application = factories.filled_application(call, applicant)
    big = SimpleUploadedFile("big.pdf", factories.PDF + b"0" * 2000, content_type="application/pdf")
    response = login(applicant).post(
        reverse("fellowships:upload_documents", args=[application.pk]), {"doc-cv": big}, follow=True
    )
    assert "the limit is" in response.text
    assert application.cv.stored_name != "cv.pdf" and len(application.cv.stored_name) == 36
    download = login(applicant).get(reverse("core:file_download", args=[application.cv_id]))
    assert download["Content-Disposition"].startswith("attachment") and download["X-Content-Type-Options"] == "nosniff"


def test_referee_page_uploads_a_letter(call: Any, applicant: Any, client: Any) -> None:
    application = factories.filled_application(call, applicant)
    referee = services.invite_referee(application=application, actor=applicant, name="Prof. Ref", email="r@example.org")
    url = reverse("fellowships:referee_upload", args=[services.referee_token(referee)])
    assert "Prof. Ref" in client.get(url).text
    bad = client.post(url, {"letter": SimpleUploadedFile("l.pdf", b"GIF89a", content_type="application/pdf")})
    assert "is not a real PDF" in bad.text
    ok = client.post(url, {"letter": factories.pdf("letter.pdf")}, follow=True)
    assert "your letter was received" in ok.text


def test_review_form_refuses_a_blank_and_accepts_scores(
    submitted: Any, reviewer: Any, secretariat: Any, login: Any
) -> None:
    assignment = services.assign_reviewers(applications=[submitted], reviewers=[reviewer], actor=secretariat).created[0]
    keys = [c.pk for c in submitted.call.criteria.all()]
    client = login(reviewer)
    url = reverse("fellowships:review_form", args=[assignment.pk])
    blank = client.post(url, {f"score_{keys[0]}": "4.5", f"score_{keys[1]}": "", f"score_{keys[2]}": "3.5"})
    assert blank.status_code == 200 and "Impact is blank" in blank.text
    assert not Review.objects.exists()
    bad = client.post(url, {f"score_{keys[0]}": "5.5", f"score_{keys[1]}": "3", f"score_{keys[2]}": "3.5"})
    assert "between 0 and 5" in bad.text
    scores = {f"score_{keys[0]}": "4.5", f"score_{keys[1]}": "3.0", f"score_{keys[2]}": "3.5", "comment": "good"}
    client.post(url, scores)
    assert Review.objects.get().total_percent == Decimal("77.0")
    # Sent again (a second tab, a double click): nothing more is stored, and the page shows the review.
    again = client.post(url, {**scores, f"score_{keys[0]}": "1.0"})
    assert again.status_code == 200 and "You submitted this review: 77.0 %." in again.text
    assert Review.objects.get().total_percent == Decimal("77.0")


def test_the_applications_list_shows_declared_conflicts_and_overridden_eligibility_in_the_readers_language(
    submitted: Any, reviewer: Any, secretariat: Any, login: Any
) -> None:
    assignment = services.assign_reviewers(applications=[submitted], reviewers=[reviewer], actor=secretariat).created[0]
    login(reviewer).post(
        reverse("fellowships:declare_conflict", args=[assignment.pk]), {"coi-reason": "I supervised her thesis."}
    )
    services.override_eligibility(
        application=submitted, actor=secretariat, eligible=False, justification="The stay abroad is too short."
    )
    client = login(secretariat)
    url = reverse("fellowships:staff_call", args=[submitted.call.pk])
    row = client.get(url).text
    assert f"{reviewer.name} (conflict)" in row and "no (override)" in row and f"Select {submitted.reference}" in row
    secretariat.language = "fr"
    secretariat.save(update_fields=["language"])
    assert f"{reviewer.name} (conflit)" in client.get(url).text


def test_staff_assign_ranking_decide_and_export(
    submitted: Any, reviewer: Any, secretariat: Any, login: Any, commits: Any
) -> None:
    client = login(secretariat)
    call = submitted.call
    same = UserFactory(home_institution=submitted.home_institution, name="Sam Same")
    factories.engaged_reviewer(reviewer), factories.engaged_reviewer(same)
    response = client.post(
        reverse("fellowships:staff_assign", args=[call.pk]),
        {"applications": [submitted.pk], "assign-reviewers": [reviewer.pk, same.pk]},
        follow=True,
    )
    assert "Refused: Sam Same" in response.text and "same home institution" in response.text
    assert ReviewAssignment.objects.filter(application=submitted).count() == 1
    ranking = client.get(reverse("fellowships:staff_ranking", args=[call.pk]))
    assert submitted.reference in ranking.text and "too few reviews" in ranking.text
    decide = reverse("fellowships:staff_decide", args=[call.pk])
    refused = client.post(decide, {f"decision_{submitted.pk}": "waitlisted"}, follow=True)
    assert "cannot be waitlisted: it has 0 completed review(s)" in refused.text
    factories.scored(submitted, factories.FUNDABLE, factories.FUNDABLE)
    with commits(execute=True):
        client.post(decide, {f"decision_{submitted.pk}": "waitlisted"})
    submitted.refresh_from_db()
    assert submitted.status == "waitlisted"
    with commits(execute=True):
        started = client.post(reverse("fellowships:staff_export_start", args=[call.pk]), {"format": "xlsx"})
    job = ExportJob.objects.get()
    assert started["Location"] == reverse("fellowships:staff_export", args=[job.pk])
    partial = client.get(started["Location"], headers={"HX-Request": "true"})
    assert "<html" not in partial.text and 'id="export-progress"' in partial.text and "Download" in partial.text


def test_public_pages_show_deadline_in_call_timezone_and_utc(call: Any, client: Any) -> None:
    page = client.get(reverse("fellowships:call_detail", args=[call.slug])).text
    local = call.deadline.astimezone(call.tz)
    assert f"{local:%Y-%m-%d %H:%M}" in page and "UTC" in page
    api = client.get("/api/v1/fellowships/calls/").json()
    assert api["results"][0]["slug"] == call.slug
    assert api["results"][0]["deadline_local"] == local.isoformat()
    assert [c["weight"] for c in api["results"][0]["criteria"]] == [50, 30, 20]


def _bulk(call: Any, n: int, reviewer: Any) -> None:
    """n submitted applications with one review each by ``reviewer`` (direct inserts, for sizing)."""
    from cernai.accounts.models import User

    users = User.objects.bulk_create(
        [User(email=f"bulk{call.pk}-{i}-{n}@example.org", name=f"Bulk {i}") for i in range(n)]
    )
    site = call.host_sites.first()
    apps = Application.objects.bulk_create(
        [
            Application(call=call, applicant=u, status="submitted", host_site=site, title=f"A{i}", home_institution="X")
            for i, u in enumerate(users)
        ]
    )
    assignments = ReviewAssignment.objects.bulk_create(
        [ReviewAssignment(application=a, reviewer=reviewer) for a in apps]
    )
    keys = [str(c.pk) for c in call.criteria.all()]
    Review.objects.bulk_create(
        [
            Review(
                assignment=s,
                application=s.application,
                revision=1,
                scores=dict.fromkeys(keys, "4.0"),
                total_percent=Decimal(80),
            )
            for s in assignments
        ]
    )


@pytest.mark.parametrize("url_name", ["review_queue", "staff_call", "staff_ranking", "my_applications", "call_list"])
def test_query_count_is_the_same_at_10_and_60_rows(
    call: Any, reviewer: Any, secretariat: Any, login: Any, url_name: str
) -> None:
    counts = []
    for n in (10, 60):
        target = factories.CallFactory()
        _bulk(target, n, reviewer)
        args = [target.pk] if url_name.startswith("staff") else []
        url = reverse(f"fellowships:{url_name}", args=args)
        client = login(secretariat if url_name.startswith("staff") else reviewer)
        client.get(url)  # warm caches (session, content types)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_pages_in_french(submitted: Any, client: Any) -> None:
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert "Appels ouverts" in client.get(reverse("fellowships:call_list")).text
    assert "Circulation des boursiers" in client.get(reverse("fellowships:circulation")).text
    from django.utils import translation

    with translation.override("fr"):
        reason = services.compute_eligibility(submitted)[-1].reason
    assert reason == "Aucun détachement."


def test_admin_pages_and_placement_actions(submitted: Any, secretariat: Any, login: Any) -> None:
    client = login(secretariat)  # the secretariat, not a superuser
    for model in ("call", "application", "placement", "hostsite", "programme", "reviewassignment", "exportjob"):
        assert client.get(f"/admin/fellowships/{model}/").status_code == 200, model
    assert client.get(f"/admin/fellowships/call/{submitted.call_id}/change/").status_code == 200
    assert client.get("/admin/fellowships/call/add/").status_code == 200
    factories.scored(submitted, factories.FUNDABLE, factories.FUNDABLE)
    # The decision is the admin's action, as the secretariat takes it (not the service behind it).
    post_form(client, "/admin/fellowships/application/", {"action": "accept", "_selected_action": str(submitted.pk)})
    placement = Placement.objects.get(application=submitted)
    post_form(client, "/admin/fellowships/placement/", {"action": "mark_active", "_selected_action": str(placement.pk)})
    placement.refresh_from_db()
    assert placement.status == "active"


def test_admin_dates_are_entered_in_the_calls_time_zone(states: None, login: Any) -> None:
    from datetime import UTC, datetime

    from fellowships.models import Call, Programme

    admin_user = UserFactory(email="root2@example.org", is_staff=True, is_superuser=True, mfa=True)
    site = factories.HostSiteFactory()
    programme = Programme.objects.create(name="P", kind="exchange")
    data = {
        "programme": programme.pk, "title": "NY call", "slug": "ny-call", "timezone": "America/New_York",
        "opens_at_0": "2027-01-10", "opens_at_1": "09:00:00", "deadline_0": "2027-03-01", "deadline_1": "17:00:00",
        "host_sites": [site.pk], "places": 1, "other_nationals_quota": 0, "min_duration_months": 1,
        "max_duration_months": 12, "check_nationality": "on", "career_stage": "any", "check_mobility": "on",
        "threshold_percent": "70", "min_reviewers": 2, "retention_months": 24,
        "criteria-TOTAL_FORMS": 0, "criteria-INITIAL_FORMS": 0,
        "late_allowances-TOTAL_FORMS": 0, "late_allowances-INITIAL_FORMS": 0,
    }  # fmt: skip
    response = login(admin_user).post("/admin/fellowships/call/add/", data)
    assert response.status_code == 302, response.text[:3000]
    call = Call.objects.get(slug="ny-call")
    assert call.deadline == datetime(2027, 3, 1, 22, 0, tzinfo=UTC)  # 17:00 in New York
    assert [c.weight for c in call.criteria.all()] == [50, 30, 20]  # the defaults when none given
    change = login(admin_user).get(f"/admin/fellowships/call/{call.pk}/change/")
    assert 'value="17:00:00"' in change.text


def test_the_reviewer_pool_comes_from_review_assignments_not_a_group(
    submitted: Any, reviewer: Any, secretariat: Any, login: Any
) -> None:
    """Issue 8 §2: a "Reviewers" group gives nothing; the staff page offers the people the institution
    has engaged as reviewers, whose first assignment is made in the admin (through the service)."""
    client = login(secretariat)
    page = client.get(reverse("fellowships:staff_call", args=[submitted.call_id])).text
    assert reviewer.groups.filter(name="Reviewers").exists() and "Rita Reviewer" not in page
    refused = client.post(
        reverse("fellowships:staff_assign", args=[submitted.call_id]),
        {"applications": [submitted.pk], "assign-reviewers": [reviewer.pk]},
        follow=True,
    )
    assert not ReviewAssignment.objects.filter(reviewer=reviewer).exists(), refused.text
    post_form(
        client,
        "/admin/fellowships/reviewassignment/add/",
        {"application": str(submitted.pk), "reviewer": str(reviewer.pk)},
    )
    assert ReviewAssignment.objects.filter(reviewer=reviewer, application=submitted).exists()
    assert "Rita Reviewer" in client.get(reverse("fellowships:staff_call", args=[submitted.call_id])).text
