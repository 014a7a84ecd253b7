"""Services of fellowships against the real database: submission, eligibility, review, decisions."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pghistory.models
import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from cernai.core.models import Notification
from fellowships import services
from fellowships.models import Application, LateAllowance, Placement, Review
from tests.factories import UserFactory
from tests.fellowships import factories

pytestmark = pytest.mark.django_db
BRUSSELS = ZoneInfo("Europe/Brussels")


def scores(call: Any, *values: str) -> dict[str, str]:
    return {str(c.pk): v for c, v in zip(call.criteria.all(), values, strict=True)}


def test_submit_computes_eligibility_and_sends_one_confirmation(call: Any, applicant: Any, commits: Any) -> None:
    application = factories.filled_application(call, applicant)
    with commits(execute=True):
        submitted = services.submit_application(application=application, actor=applicant)
    assert submitted.status == Application.Status.SUBMITTED
    assert submitted.eligible is True
    assert [r["rule"] for r in submitted.eligibility] == [
        "deadline", "nationality", "mobility", "duration", "secondment"
    ]  # fmt: skip
    assert all(r["reason"] for r in submitted.eligibility)
    assert [m.subject for m in mail.outbox] == [f"Application received: {submitted.reference}"]
    with pytest.raises(ValidationError):
        services.submit_application(application=submitted, actor=applicant)  # no longer editable
    assert len(mail.outbox) == 1


def test_example_3_deadline_17_brussels_through_the_service(states: None, applicant: Any) -> None:
    deadline = datetime(2027, 3, 1, 17, 0, tzinfo=BRUSSELS)
    call = factories.CallFactory(opens_at=deadline - timedelta(days=60), deadline=deadline)
    application = factories.filled_application(call, applicant)
    with pytest.raises(ValidationError) as refused:
        services.submit_application(application=application, actor=applicant, now=deadline)
    assert "2027-03-01 17:00 CET" in refused.value.messages[0]
    accepted = services.submit_application(
        application=application, actor=applicant, now=deadline - timedelta(seconds=1)
    )
    assert accepted.status == Application.Status.SUBMITTED and not accepted.late_submission


def test_late_allow_list_is_honoured_and_logged(states: None, applicant: Any, secretariat: Any) -> None:
    deadline = datetime(2027, 3, 1, 17, 0, tzinfo=BRUSSELS)
    call = factories.CallFactory(opens_at=deadline - timedelta(days=60), deadline=deadline)
    application = factories.filled_application(call, applicant)
    LateAllowance.objects.create(
        call=call, user=applicant, reason="strike at the post office", until=deadline + timedelta(days=2)
    )
    late = services.submit_application(application=application, actor=applicant, now=deadline + timedelta(hours=3))
    assert late.late_submission and late.eligibility[0]["passed"]
    events = pghistory.models.Events.objects.filter(pgh_obj_model="fellowships.Application", pgh_obj_id=str(late.pk))
    assert any("allow-list" in (e.pgh_context or {}).get("reason", "") for e in events)


def test_example_1_mobility_stored_with_its_explanation(call: Any, applicant: Any) -> None:
    application = factories.filled_application(call, applicant)
    deadline = call.deadline.astimezone(call.tz).date()
    services.save_draft(
        application=application,
        actor=applicant,
        fields={},
        stays=[("CH", deadline - timedelta(days=426), deadline + timedelta(days=30))],
    )
    submitted = services.submit_application(application=application, actor=applicant)
    mobility = next(r for r in submitted.eligibility if r["rule"] == "mobility")
    assert not submitted.eligible and not mobility["passed"]
    assert "more than 12 is not allowed" in mobility["reason"] and "(CH)" in mobility["reason"]


def test_example_2_postdoc_call(states: None, applicant: Any) -> None:
    deadline = datetime(2027, 3, 1, 17, 0, tzinfo=BRUSSELS)
    call = factories.CallFactory(opens_at=deadline - timedelta(days=60), deadline=deadline, career_stage="postdoc")
    application = factories.filled_application(call, applicant, phd_date=date(2018, 3, 1))
    services.save_draft(
        application=application, actor=applicant, fields={}, breaks=[("parental", date(2020, 1, 1), date(2021, 7, 1))]
    )
    result = services.compute_eligibility(application)
    career = next(r for r in result if r.rule == "career_stage")
    assert career.passed and "= 7.5 years" in career.reason
    services.save_draft(application=application, actor=applicant, fields={}, breaks=[])
    career = next(r for r in services.compute_eligibility(application) if r.rule == "career_stage")
    assert not career.passed and "9.0 > 8.0 years" in career.reason


def test_staff_override_needs_a_justification_and_is_logged(submitted: Any, secretariat: Any) -> None:
    with pytest.raises(ValidationError):
        services.override_eligibility(application=submitted, actor=secretariat, eligible=False, justification=" ")
    services.override_eligibility(
        application=submitted, actor=secretariat, eligible=False, justification="forged degree"
    )
    submitted.refresh_from_db()
    assert submitted.is_eligible is False
    events = pghistory.models.Events.objects.filter(
        pgh_obj_model="fellowships.Application", pgh_obj_id=str(submitted.pk)
    )
    contexts = [e.pgh_context for e in events if e.pgh_context and e.pgh_context.get("justification")]
    assert contexts == [{"actor": secretariat.pk, "reason": "eligibility override", "justification": "forged degree"}]


def test_conflicted_reviewers_are_refused_unless_overridden(submitted: Any, reviewer: Any, secretariat: Any) -> None:
    same_home = UserFactory(groups=["Reviewers"], home_institution="universidade de lisboa ")
    host = UserFactory(groups=["Reviewers"], home_institution=submitted.host_site.name)
    report = services.assign_reviewers(
        applications=[submitted], reviewers=[reviewer, same_home, host], actor=secretariat
    )
    assert [a.reviewer for a in report.created] == [reviewer]
    assert {r for _a, r, _why in report.refused} == {same_home, host}
    assert "same home institution" in report.refused[0][2]
    again = services.assign_reviewers(
        applications=[submitted],
        reviewers=[same_home],
        actor=secretariat,
        override_justification="only expert in the field",
    )
    assert len(again.overridden) == 1 and again.overridden[0].override_justification == "only expert in the field"
    # The applicant is never their own reviewer, whatever the justification.
    applicant_as_reviewer = services.assign_reviewers(
        applications=[submitted], reviewers=[submitted.applicant], actor=secretariat, override_justification="x"
    )
    assert applicant_as_reviewer.refused


def test_conflict_declaration_removes_access_and_blocks_reassignment(
    submitted: Any, reviewer: Any, secretariat: Any
) -> None:
    assignment = services.assign_reviewers(applications=[submitted], reviewers=[reviewer], actor=secretariat).created[0]
    services.declare_conflict(assignment=assignment, reviewer=reviewer, reason="co-author")
    with pytest.raises(ValidationError):
        services.submit_review(
            assignment=assignment, reviewer=reviewer, raw_scores=scores(submitted.call, "4", "4", "4")
        )
    report = services.assign_reviewers(applications=[submitted], reviewers=[reviewer], actor=secretariat)
    assert report.refused and "declared a conflict" in report.refused[0][2]


def test_review_blank_is_refused_and_scores_give_the_example_totals(
    submitted: Any, reviewer: Any, reviewer2: Any, secretariat: Any
) -> None:
    call = submitted.call
    first, second = services.assign_reviewers(
        applications=[submitted], reviewers=[reviewer, reviewer2], actor=secretariat
    ).created
    with pytest.raises(ValidationError) as blank:
        services.submit_review(assignment=first, reviewer=reviewer, raw_scores=scores(call, "4.5", "", "3.5"))
    assert "blank" in str(blank.value.message_dict)
    assert not Review.objects.exists()
    review = services.submit_review(assignment=first, reviewer=reviewer, raw_scores=scores(call, "4.5", "3.0", "3.5"))
    assert review.total_percent == Decimal("77.0")
    with pytest.raises(ValidationError):
        services.submit_review(assignment=first, reviewer=reviewer, raw_scores=scores(call, "4.5", "3.0", "3.5"))
    services.submit_review(assignment=second, reviewer=reviewer2, raw_scores=scores(call, "3", "3", "4"))
    from fellowships.selectors import ranked_list

    (row,) = ranked_list(call)
    assert row.standing.total == Decimal("70.5") and row.standing.fundable and row.within_places


def test_more_information_makes_a_new_revision_and_outdates_reviews(
    submitted: Any, reviewer: Any, secretariat: Any
) -> None:
    assignment = services.assign_reviewers(applications=[submitted], reviewers=[reviewer], actor=secretariat).created[0]
    services.submit_review(assignment=assignment, reviewer=reviewer, raw_scores=scores(submitted.call, "4", "4", "4"))
    services.request_more_information(application=submitted, actor=secretariat, message="Add your thesis date")
    submitted.refresh_from_db()
    assert submitted.status == Application.Status.INFO_REQUESTED
    services.save_draft(application=submitted, actor=submitted.applicant, fields={"title": "Better title"})
    again = services.submit_application(application=submitted, actor=submitted.applicant)
    assert again.revision == 2
    assert Review.objects.get().outdated
    # The reviewer may now review revision 2.
    services.submit_review(assignment=assignment, reviewer=reviewer, raw_scores=scores(submitted.call, "5", "5", "5"))
    assert Review.objects.filter(outdated=False).count() == 1


def test_bulk_decisions_respect_places_create_placements_and_email(call: Any, secretariat: Any, commits: Any) -> None:
    apps = [
        factories.scored(factories.submitted_application(call, u), factories.FUNDABLE, factories.FUNDABLE)
        for u in (UserFactory(), UserFactory(), UserFactory())
    ]
    mail.outbox.clear()
    with pytest.raises(ValidationError) as too_many:
        services.decide_in_bulk(decisions={a.pk: "accepted" for a in apps}, actor=secretariat)
    assert "2 places" in too_many.value.messages[0]
    with commits(execute=True):
        decided = services.decide_in_bulk(
            decisions={apps[0].pk: "accepted", apps[1].pk: "accepted", apps[2].pk: "waitlisted"}, actor=secretariat
        )
    assert [a.status for a in decided] == ["accepted", "accepted", "waitlisted"]
    assert Placement.objects.count() == 2
    placement = Placement.objects.get(application=apps[0])
    assert placement.status == Placement.Status.PLANNED
    assert len(mail.outbox) == 3 and all("Decision on your application" in m.subject for m in mail.outbox)


def test_other_nationals_count_against_the_quota(states: None, secretariat: Any) -> None:
    call = factories.CallFactory(other_nationals_quota=1, places=3)
    americans = [UserFactory(nationality="US", home_country="US") for _ in range(2)]
    apps = [
        factories.scored(factories.submitted_application(call, u), factories.FUNDABLE, factories.FUNDABLE)
        for u in americans
    ]
    assert all(a.eligible and a.other_national for a in apps)
    with pytest.raises(ValidationError) as quota:
        services.decide_in_bulk(decisions={a.pk: "accepted" for a in apps}, actor=secretariat)
    assert "other nationals" in quota.value.messages[0]


def test_referee_link_uploads_a_letter_without_an_account(call: Any, applicant: Any, commits: Any) -> None:
    application = factories.filled_application(call, applicant)
    with commits(execute=True):
        referee = services.invite_referee(
            application=application, actor=applicant, name="Prof. Ref", email="Ref@Uni.example"
        )
    invitation = mail.outbox[-1]
    assert invitation.to == ["ref@uni.example"]
    token = services.referee_token(referee)
    assert token in invitation.body and token not in str(referee.__dict__)
    services.upload_reference_letter(token=token, upload=factories.pdf("letter.pdf"))
    referee.refresh_from_db()
    assert referee.letter is not None and referee.letter.owner is None
    with pytest.raises(ValidationError):
        services.upload_reference_letter(token="0" * 64, upload=factories.pdf("letter.pdf"))
    with time_machine.travel(referee.expires_at + timedelta(seconds=1)), pytest.raises(ValidationError) as expired:
        services.upload_reference_letter(token=token, upload=factories.pdf("letter.pdf"))
    assert "expired" in expired.value.messages[0]


def test_sweep_redrives_invitations_sends_reminders_once(call: Any, applicant: Any, commits: Any) -> None:
    from fellowships.models import Referee
    from fellowships.tasks import sweep

    application = factories.filled_application(call, applicant)
    # The broker was down: the invitation task never ran; the sweeper finds it in the database.
    referee = services.invite_referee(application=application, actor=applicant, name="R", email="r@example.org")
    assert len(mail.outbox) == 0
    with time_machine.travel(referee.created_at + timedelta(minutes=1)), commits(execute=True):
        sweep()
    with commits(execute=True):
        sweep()
    assert len(mail.outbox) == 1
    referee.refresh_from_db()
    with time_machine.travel(referee.invitation_sent_at + timedelta(days=8)):
        for _ in range(2):
            with commits(execute=True):
                sweep()
    assert len(mail.outbox) == 2 and "Reminder" in mail.outbox[-1].subject
    assert Referee.objects.get().reminders_sent == 1


def test_return_report_reminders_7_days_before_and_on_the_due_date_once(submitted: Any, secretariat: Any) -> None:
    from fellowships.selectors import overdue_reports
    from fellowships.tasks import sweep

    factories.scored(submitted, factories.FUNDABLE, factories.FUNDABLE)
    services.decide(application=submitted, actor=secretariat, decision="accepted")
    placement = Placement.objects.get()
    assert placement.report_due == services.placements.report_due_for(placement.end)

    def kinds() -> list[str]:
        return list(
            Notification.objects.filter(kind="fellowships.report_reminder").values_list("dedupe_key", flat=True)
        )

    # (notifications are rows with a unique dedupe key, so idempotence is visible in the table)
    with time_machine.travel(placement.report_due - timedelta(days=8)):
        sweep()
        assert kinds() == []
    with time_machine.travel(placement.report_due - timedelta(days=7)):
        sweep()
        sweep()
        assert kinds() == [f"fellowships.report:{placement.pk}:soon"]
    with time_machine.travel(placement.report_due):
        sweep()
        sweep()
        assert sorted(kinds()) == sorted(
            [f"fellowships.report:{placement.pk}:soon", f"fellowships.report:{placement.pk}:due"]
        )
        assert list(overdue_reports()) == []
    with time_machine.travel(placement.report_due + timedelta(days=1)):
        assert list(overdue_reports()) == [placement]
        placement.refresh_from_db()
        assert placement.status == Placement.Status.COMPLETED  # the sweeper advanced it past its end


def test_report_due_is_one_calendar_month_after_the_end() -> None:
    from fellowships.services.placements import report_due_for

    assert report_due_for(date(2027, 1, 31)) == date(2027, 2, 28)
    assert report_due_for(date(2027, 12, 15)) == date(2028, 1, 15)


def test_placement_transitions(submitted: Any, secretariat: Any) -> None:
    factories.scored(submitted, factories.FUNDABLE, factories.FUNDABLE)
    services.decide(application=submitted, actor=secretariat, decision="accepted")
    placement = Placement.objects.get()
    with pytest.raises(ValueError):
        services.set_placement_status(placement=placement, actor=secretariat, status="completed")
    services.set_placement_status(placement=placement, actor=secretariat, status="active")
    assert (
        services.set_placement_status(placement=placement, actor=secretariat, status="completed").status == "completed"
    )


def test_circulation_counts_flows_and_returns_within_12_months(states: None, secretariat: Any) -> None:
    from fellowships.selectors import circulation

    call = factories.CallFactory(places=3)
    apps = [
        factories.scored(factories.submitted_application(call, u), factories.FUNDABLE, factories.FUNDABLE)
        for u in (UserFactory(), UserFactory(), UserFactory())
    ]
    services.decide_in_bulk(decisions={a.pk: "accepted" for a in apps}, actor=secretariat)
    placements = list(Placement.objects.order_by("pk"))
    Placement.objects.update(status=Placement.Status.COMPLETED)
    end = placements[0].end
    Placement.objects.filter(pk=placements[0].pk).update(returned_country="PT", returned_on=end + timedelta(days=365))
    Placement.objects.filter(pk=placements[1].pk).update(returned_country="US", returned_on=end + timedelta(days=10))
    data = circulation()
    assert data.flows == [("France", "cernai flagship campus", 3)]
    assert (data.completed, data.returned, data.returned_share) == (3, 1, Decimal("33.3"))


def test_export_csv_and_xlsx(submitted: Any, secretariat: Any, reviewer: Any, commits: Any) -> None:
    import csv
    import io

    from openpyxl import load_workbook

    from cernai.core.files import open_file

    assignment = services.assign_reviewers(applications=[submitted], reviewers=[reviewer], actor=secretariat).created[0]
    services.submit_review(
        assignment=assignment,
        reviewer=reviewer,
        raw_scores=scores(submitted.call, "4.5", "3.0", "3.5"),
        comment="=HYPERLINK(1)",
    )
    with commits(execute=True):
        job = services.request_export(call=submitted.call, actor=secretariat, format="csv")
    job.refresh_from_db()
    assert job.status == "done" and job.percent == 100
    rows = list(csv.reader(io.StringIO(open_file(job.file).read().decode("utf-8-sig"))))
    assert rows[1][0] == submitted.reference and "77.0" in rows[1]
    assert "'Rita Reviewer" not in rows[1][-1] and rows[1][-1].startswith("Rita Reviewer: 77.0;")
    with commits(execute=True):
        xjob = services.request_export(call=submitted.call, actor=secretariat, format="xlsx")
    xjob.refresh_from_db()
    sheet = load_workbook(open_file(xjob.file)).active
    assert sheet.cell(2, 1).value == submitted.reference


def test_my_data_and_erasure_after_the_retention_period(submitted: Any, commits: Any) -> None:
    user = submitted.applicant
    data = services.export_data_of(user)
    assert data["applications"][0]["title"] == "Robust multilingual models"
    request = services.request_erasure(user=user)
    assert services.request_erasure(user=user) == request  # one open request
    assert request.due_at >= submitted.call.deadline + timedelta(days=24 * 30)
    assert services.carry_out_erasure(request_id=request.pk) is False  # not yet due
    from fellowships.tasks import sweep

    with time_machine.travel(request.due_at + timedelta(minutes=1)), commits(execute=True):
        sweep()
    submitted.refresh_from_db()
    assert submitted.erased_at is not None and submitted.title == "" and submitted.cv is None
    assert submitted.home_country == "PT"  # statistics remain
