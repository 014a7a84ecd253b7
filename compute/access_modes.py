"""Access modes of allocation calls (rules.md §3, EuroHPC-style): how long an allocation may run and
which reviews a request needs. Plain values, no database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import models
from django.utils.translation import gettext_lazy as _


class AccessMode(models.TextChoices):
    BENCHMARK = "benchmark", _("Benchmark")
    DEVELOPMENT = "development", _("Development")
    REGULAR = "regular", _("Regular")
    EXTREME_SCALE = "extreme_scale", _("Extreme scale")
    FAST = "fast", _("Fast access")


class ReviewKind(models.TextChoices):
    TECHNICAL = "technical", _("Technical review")
    SCIENTIFIC = "scientific", _("Scientific peer review")


@dataclass(frozen=True)
class ModeRule:
    """Duration bounds in months (inclusive; ``max_exclusive`` for "under N months") and the reviews."""

    min_months: int
    max_months: int
    reviews: tuple[str, ...]
    max_exclusive: bool = False


RULES: dict[str, ModeRule] = {
    AccessMode.BENCHMARK: ModeRule(2, 3, (ReviewKind.TECHNICAL,)),
    AccessMode.DEVELOPMENT: ModeRule(1, 12, (ReviewKind.TECHNICAL,)),
    AccessMode.REGULAR: ModeRule(12, 12, (ReviewKind.TECHNICAL, ReviewKind.SCIENTIFIC)),
    AccessMode.EXTREME_SCALE: ModeRule(12, 12, (ReviewKind.TECHNICAL, ReviewKind.SCIENTIFIC)),
    AccessMode.FAST: ModeRule(1, 6, (ReviewKind.TECHNICAL,), max_exclusive=True),
}


def months_between(start: date, end: date) -> float:
    """Length of [start, end] in months of 365.25 / 12 days (the portal's counting convention)."""
    return ((end - start).days + 1) / (365.25 / 12)


def duration_problem(mode: str, start: date, end: date) -> str | None:
    """Why a period does not fit the access mode, or None when it does."""
    if end < start:
        return str(_("The period ends before it starts."))
    rule = RULES[mode]
    months = round(months_between(start, end), 1)
    too_long = months >= rule.max_months if rule.max_exclusive else months > rule.max_months + 0.5
    if too_long:
        limit = _("under %(n)d months") if rule.max_exclusive else _("at most %(n)d months")
        return str(_("%(mode)s allocations run %(limit)s; this period is %(months).1f months.")) % {
            "mode": AccessMode(mode).label,
            "limit": limit % {"n": rule.max_months},
            "months": months,
        }
    if months < rule.min_months - 0.5:
        return str(_("%(mode)s allocations run at least %(n)d months; this period is %(months).1f months.")) % {
            "mode": AccessMode(mode).label,
            "n": rule.min_months,
            "months": months,
        }
    return None


def required_reviews(mode: str) -> tuple[str, ...]:
    return RULES[mode].reviews
