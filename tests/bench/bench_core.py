"""Foundation scenarios: the dashboard and the notifications list under load, compared with F-page,
and their query counts at two data sizes; 120 signed-in people loading the dashboard at once."""

from __future__ import annotations

from typing import Any

from .context import Req


def _people(n: int, prefix: str) -> list[Any]:
    from allauth.account.models import EmailAddress

    from cernai.accounts.models import User

    existing = {u.email: u for u in User.objects.filter(email__startswith=f"{prefix}-")}
    wanted = [f"{prefix}-{i}@bench.example" for i in range(n)]
    User.objects.bulk_create(
        [User(email=e, name=f"Bench {e.split('@')[0]}", password="!") for e in wanted if e not in existing]
    )
    users = list(User.objects.filter(email__in=wanted).order_by("email"))
    EmailAddress.objects.bulk_create(
        [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users], ignore_conflicts=True
    )
    return users


def _notifications(user: Any, n: int) -> None:
    from cernai.core.models import Notification

    Notification.objects.filter(recipient=user).delete()
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=user,
                kind="core.test",
                dedupe_key=f"bench-{i}",
                subject=f"Bench notification {i}",
                body_text="A benchmark notification.\nSecond line.",
                email_status=Notification.EmailStatus.NONE,
            )
            for i in range(n)
        ]
    )


def run(ctx: Any) -> None:
    small, large = _people(2, "core-bench")
    _notifications(small, 5)
    _notifications(large, 200)

    counts = {}
    for label, user in (("5", small), ("200", large)):
        for path in ("/dashboard/", "/notifications/"):
            status, queries = ctx.query_count(path, user=user)
            assert status == 200, f"{path} as {user.email}: {status}"
            counts[(path, label)] = queries
    for path in ("/dashboard/", "/notifications/"):
        same = counts[(path, "5")] == counts[(path, "200")]
        ctx.record(
            "C1",
            f"{path} queries at 5 and 200 notifications",
            counts[(path, "200")],
            "queries",
            target="same at both sizes",
            passed=same,
            note=f"{counts[(path, '5')]} at 5",
        )

    auth = ctx.login(large)
    total = ctx.size(600, 200)
    for path in ("/dashboard/", "/notifications/"):
        stats = ctx.load(Req("GET", path, auth=auth), total=total, concurrency=8)
        assert stats.errors() == 0, f"{path}: {dict(stats.statuses)}"
        ctx.record("C2", f"GET {path} p95 (200 notifications)", stats.p95_ms, "ms", ratio_to="F-page.p95_ms", target=3)

    crowd = _people(120, "core-crowd")
    burst = ctx.burst([Req("GET", "/dashboard/", auth=ctx.login(u)) for u in crowd])
    errors = burst.errors(ok=[200])
    ctx.record(
        "C3",
        "120 signed-in people load the dashboard at once: wall time",
        burst.wall_s,
        "s",
        ratio_to=120 / ctx.floor("F-page", "rate"),
        floor="120 / F-page rate",
        target=2,
        passed=errors == 0 and burst.wall_s <= 2 * 120 / ctx.floor("F-page", "rate"),
        note=f"{errors} errors, p95 {burst.p95_ms:.0f} ms",
    )
