"""Eligibility rules of rules.md §2 as pure functions over plain values (no database, no request).

Counting decisions, kept here and only here:
- stays and breaks are half-open ranges [from, to);
- periods run to the deadline's calendar date in the call's time zone (not its hour: a PhD exactly
  8 years before a 17:00 deadline is 8.0 years, not 8.0 and 17 hours);
- years and months count in calendar dates: from 1 March to 1 March is 12.0 months whatever the leap
  days; what is left after the whole months counts in months of 365.25 / 12 days (a year is 12 months);
- limits are inclusive ("at most 8 years" allows 8.0; "more than 12 months" refuses 12.1, allows 12.0);
- explanations show one decimal.

Arithmetic is exact (``fractions.Fraction`` of days) so an inclusive limit is never lost to rounding.
Every check returns a ``Result`` whose ``reason`` says, in words and numbers, why.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

from cernai.core.sentences import data as sentence_data
from cernai.core.sentences import gettext as _

DAYS_PER_YEAR = Fraction(36525, 100)
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
MOBILITY_WINDOW_MONTHS = 36
MOBILITY_MAX_MONTHS = 12
JUNIOR_MAX_EXPERIENCE_YEARS = 4
SENIOR_MIN_YEARS_AFTER_MASTER = 4
SENIOR_MAX_YEARS_AFTER_DEGREE = 10
POSTDOC_MAX_YEARS = 8
SECONDMENT_MAX_FRACTION = Fraction(1, 3)
# Nationality: these statuses count as "of a member or associate member state".
ELIGIBLE_STATE_STATUSES = frozenset({"member", "associate"})


@dataclass(frozen=True)
class Period:
    """A half-open date range [start, end)."""

    start: date
    end: date
    label: str = ""


@dataclass(frozen=True)
class Result:
    """One rule's outcome: its key, whether it passed, and the explanation shown to people."""

    rule: str
    passed: bool
    reason: str
    facts: Mapping[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        # "reason" is the sentence in the language of the moment; "sentence" lets every reader see it in theirs.
        return {"rule": self.rule, "passed": self.passed, "reason": self.reason, "sentence": sentence_data(self.reason)}


def one_decimal(value: Fraction | float | int) -> str:
    """Half-up rounding to one decimal, the way explanations print numbers."""
    tenths = Fraction(value) * 10
    rounded = (tenths.numerator * 2 + tenths.denominator) // (2 * tenths.denominator)
    sign = "-" if rounded < 0 else ""
    rounded = abs(rounded)
    return f"{sign}{rounded // 10}.{rounded % 10}"


def moment(value: datetime, tz: ZoneInfo) -> Fraction:
    """A datetime as an exact day number on the same scale as ``date.toordinal()``, in ``tz``'s wall time."""
    local = value.astimezone(tz)
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    return local.date().toordinal() + Fraction(seconds, 86400) + Fraction(local.microsecond, 86400 * 10**6)


def format_deadline(deadline: datetime, tz: ZoneInfo) -> str:
    local = deadline.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def deadline_date(deadline: datetime, tz: ZoneInfo) -> date:
    """The calendar date of the deadline in the call's time zone: periods are counted up to it."""
    return deadline.astimezone(tz).date()


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (or earlier), the month's last day when shorter."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: date, end: date) -> Fraction:
    """Calendar months in [start, end): whole months by the calendar, the rest in months of 365.25 / 12 days."""
    if end <= start:
        return Fraction(0)
    whole = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, whole) > end:
        whole -= 1
    rest = end.toordinal() - add_months(start, whole).toordinal()
    return whole + rest / DAYS_PER_MONTH


def merged(periods: Iterable[Period], *, start: date, end: date) -> list[tuple[date, date]]:
    """The union of ``periods`` clipped to [start, end), as disjoint ranges: overlaps count once."""
    ranges: list[tuple[date, date]] = []
    for lo, hi in sorted((max(p.start, start), min(p.end, end)) for p in periods):
        if hi <= lo:
            continue
        if ranges and lo <= ranges[-1][1]:
            ranges[-1] = (ranges[-1][0], max(ranges[-1][1], hi))
        else:
            ranges.append((lo, hi))
    return ranges


