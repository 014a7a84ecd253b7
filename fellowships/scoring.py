"""Review scoring of rules.md §2 as pure functions: weighted criteria, threshold, ranking.

- Each criterion is scored 0-5 with one decimal; a blank criterion blocks the review (never 0).
- Total % = Σ weightᵢ · scoreᵢ / 5 with weights in percent summing to 100.
- An application's score is the mean of its completed (current) reviews; it is fundable only with at
  least the call's minimum number of reviews and a total at or above the threshold (default 70 %).
- Ties (decision): higher mean of the first criterion (Excellence) first, then the second (Impact).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _

DEFAULT_CRITERIA = (("Excellence", 50), ("Impact", 30), ("Implementation", 20))
DEFAULT_THRESHOLD = Decimal(70)
DEFAULT_MIN_REVIEWERS = 2
MAX_SCORE = Decimal(5)
TENTH = Decimal("0.1")


class ScoreError(ValueError):
    """A review cannot be submitted: ``errors`` maps each criterion key to the reason."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = dict(errors)


@dataclass(frozen=True)
class WeightedCriterion:
    key: str
    name: str
    weight: int


def check_weights(criteria: Sequence[WeightedCriterion]) -> None:
    total = sum(c.weight for c in criteria)
    if not criteria or total != 100:
        raise ValueError(
            _("The criteria's weights must add up to 100 %% (they add up to %(total)d %%).") % {"total": total}
        )


def parse_score(raw: object) -> Decimal | None:
    """A score from a form or JSON: None when blank; ValueError when not 0-5 with one decimal."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError(_("“%(raw)s” is not a number.") % {"raw": raw}) from exc
    if not value.is_finite():
        raise ValueError(_("“%(raw)s” is not a number.") % {"raw": raw})
    if value < 0 or value > MAX_SCORE:
        raise ValueError(_("A score is between 0 and 5; %(value)s is not.") % {"value": value})
    if value != value.quantize(TENTH):
        raise ValueError(_("A score has at most one decimal; %(value)s has more.") % {"value": value})
    return value.quantize(TENTH)


def validate_scores(criteria: Sequence[WeightedCriterion], raw: Mapping[str, object]) -> dict[str, Decimal]:
    """Every criterion scored 0-5 with one decimal; blanks and bad values raise ScoreError naming each."""
    errors: dict[str, str] = {}
    scores: dict[str, Decimal] = {}
    for criterion in criteria:
        try:
            value = parse_score(raw.get(criterion.key))
        except ValueError as exc:
            errors[criterion.key] = str(exc)
            continue
        if value is None:
            errors[criterion.key] = _("%(name)s is blank: score every criterion (a blank is not 0).") % {
                "name": criterion.name
            }
            continue
        scores[criterion.key] = value
    if errors:
        raise ScoreError(errors)
    return scores


def total_percent(criteria: Sequence[WeightedCriterion], scores: Mapping[str, Decimal]) -> Decimal:
    """Σ weight · score / 5, exact (weights are whole percent, scores tenths), one decimal."""
    total = sum((Decimal(c.weight) * scores[c.key] / MAX_SCORE for c in criteria), Decimal(0))
    return total.quantize(TENTH, rounding=ROUND_HALF_UP)


def fundable(total: Decimal, threshold: Decimal = DEFAULT_THRESHOLD) -> bool:
    return total >= threshold


def explain_total(criteria: Sequence[WeightedCriterion], scores: Mapping[str, Decimal], threshold: Decimal) -> str:
    total = total_percent(criteria, scores)
    parts = " + ".join(f"{c.weight} % x {scores[c.key]}/5" for c in criteria)
    verdict = _("fundable") if fundable(total, threshold) else _("below the threshold")
    return _("%(parts)s = %(total)s %%; threshold %(threshold)s %% → %(verdict)s.") % {
        "parts": parts,
        "total": total,
        "threshold": threshold,
        "verdict": verdict,
    }


@dataclass(frozen=True)
class Standing:
    """An application's aggregate over its current reviews."""

    key: object
    reviews: int
    total: Decimal | None
    criterion_means: tuple[Decimal, ...]
    fundable: bool
    complete: bool


def aggregate(
    key: object,
    criteria: Sequence[WeightedCriterion],
    reviews: Sequence[Mapping[str, Decimal]],
    *,
    threshold: Decimal = DEFAULT_THRESHOLD,
    min_reviewers: int = DEFAULT_MIN_REVIEWERS,
) -> Standing:
    """The mean of the completed reviews' totals (and of each criterion, for ties)."""
    if not reviews:
        return Standing(key, 0, None, tuple(Decimal(0) for _c in criteria), False, False)
    n = Decimal(len(reviews))
    totals = [total_percent(criteria, r) for r in reviews]
    mean_total = (sum(totals, Decimal(0)) / n).quantize(TENTH, rounding=ROUND_HALF_UP)
    means = tuple(sum((r[c.key] for r in reviews), Decimal(0)) / n for c in criteria)
    complete = len(reviews) >= min_reviewers
    return Standing(key, len(reviews), mean_total, means, complete and fundable(mean_total, threshold), complete)


def decision_refusal(decision: str, standing: Standing, *, threshold: Decimal, min_reviewers: int) -> str | None:
    """Why an application may not be accepted or waitlisted (rules.md §2), or None; rejecting is always possible.

    Only an application with at least the call's minimum number of completed reviews and a mean total at
    or above the threshold is fundable, whatever its rank; a waitlist is a list of fundable applications.
    """
    if decision == "rejected":
        return None
    if standing.reviews < min_reviewers:
        return _("it has %(n)d completed review(s) and the call needs at least %(min)d") % {
            "n": standing.reviews,
            "min": min_reviewers,
        }
    if standing.total is None or not fundable(standing.total, threshold):
        return _("its score of %(total)s %% is below the call's threshold of %(threshold)s %%") % {
            "total": standing.total,
            "threshold": threshold,
        }
    return None


def rank(standings: Sequence[Standing]) -> list[Standing]:
    """Highest total first; ties by the first criterion's mean, then the second; unscored last."""

    def sort_key(s: Standing) -> tuple[object, ...]:
        tie = tuple(-m for m in s.criterion_means[:2])
        return (s.total is None, -(s.total or Decimal(0)), *tie, str(s.key))

    return sorted(standings, key=sort_key)
