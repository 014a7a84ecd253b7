"""Fellowships scenarios (quality.md B3, B4).

B3: the applications list (staff, per call) and the review queue at 10 and 1,000 rows make the same
number of queries; their p95 with 10,000 applications x 3 reviews in the call is compared with
F-page. The ranked list (every application of the call on one page, by design) is recorded too.
B4: 200 reviewers, signed in and released together by a barrier, each submit their scores for their
own application through the real review form; every review is stored once, 0 errors.

Data is bulk-created once under fixed keys (call slugs ``bench-*``) and reused by later runs.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .context import Req


def _users(emails: list[str], group: str | None = None) -> list[Any]:
    from allauth.account.models import EmailAddress
    from django.contrib.auth.models import Group

    from cernai.accounts.models import User

    User.objects.bulk_create(
        [User(email=e, name=e.split("@")[0], password="!", home_institution=f"Inst {e}") for e in emails],
        ignore_conflicts=True,
    )
    users = list(User.objects.filter(email__in=emails).order_by("email"))
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users], ignore_conflicts=True
    )
    if group:
        role = Group.objects.get_or_create(name=group)[0]
        User.groups.through.objects.bulk_create(
            [User.groups.through(user_id=u.pk, group_id=role.pk) for u in users], ignore_conflicts=True
        )
    return users


def _call(slug: str) -> Any:
    from datetime import timedelta

    from django.utils import timezone

    from fellowships.models import Call, Criterion, HostSite, Programme
    from fellowships.scoring import DEFAULT_CRITERIA

    site, _ = HostSite.objects.get_or_create(name="bench site", defaults={"country": "CH"})
    programme, _ = Programme.objects.get_or_create(name="Bench exchanges", defaults={"kind": "exchange"})
    call, created = Call.objects.get_or_create(
        slug=slug,
        defaults={
            "programme": programme,
            "title": f"Bench {slug}",
            "opens_at": timezone.now() - timedelta(days=30),
            "deadline": timezone.now() + timedelta(days=3650),
            "places": 100,
        },
    )
    if created:
        call.host_sites.add(site)
        Criterion.objects.bulk_create(
            [Criterion(call=call, name=n, weight=w, order=i) for i, (n, w) in enumerate(DEFAULT_CRITERIA)]
        )
    return call


def _applications(call: Any, n: int, reviewers: list[Any], reviews_each: int, label: str) -> list[Any]:
    """n submitted applications of ``call``, each assigned to ``reviews_each`` reviewers who reviewed it."""
    from fellowships.models import Application, Review, ReviewAssignment

    have = call.applications.count()
    if have < n:
        applicants = _users([f"{label}-{i:05d}@bench.example" for i in range(have, n)])
        site = call.host_sites.first()
        apps = Application.objects.bulk_create(
            [
                Application(
                    call=call,
                    applicant=u,
                    status="submitted",
                    host_site=site,
                    title=f"Bench {u.email}",
                    home_institution="Bench home",
                    eligible=True,
                    revision=1,
                )
                for u in applicants
            ],
            batch_size=2000,
        )
        keys = [str(c.pk) for c in call.criteria.all()]
        for offset in range(reviews_each):
            assignments = ReviewAssignment.objects.bulk_create(
                [
                    ReviewAssignment(application=a, reviewer=reviewers[(i + offset) % len(reviewers)])
                    for i, a in enumerate(apps)
                ],
                batch_size=2000,
            )
            Review.objects.bulk_create(
                [
                    Review(
                        assignment=s,
                        application=s.application,
                        revision=1,
                        scores=dict.fromkeys(keys, str(Decimal(30 + (i % 20)) / 10)),
                        total_percent=Decimal(70),
                    )
                    for i, s in enumerate(assignments)
                ],
                batch_size=2000,
            )
    return list(call.applications.order_by("pk")[:n])


def _vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in ("fellowships_application", "fellowships_review", "fellowships_reviewassignment", "accounts_user"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def b3(ctx: Any) -> None:
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.filter(email="bench-staff@bench.example").first()
    if staff is None:
        staff = get_user_model().objects.create_user("bench-staff@bench.example", name="Bench staff", is_staff=True)
    # Query counts at 10 and 1,000 rows: one reviewer whose queue holds exactly that many applications.
    counts = {}
    for rows in (10, 1_000):
        reviewer = _users([f"b3-queue-reviewer-{rows}@bench.example"], "Reviewers")[0]
        call = _call(f"bench-b3-{rows}")
        _applications(call, rows, [reviewer], 1, f"b3q{rows}")
        for name, path, user in (
            ("applications list", f"/fellowships/staff/calls/{call.pk}/", staff),
            ("review queue", "/fellowships/reviews/", reviewer),
        ):
            status, queries = ctx.query_count(path, user=user)
            assert status == 200, (path, status)
            counts[(name, rows)] = queries
    for name in ("applications list", "review queue"):
        small, big = counts[(name, 10)], counts[(name, 1_000)]
        ctx.record(
            "B3",
            f"{name}: queries at 1,000 rows",
            big,
            "queries",
            target=f"= {small} (10 rows)",
            passed=small == big,
            note=f"{small} queries at 10 rows, {big} at 1,000",
        )

    # p95 with 10,000 applications x 3 reviews in one call.
    n = ctx.size(10_000, 1_000)
    reviewers = _users([f"b3-reviewer-{i:03d}@bench.example" for i in range(30)], "Reviewers")
    call = _call(f"bench-b3-big-{n}")
    ctx.log(f"B3: {n} applications x 3 reviews")
    _applications(call, n, reviewers, 3, f"b3big{n}")
    _vacuum_analyze()  # as autovacuum leaves a production table: statistics and visibility map
    staff_auth = ctx.login(staff)
    reviewer_auth = ctx.login(reviewers[0])
    total = ctx.size(600, 150)
    for name, path, auth in (
        ("applications list", f"/fellowships/staff/calls/{call.pk}/", staff_auth),
        ("applications list, page 100", f"/fellowships/staff/calls/{call.pk}/?page=100", staff_auth),
        ("review queue", "/fellowships/reviews/", reviewer_auth),
    ):
        stats = ctx.load(Req("GET", path, auth=auth), total=total, concurrency=8)
        ctx.log(f"B3 {name}: {stats.summary()}")
        ctx.record(
            "B3",
            f"{name} with {n:,} applications x 3 reviews: p95",
            stats.p95_ms,
            "ms",
            ratio_to="F-page.p95_ms",
            target=3,
            passed=stats.errors() == 0 and stats.p95_ms <= 3 * ctx.floor("F-page", "p95_ms"),
            note=f"{stats.errors()} errors",
        )
    ranked = ctx.load(
        Req("GET", f"/fellowships/staff/calls/{call.pk}/ranking/", auth=staff_auth), total=4, concurrency=1
    )
    ctx.record(
        "B3",
        f"ranked list of {n:,} applications (one page, all rows): p95",
        ranked.p95_ms,
        "ms",
        ratio_to="F-page.p95_ms",
        target="shown, not a B3 list page",
        note="ranks every application of the call on one page by design",
    )


def b4(ctx: Any) -> None:
    from fellowships.models import Review, ReviewAssignment

    n = ctx.size(200, 50)
    call = _call(f"bench-b4-{n}")
    reviewers = _users([f"b4-reviewer-{i:03d}@bench.example" for i in range(n)], "Reviewers")
    apps = _applications(call, n, reviewers, 0, f"b4-{n}")
    # Each reviewer has one application of their own to score; earlier runs' reviews are removed.
    ReviewAssignment.objects.bulk_create(
        [ReviewAssignment(application=a, reviewer=r) for a, r in zip(apps, reviewers, strict=True)],
        ignore_conflicts=True,
    )
    Review.objects.filter(application__call=call).delete()
    assignments = {
        s.reviewer_id: s for s in ReviewAssignment.objects.filter(application__call=call, reviewer__in=reviewers)
    }
    keys = [c.pk for c in call.criteria.all()]
    auths = [ctx.login(r) for r in reviewers]
    reqs = [
        Req(
            "POST",
            f"/fellowships/reviews/{assignments[r.pk].pk}/",
            auth=a,
            data={f"score_{keys[0]}": "4.5", f"score_{keys[1]}": "3.0", f"score_{keys[2]}": "3.5", "comment": "b4"},
        )
        for r, a in zip(reviewers, auths, strict=True)
    ]
    burst = ctx.burst(reqs)
    stored = Review.objects.filter(application__call=call).count()
    ctx.log(f"B4 burst: {burst.summary()}; reviews stored {stored}")
    reference = n / ctx.floor("F-auth-write", "rate")
    ok = burst.errors() == 0 and stored == n
    ctx.record(
        "B4",
        f"{n} reviewers submit at once: wall time",
        burst.wall_s,
        "s",
        ratio_to=reference,
        floor=f"{n} / F-auth-write rate",
        target=2,
        passed=ok and burst.wall_s <= 2 * reference,
        note=f"{stored} of {n} reviews stored, {burst.errors()} errors, statuses {dict(burst.statuses)}",
    )
    # quality.md: the p95 within the wall time the target allows (2 x n / F-auth-write rate).
    ctx.record(
        "B4",
        f"{n} reviewers submit at once: p95",
        burst.p95_ms,
        "ms",
        ratio_to=reference * 1000,
        floor=f"{n} / F-auth-write rate",
        target=2,
        passed=ok and burst.p95_ms <= 2 * reference * 1000,
    )


def run(ctx: Any) -> None:
    b3(ctx)
    b4(ctx)