def merged_months(periods: Iterable[Period], *, start: date, end: date) -> Fraction:
    """Calendar months covered by the union of ``periods`` within [start, end)."""
    return sum((months_between(lo, hi) for lo, hi in merged(periods, start=start, end=end)), Fraction(0))


# --- the rules ------------------------------------------------------------------------------------


def check_nationality(*, nationality: str, state_statuses: Mapping[str, str], other_nationals_quota: int) -> Result:
    """Nationals of member and associate member states are eligible; others only within the call's quota."""
    code = (nationality or "").upper()
    status = state_statuses.get(code)
    if status in ELIGIBLE_STATE_STATUSES:
        return Result(
            "nationality",
            True,
            _("Nationality %(code)s: a %(status)s state, eligible.") % {"code": code, "status": status},
            {"other_national": False},
        )
    if not code:
        return Result("nationality", False, _("No nationality was given."), {"other_national": False})
    if other_nationals_quota > 0:
        return Result(
            "nationality",
            True,
            _(
                "Nationality %(code)s is not of a member or associate member state; eligible within the "
                "%(quota)d place(s) this call reserves for other nationals, and counted against them."
            )
            % {"code": code, "quota": other_nationals_quota},
            {"other_national": True},
        )
    return Result(
        "nationality",
        False,
        _(
            "Nationality %(code)s is not of a member or associate member state, and this call reserves no "
            "places for other nationals."
        )
        % {"code": code},
        {"other_national": True},
    )


def years_between(earlier: date, deadline: datetime, tz: ZoneInfo) -> Fraction:
    return months_between(earlier, deadline_date(deadline, tz)) / 12


def check_junior(*, highest_degree: str, experience_years: Fraction | None) -> Result:
    """Junior: at most a master's degree and at most 4 years of professional experience."""
    if highest_degree == "phd":
        return Result("career_stage", False, _("Junior calls are for people without a PhD; you have a PhD."))
    if experience_years is None:
        return Result("career_stage", False, _("Years of professional experience were not given."))
    limit = JUNIOR_MAX_EXPERIENCE_YEARS
    text = one_decimal(experience_years)
    if experience_years <= limit:
        return Result(
            "career_stage",
            True,
            _("Junior: %(years)s years of professional experience; at most %(limit)s.0 is allowed.")
            % {"years": text, "limit": limit},
        )
    return Result(
        "career_stage",
        False,
        _("Junior: %(years)s > %(limit)s.0 years of professional experience.") % {"years": text, "limit": limit},
    )


def check_senior(
    *, highest_degree: str, phd_date: date | None, masters_date: date | None, deadline: datetime, tz: ZoneInfo
) -> Result:
    """Senior: a PhD, or more than 4 years after a master's; at most 10 years after that degree."""
    if highest_degree == "phd" and phd_date is not None:
        years = years_between(phd_date, deadline, tz)
        degree = _("the PhD")
    elif masters_date is not None:
        years = years_between(masters_date, deadline, tz)
        degree = _("the master's degree")
        if years <= SENIOR_MIN_YEARS_AFTER_MASTER:
            return Result(
                "career_stage",
                False,
                _("Senior without a PhD: %(years)s years after the master's degree; more than %(min)s.0 are needed.")
                % {"years": one_decimal(years), "min": SENIOR_MIN_YEARS_AFTER_MASTER},
            )
    else:
        return Result("career_stage", False, _("Senior calls need a PhD or a master's degree with its date."))
    if years <= SENIOR_MAX_YEARS_AFTER_DEGREE:
        return Result(
            "career_stage",
            True,
            _("Senior: %(years)s years after %(degree)s; at most %(max)s.0 is allowed.")
            % {"years": one_decimal(years), "degree": degree, "max": SENIOR_MAX_YEARS_AFTER_DEGREE},
        )
    return Result(
        "career_stage",
        False,
        _("Senior: %(years)s > %(max)s.0 years after %(degree)s.")
        % {"years": one_decimal(years), "degree": degree, "max": SENIOR_MAX_YEARS_AFTER_DEGREE},
    )


