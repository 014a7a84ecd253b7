"""rules.md §2 eligibility: every worked example plus hypothesis properties of the counting rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from fellowships import eligibility as e

BRUSSELS = ZoneInfo("Europe/Brussels")
DEADLINE = datetime(2027, 3, 1, 17, 0, tzinfo=BRUSSELS)
STATES = {"FR": "member", "PT": "member", "UA": "associate", "US": "observer", "RS": "candidate"}


def test_example_1_fourteen_months_in_host_country_is_ineligible_and_says_why() -> None:
    stays = [e.Period(date(2026, 1, 1), date(2027, 6, 1), "FR")]
    result = e.check_mobility(stays=stays, host_country="FR", deadline=DEADLINE, tz=BRUSSELS)
    assert not result.passed
    assert result.reason.startswith("14.0 months in the host country (FR) in the 36 months before 2027-03-01 17:00 CET")
    assert "more than 12 is not allowed" in result.reason
    assert "2026-01-01/2027-06-01" in result.reason  # the stays are shown


def test_mobility_exactly_twelve_months_is_eligible_and_a_day_more_is_not() -> None:
    # 1 March to 1 March is 12.0 calendar months, leap day included (366 days), up to a 17:00 deadline.
    twelve = [e.Period(date(2026, 3, 1), date(2027, 3, 1), "FR")]
    leap = [e.Period(date(2023, 3, 1), date(2024, 3, 1), "FR")]
    result = e.check_mobility(stays=twelve, host_country="FR", deadline=DEADLINE, tz=BRUSSELS)
    assert result.passed, result.reason
    assert result.reason.startswith("12.0 months") and result.facts["months"] == 12
    leap_deadline = datetime(2024, 3, 1, 17, 0, tzinfo=BRUSSELS)
    assert e.check_mobility(stays=leap, host_country="FR", deadline=leap_deadline, tz=BRUSSELS).passed
    more = [e.Period(date(2026, 2, 28), date(2027, 3, 1), "FR")]
    assert not e.check_mobility(stays=more, host_country="FR", deadline=DEADLINE, tz=BRUSSELS).passed


def test_mobility_clips_to_the_window_and_counts_overlaps_once() -> None:
    stays = [
        e.Period(date(2020, 1, 1), date(2024, 9, 1), "FR"),  # before the window except its tail
        e.Period(date(2024, 6, 1), date(2024, 12, 1), "FR"),  # overlaps the first
    ]
    result = e.check_mobility(stays=stays, host_country="FR", deadline=DEADLINE, tz=BRUSSELS)
    # The window is the 36 calendar months before the deadline's date: [2024-03-01, 2027-03-01).
    assert result.facts["months"] == 9  # 2024-03-01 to 2024-12-01
    assert result.passed


def test_example_2_postdoc_career_breaks() -> None:
    phd = date(2018, 3, 1)  # 9.0 years before the deadline
    leave = e.Period(date(2020, 1, 1), date(2021, 7, 1), "parental")  # 18 months
    with_leave = e.check_postdoc(phd_date=phd, breaks=[leave], deadline=DEADLINE, tz=BRUSSELS)
    assert with_leave.passed
    assert "= 7.5 years" in with_leave.reason
    without = e.check_postdoc(phd_date=phd, breaks=[], deadline=DEADLINE, tz=BRUSSELS)
    assert not without.passed
    assert "9.0 > 8.0 years" in without.reason


def test_postdoc_exactly_eight_years_is_allowed_and_thesis_after_deadline_is_not() -> None:
    deadline = datetime(2027, 3, 1, 0, 0, tzinfo=UTC)
    phd = date(2019, 3, 1)
    assert e.check_postdoc(phd_date=phd, breaks=[], deadline=deadline, tz=ZoneInfo("UTC")).passed
    late = e.check_postdoc(phd_date=date(2027, 3, 2), breaks=[], deadline=deadline, tz=ZoneInfo("UTC"))
    assert not late.passed


def test_phd_exactly_8_years_before_a_17_00_deadline_is_eligible() -> None:
    """Counted to the deadline's date, not its instant: 8.0 years, not "8.0 > 8.0 years"."""
    result = e.check_postdoc(phd_date=date(2019, 3, 1), breaks=[], deadline=DEADLINE, tz=BRUSSELS)
    assert result.passed, result.reason
    assert result.facts["years"] == 8
    assert "8.0 years from the PhD (2019-03-01) to the deadline 2027-03-01 17:00 CET" in result.reason
    day_later = e.check_postdoc(phd_date=date(2019, 2, 28), breaks=[], deadline=DEADLINE, tz=BRUSSELS)
    assert not day_later.passed


def test_years_and_months_count_in_calendar_dates() -> None:
    assert e.months_between(date(2024, 1, 31), date(2024, 2, 29)) == 1  # to the month's last day
    assert e.months_between(date(2023, 3, 1), date(2024, 3, 1)) == 12  # a leap year is 12 months too
    assert e.months_between(date(2027, 1, 1), date(2027, 1, 1)) == 0
    assert e.duration_months(date(2027, 1, 1), date(2027, 7, 1)) == 6
    assert e.years_between(date(2017, 3, 1), DEADLINE, BRUSSELS) == 10  # senior's "at most 10 years"


