"""Reads of fellowships that span relations; every list a person sees is scoped here."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from cernai.core.countries import country_name, state_name
from governance.selectors import member_states

from . import scoring
from .models import Application, Call, Criterion, Placement, Review, ReviewAssignment


def state_statuses() -> dict[str, str]:
    """ISO code → status of every member state (one query)."""
    return dict(member_states().values_list("iso2", "status"))


def open_calls(now: Any = None) -> QuerySet[Call]:
    moment = now or timezone.now()
    return (
        Call.objects.filter(opens_at__lte=moment, deadline__gt=moment)
        .select_related("programme")
        .prefetch_related("host_sites", "criteria")
        .order_by("deadline", "id")
    )


def applications_of(user: Any) -> QuerySet[Application]:
    """The applicant's own applications, never anyone else's."""
    return Application.objects.filter(applicant=user).select_related("call", "call__programme", "host_site")


def active_assignments(reviewer: Any) -> QuerySet[ReviewAssignment]:
    """A reviewer's assignments that still give access: no declared conflict, application under review."""
    return ReviewAssignment.objects.filter(
        reviewer=reviewer,
        conflict_declared_at__isnull=True,
        application__status=Application.Status.SUBMITTED,
        application__erased_at__isnull=True,
    ).exclude(application__applicant=reviewer)  # never one's own application, however it was assigned


def reviewer_pool() -> QuerySet[Any]:
    """The people the institution has engaged to review fellowship applications: everyone with a review
    assignment on record (a first assignment is made in the admin, through the assignment service,
    which checks conflicts). Not a hand-kept group: nobody joins the pool by editing groups."""
    engaged = ReviewAssignment.objects.filter(reviewer=OuterRef("pk"))
    return get_user_model().objects.filter(Exists(engaged), is_active=True).order_by("name")


_QUEUE_ORDER = ("application__call__deadline", "application_id")  # a page's keys and its rows alike


def review_queue(reviewer: Any) -> QuerySet[ReviewAssignment]:
    """A reviewer's queue in the order shown, by call deadline. Pages are cut from its keys and read
    with ``review_queue_rows``: a queue of a thousand is not loaded to show fifty."""
    return active_assignments(reviewer).order_by(*_QUEUE_ORDER)


def review_queue_rows(ids: list[int]) -> list[dict[str, Any]]:
    """One page of the queue in the queue's order, as plain rows: the columns it shows, the applicant
    only outside blind calls, and the total of the current revision's review (None until written)."""
    totals = dict(
        Review.objects.filter(assignment_id__in=ids, outdated=False).values_list("assignment_id", "total_percent")
    )
    assignments = ReviewAssignment.objects.filter(pk__in=ids).order_by(*_QUEUE_ORDER)
    return [
        {
            "pk": pk,
            "reference": Application.reference_of(application_id),
            "title": title,
            "call": call,
            "blind": blind,
            "applicant": None if blind else applicant,
            "total_percent": totals.get(pk),
        }
        for pk, application_id, title, call, blind, applicant in assignments.values_list(
            "pk",
            "application_id",
            "application__title",
            "application__call__title",
            "application__call__blind",
            "application__applicant__name",
        )
    ]


def reviewer_assignment(reviewer: Any, application: Application) -> ReviewAssignment | None:
    return active_assignments(reviewer).filter(application=application).first()


def criteria_of(call: Call) -> list[scoring.WeightedCriterion]:
    criteria: list[Criterion] = list(call.criteria.all())
    return [scoring.WeightedCriterion(str(c.pk), c.name, c.weight) for c in criteria]


def scores_of(review: Review) -> dict[str, Decimal]:
    return {k: Decimal(v) for k, v in review.scores.items()}


def current_reviews() -> Prefetch:
    """Prefetch an application's current (not outdated) reviews as ``application.current``."""
    return Prefetch("reviews", queryset=Review.objects.filter(outdated=False), to_attr="current")


def standing_of(application: Application, criteria: list[scoring.WeightedCriterion]) -> scoring.Standing:
    """An application's aggregate over its current reviews (prefetched with ``current_reviews()``)."""
    call = application.call
    return scoring.aggregate(
        application.pk,
        criteria,
        [scores_of(r) for r in application.current],  # type: ignore[attr-defined]
        threshold=call.threshold_percent,
        min_reviewers=call.min_reviewers,
    )


@dataclass
class RankedRow:
    rank: int
    application: Application
    standing: scoring.Standing
    within_places: bool


