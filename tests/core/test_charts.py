"""The chart rules (cernai/core/charts.py), as pure functions: every label drawn, many or long labels
turn the chart horizontal, values from zero, percentages on 0-100 (further only past 100), and a
missing value is no bar rather than a zero."""

from __future__ import annotations

from decimal import Decimal

from cernai.core import charts


def test_few_short_labels_stay_vertical_and_many_or_long_turn_horizontal_with_every_label() -> None:
    few = charts.bar_chart(["DE", "FR"], [charts.dataset("Share", [1, 2])])
    assert few["options"]["indexAxis"] == "x"
    assert few["options"]["scales"]["x"]["ticks"]["autoSkip"] is False
    assert few["options"]["scales"]["y"]["min"] == 0 and few["options"]["scales"]["y"]["beginAtZero"] is True

    many = charts.bar_chart([f"State {i}" for i in range(7)], [charts.dataset("Share", range(7))])
    long = charts.bar_chart(["Ukraine (associate member state)"], [charts.dataset("Fellows", [1])])
    for chart in (many, long):
        assert chart["options"]["indexAxis"] == "y"
        assert chart["options"]["scales"]["y"]["ticks"]["autoSkip"] is False
        assert chart["options"]["scales"]["x"]["min"] == 0


def test_percentages_run_from_0_to_100_unless_a_value_is_above() -> None:
    tiny = charts.bar_chart(["fox 2026"], [charts.dataset("Granted (%)", [0.1])], percent=True)
    assert (tiny["options"]["scales"]["y"]["min"], tiny["options"]["scales"]["y"]["max"]) == (0, 100)
    over = charts.bar_chart(["fox 2026"], [charts.dataset("Granted (%)", [Decimal("112.5")])], percent=True)
    assert over["options"]["scales"]["y"]["max"] == 120


def test_decimals_stay_exact_strings_and_a_missing_value_is_no_bar() -> None:
    chart = charts.bar_chart(["DE", "MT"], [charts.dataset("Used (%)", [Decimal("60.00"), None])], percent=True)
    assert chart["data"]["datasets"][0]["data"] == ["60.00", None]


def test_usage_against_quota_spans_the_chart_with_the_quota_even_for_one_month() -> None:
    chart = charts.usage_against_quota(["2026-11"], [10.0], 100, used_label="Used", quota_label="Granted")
    used, quota = chart["data"]["datasets"]
    assert chart["type"] == "bar" and used["data"] == [10.0]
    assert quota["type"] == "line" and [p["x"] for p in quota["data"]] == [0, 1]
    assert chart["options"]["scales"]["quota"]["min"] == 0 and chart["options"]["scales"]["quota"]["max"] == 1
    assert chart["options"]["scales"]["y"]["min"] == 0