def test_example_3_deadline_at_17_brussels() -> None:
    deadline = datetime(2027, 3, 1, 17, 0, tzinfo=BRUSSELS)
    before = datetime(2027, 3, 1, 16, 59, 59, tzinfo=BRUSSELS)
    at = datetime(2027, 3, 1, 17, 0, 0, tzinfo=BRUSSELS)
    assert e.check_deadline(submitted_at=before, deadline=deadline, tz=BRUSSELS, allow_listed=False).passed
    refused = e.check_deadline(submitted_at=at, deadline=deadline, tz=BRUSSELS, allow_listed=False)
    assert not refused.passed
    assert "2027-03-01 17:00 CET (2027-03-01 16:00 UTC)" in refused.reason
    # The same instant seen from UTC is the same instant.
    assert not e.check_deadline(
        submitted_at=at.astimezone(UTC), deadline=deadline, tz=BRUSSELS, allow_listed=False
    ).passed
    assert e.check_deadline(submitted_at=at, deadline=deadline, tz=BRUSSELS, allow_listed=True).passed


def test_nationality_member_associate_and_quota_for_others() -> None:
    assert e.check_nationality(nationality="PT", state_statuses=STATES, other_nationals_quota=0).passed
    assert e.check_nationality(nationality="UA", state_statuses=STATES, other_nationals_quota=0).passed
    observer = e.check_nationality(nationality="US", state_statuses=STATES, other_nationals_quota=0)
    assert not observer.passed and "reserves no places" in observer.reason
    quota = e.check_nationality(nationality="US", state_statuses=STATES, other_nationals_quota=2)
    assert quota.passed and quota.facts["other_national"] is True
    assert not e.check_nationality(nationality="RS", state_statuses=STATES, other_nationals_quota=0).passed


def test_junior_and_senior() -> None:
    assert e.check_junior(highest_degree="master", experience_years=Fraction(4)).passed
    too_long = e.check_junior(highest_degree="master", experience_years=Fraction(41, 10))
    assert not too_long.passed and "4.1 > 4.0" in too_long.reason
    assert not e.check_junior(highest_degree="phd", experience_years=Fraction(1)).passed
    phd = e.check_senior(
        highest_degree="phd", phd_date=date(2020, 1, 1), masters_date=None, deadline=DEADLINE, tz=BRUSSELS
    )
    assert phd.passed
    young = e.check_senior(
        highest_degree="master", phd_date=None, masters_date=date(2024, 1, 1), deadline=DEADLINE, tz=BRUSSELS
    )
    assert not young.passed and "more than 4.0" in young.reason
    old = e.check_senior(
        highest_degree="phd", phd_date=date(2010, 1, 1), masters_date=None, deadline=DEADLINE, tz=BRUSSELS
    )
    assert not old.passed and "> 10.0 years" in old.reason


def test_secondment_at_most_one_third() -> None:
    start, end = date(2027, 1, 1), date(2027, 1, 1) + timedelta(days=365.25 * 1.5 // 1 + 1)
    months = e.duration_months(start, end)
    assert e.check_secondment(secondment_months=months / 3, start=start, end=end).passed
    over = e.check_secondment(secondment_months=months / 3 + Fraction(1, 10), start=start, end=end)
    assert not over.passed


def test_evaluate_runs_the_configured_rules() -> None:
    rules = e.CallRules(deadline=DEADLINE, tz=BRUSSELS, career_stage="postdoc", max_duration_months=24)
    candidate = e.Candidate(
        nationality="PT",
        host_country="FR",
        start=date(2027, 9, 1),
        end=date(2028, 9, 1),
        phd_date=date(2022, 1, 1),
        highest_degree="phd",
        stays=(e.Period(date(2026, 1, 1), date(2026, 3, 1), "FR"), e.Period(date(2025, 1, 1), date(2026, 1, 1), "DE")),
    )
    results = e.evaluate(rules, candidate, state_statuses=STATES)
    assert [r.rule for r in results] == ["nationality", "career_stage", "mobility", "duration", "secondment"]
    assert e.all_passed(results), [r.reason for r in results]


dates = st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 1, 1))
periods = st.lists(
    st.tuples(dates, st.integers(min_value=1, max_value=900)).map(
        lambda t: e.Period(t[0], t[0] + timedelta(days=t[1]), "FR")
    ),
    max_size=6,
)


@given(periods)
def test_mobility_never_exceeds_the_window_nor_the_sum_of_stays(stays: list[e.Period]) -> None:
    result = e.check_mobility(stays=stays, host_country="FR", deadline=DEADLINE, tz=BRUSSELS)
    months = result.facts["months"]
    assert 0 <= months <= 36
    assert months * 28 <= sum((p.end - p.start).days for p in stays)  # a calendar month has 28 days or more


@given(periods)
def test_duplicating_stays_changes_nothing(stays: list[e.Period]) -> None:
    once = e.check_mobility(stays=stays, host_country="FR", deadline=DEADLINE, tz=BRUSSELS)
    twice = e.check_mobility(stays=stays + stays, host_country="FR", deadline=DEADLINE, tz=BRUSSELS)
    assert once.facts["months"] == twice.facts["months"]
    assert once.passed == (once.facts["months"] <= 12)


@given(dates, periods)
def test_postdoc_breaks_only_reduce_experience(phd: date, breaks: list[e.Period]) -> None:
    with_breaks = e.check_postdoc(phd_date=phd, breaks=breaks, deadline=DEADLINE, tz=BRUSSELS)
    without = e.check_postdoc(phd_date=phd, breaks=[], deadline=DEADLINE, tz=BRUSSELS)
    if "years" in without.facts:
        assert with_breaks.facts["years"] <= without.facts["years"]
        assert with_breaks.facts["years"] >= 0
        assert without.passed == (without.facts["years"] <= 8)
        assert with_breaks.passed == (with_breaks.facts["years"] <= 8)


@given(st.fractions(min_value=0, max_value=1000, max_denominator=1000))
def test_one_decimal_rounds_half_up(value: Fraction) -> None:
    shown = e.one_decimal(value)
    assert abs(Fraction(shown) - value) <= Fraction(1, 20)