def ranked_list(call: Call) -> list[RankedRow]:
    """Submitted or decided applications of a call, ranked by the mean of their current reviews."""
    criteria = criteria_of(call)
    applications = list(
        call.applications.exclude(status__in=[Application.Status.DRAFT, Application.Status.WITHDRAWN])
        .filter(erased_at__isnull=True)
        .select_related("applicant", "host_site")
        .prefetch_related(current_reviews())
    )
    standings = []
    by_id = {}
    for application in applications:
        application.call = call
        by_id[application.pk] = application
        standings.append(standing_of(application, criteria))
    rows = []
    fundable_seen = 0
    for position, standing in enumerate(scoring.rank(standings), start=1):
        application = by_id[int(standing.key)]  # type: ignore[call-overload]
        eligible = application.is_eligible is not False
        counted = standing.fundable and eligible
        if counted:
            fundable_seen += 1
        rows.append(RankedRow(position, application, standing, counted and fundable_seen <= call.places))
    return rows


def staff_applications(call: Call) -> QuerySet[Application]:
    return (
        call.applications.select_related("applicant", "host_site")
        .prefetch_related(
            current_reviews(),
            Prefetch("assignments", queryset=ReviewAssignment.objects.select_related("reviewer")),
        )
        .order_by("id")
    )


def application_list_rows(ids: list[int]) -> tuple[QuerySet[Application], dict[int, list[tuple[str, bool]]]]:
    """One page of the staff applications list: the columns its table shows and nothing more, and
    each application's reviewers as (name, declared a conflict) in assignment order. Whole
    applications with their reviews cost about a millisecond a row to load; the list pages through
    calls of 10,000 applications, and the reviewers come as plain rows, not 300 model instances."""
    applications = (
        Application.objects.filter(pk__in=ids)
        .select_related("applicant")
        .only("id", "status", "eligible", "eligibility_override", "applicant__name")
        .annotate(current_reviews=Count("reviews", filter=Q(reviews__outdated=False)))
        .order_by("id")
    )
    reviewers: dict[int, list[tuple[str, bool]]] = {}
    assigned = ReviewAssignment.objects.filter(application_id__in=ids)  # in the model's order, as assigned
    for application_id, name, conflict_at in assigned.values_list(
        "application_id", "reviewer__name", "conflict_declared_at"
    ):
        reviewers.setdefault(application_id, []).append((name, conflict_at is not None))
    return applications, reviewers


def overdue_reports(today: Any = None) -> QuerySet[Placement]:
    day = today or timezone.localdate()
    return Placement.objects.filter(report_submitted_at__isnull=True, report_due__lt=day).select_related(
        "application__applicant", "host_site"
    )


@dataclass
class Circulation:
    flows: list[tuple[str, str, int]]  # (home state name, with its status unless a member; host site; fellows)
    placements: int
    completed: int
    returned: int  # to an institution in a member state
    returned_associate: int = 0  # to one in an associate member state: counted apart, not as members

    @property
    def returned_share(self) -> Decimal | None:
        if not self.completed:
            return None
        return (Decimal(100) * self.returned / self.completed).quantize(Decimal("0.1"))


def circulation() -> Circulation:
    """Fellows by home state → host site, and who returned to a member state within 12 months.

    Member states and associate member states are told apart (rules.md §2 speaks of member states):
    a home state is labelled with its status unless it is a member, and returns to an associate member
    state are counted on their own, outside the share."""
    statuses = dict(member_states().values_list("iso2", "status"))
    names = {iso2: state_name(iso2, name) for iso2, name in member_states().values_list("iso2", "name")}
    labels = {"associate": _("associate member state"), "observer": _("observer state")}

    def home_label(code: str) -> str:
        name = names.get(code) or (country_name(code) if code else "?")
        status = statuses.get(code)
        if status == "member":
            return name
        label = labels.get(status or "") or _("not a member state")
        return f"{name} ({label})"

    rows = Placement.objects.select_related("host_site", "application").values_list(
        "application__home_country", "host_site__name", "status", "end", "returned_country", "returned_on"
    )
    counts: dict[tuple[str, str], int] = defaultdict(int)
    completed = returned = returned_associate = total = 0
    for home, host, status, end, back_country, back_on in rows:
        total += 1
        counts[(home_label(home), host)] += 1
        if status == Placement.Status.COMPLETED:
            completed += 1
            # "within 12 months after the placement": a year of 365.25 days, inclusive.
            if back_on is not None and (back_on - end).days <= 365.25:
                if statuses.get(back_country) == "member":
                    returned += 1
                elif statuses.get(back_country) == "associate":
                    returned_associate += 1
    flows = sorted(((h, s, n) for (h, s), n in counts.items()), key=lambda r: (-r[2], r[0], r[1]))
    return Circulation(flows, total, completed, returned, returned_associate)


def search_q(term: str) -> Q:
    return Q(title__icontains=term) | Q(applicant__name__icontains=term) | Q(applicant__email__icontains=term)