def check_postdoc(*, phd_date: date | None, breaks: Sequence[Period], deadline: datetime, tz: ZoneInfo) -> Result:
    """MSCA-style: PhD defended by the deadline; at most 8 years after it, excluding career breaks."""
    end = moment(deadline, tz)
    if phd_date is None:
        return Result("career_stage", False, _("A defended PhD is required; no defence date was given."))
    if phd_date.toordinal() >= end:
        return Result(
            "career_stage",
            False,
            _("The PhD must be defended before the deadline %(deadline)s; defence on %(date)s.")
            % {"deadline": format_deadline(deadline, tz), "date": phd_date.isoformat()},
        )
    last = deadline_date(deadline, tz)
    gross_months = months_between(phd_date, last)
    break_months = merged_months(breaks, start=phd_date, end=last)
    years = (gross_months - break_months) / 12
    gross = one_decimal(gross_months / 12)
    net = one_decimal(years)
    breaks_text = one_decimal(break_months)
    limit = POSTDOC_MAX_YEARS
    if break_months:
        detail = _(
            "%(gross)s years from the PhD (%(date)s) to the deadline %(deadline)s, minus %(breaks)s months of "
            "career breaks = %(net)s years"
        ) % {
            "gross": gross,
            "date": phd_date.isoformat(),
            "deadline": format_deadline(deadline, tz),
            "breaks": breaks_text,
            "net": net,
        }
    else:
        detail = _("%(net)s years from the PhD (%(date)s) to the deadline %(deadline)s") % {
            "net": net,
            "date": phd_date.isoformat(),
            "deadline": format_deadline(deadline, tz),
        }
    if years <= limit:
        return Result(
            "career_stage",
            True,
            _("%(detail)s; at most %(limit)s.0 is allowed.") % {"detail": detail, "limit": limit},
            {"years": years},
        )
    return Result(
        "career_stage",
        False,
        _("%(detail)s: %(net)s > %(limit)s.0 years.") % {"detail": detail, "net": net, "limit": limit},
        {"years": years},
    )


def check_mobility(*, stays: Sequence[Period], host_country: str, deadline: datetime, tz: ZoneInfo) -> Result:
    """Not more than 12 months in the host country in the 36 months before the deadline (exactly 12 passes)."""
    end = deadline_date(deadline, tz)
    months = merged_months(stays, start=add_months(end, -MOBILITY_WINDOW_MONTHS), end=end)
    listed = "; ".join(f"{p.start.isoformat()}/{p.end.isoformat()}" for p in stays) or _("none")
    numbers = {
        "months": one_decimal(months),
        "country": host_country,
        "window": MOBILITY_WINDOW_MONTHS,
        "deadline": format_deadline(deadline, tz),
        "max": MOBILITY_MAX_MONTHS,
        "stays": listed,
    }
    if months <= MOBILITY_MAX_MONTHS:
        return Result(
            "mobility",
            True,
            _(
                "%(months)s months in the host country (%(country)s) in the %(window)d months before %(deadline)s; "
                "at most %(max)d is allowed. Stays: %(stays)s."
            )
            % numbers,
            {"months": months},
        )
    return Result(
        "mobility",
        False,
        _(
            "%(months)s months in the host country (%(country)s) in the %(window)d months before %(deadline)s; "
            "more than %(max)d is not allowed. Stays: %(stays)s."
        )
        % numbers,
        {"months": months},
    )


def duration_months(start: date, end: date) -> Fraction:
    return months_between(start, end)


def check_duration(*, start: date | None, end: date | None, min_months: int, max_months: int) -> Result:
    """The proposed stay lies within the call's duration bounds (inclusive)."""
    if start is None or end is None:
        return Result("duration", False, _("Proposed start and end dates are required."))
    months = duration_months(start, end)
    numbers = {"months": one_decimal(months), "min": min_months, "max": max_months}
    if min_months <= months <= max_months:
        return Result("duration", True, _("Duration %(months)s months, within %(min)d to %(max)d months.") % numbers)
    return Result("duration", False, _("Duration %(months)s months is outside %(min)d to %(max)d months.") % numbers)


def check_secondment(*, secondment_months: Fraction, start: date | None, end: date | None) -> Result:
    """Secondments may take at most one third of the fellowship's duration."""
    if not secondment_months:
        return Result("secondment", True, _("No secondment."))
    if start is None or end is None:
        return Result("secondment", False, _("Proposed dates are needed to check the secondment."))
    allowed = duration_months(start, end) * SECONDMENT_MAX_FRACTION
    numbers = {"months": one_decimal(secondment_months), "allowed": one_decimal(allowed)}
    if secondment_months <= allowed:
        return Result(
            "secondment", True, _("Secondment %(months)s months; at most one third (%(allowed)s) is allowed.") % numbers
        )
    return Result(
        "secondment", False, _("Secondment %(months)s > %(allowed)s months (one third of the duration).") % numbers
    )


def check_deadline(*, submitted_at: datetime, deadline: datetime, tz: ZoneInfo, allow_listed: bool) -> Result:
    """A submission at or after the deadline is refused unless the applicant is on the allow-list."""
    shown = format_deadline(deadline, tz)
    if submitted_at < deadline:
        return Result("deadline", True, _("Submitted before the deadline %(deadline)s.") % {"deadline": shown})
    if allow_listed:
        return Result(
            "deadline",
            True,
            _("Submitted after the deadline %(deadline)s, allowed by the call's late-submission list.")
            % {"deadline": shown},
        )
    return Result(
        "deadline",
        False,
        _("The deadline was %(deadline)s (%(utc)s UTC); submissions at or after it are refused.")
        % {"deadline": shown, "utc": deadline.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M")},
    )


@dataclass(frozen=True)
class CallRules:
    """What a call checks (a plain copy of the Call's eligibility configuration)."""

    deadline: datetime
    tz: ZoneInfo
    check_nationality: bool = True
    career_stage: str = "any"
    check_mobility: bool = True
    other_nationals_quota: int = 0
    min_duration_months: int = 1
    max_duration_months: int = 24


@dataclass(frozen=True)
class Candidate:
    """What an application says about its applicant (plain values)."""

    nationality: str
    host_country: str
    start: date | None
    end: date | None
    secondment_months: Fraction = Fraction(0)
    highest_degree: str = ""
    masters_date: date | None = None
    phd_date: date | None = None
    experience_years: Fraction | None = None
    stays: tuple[Period, ...] = ()
    breaks: tuple[Period, ...] = ()


def evaluate(rules: CallRules, candidate: Candidate, *, state_statuses: Mapping[str, str]) -> list[Result]:
    """Every rule the call asks for, in a stable order; eligible when all pass."""
    results = []
    if rules.check_nationality:
        results.append(
            check_nationality(
                nationality=candidate.nationality,
                state_statuses=state_statuses,
                other_nationals_quota=rules.other_nationals_quota,
            )
        )
    if rules.career_stage == "junior":
        results.append(
            check_junior(highest_degree=candidate.highest_degree, experience_years=candidate.experience_years)
        )
    elif rules.career_stage == "senior":
        results.append(
            check_senior(
                highest_degree=candidate.highest_degree,
                phd_date=candidate.phd_date,
                masters_date=candidate.masters_date,
                deadline=rules.deadline,
                tz=rules.tz,
            )
        )
    elif rules.career_stage == "postdoc":
        results.append(
            check_postdoc(phd_date=candidate.phd_date, breaks=candidate.breaks, deadline=rules.deadline, tz=rules.tz)
        )
    if rules.check_mobility:
        host_stays = tuple(p for p in candidate.stays if p.label.upper() == candidate.host_country.upper())
        results.append(
            check_mobility(stays=host_stays, host_country=candidate.host_country, deadline=rules.deadline, tz=rules.tz)
        )
    results.append(
        check_duration(
            start=candidate.start,
            end=candidate.end,
            min_months=rules.min_duration_months,
            max_months=rules.max_duration_months,
        )
    )
    results.append(
        check_secondment(secondment_months=candidate.secondment_months, start=candidate.start, end=candidate.end)
    )
    return results


def all_passed(results: Iterable[Result]) -> bool:
    return all(r.passed for r in results)
