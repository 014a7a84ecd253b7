"""Chart.js configurations that tell the truth (issue 14, item 3). Pure: no models, no requests.

Every chart of the portal is built here, so every chart follows the same rules:
- every category label is drawn (``autoSkip: False``): a bar never sits under another's label;
  many or long labels turn the chart horizontal (``indexAxis: "y"``), where each label has a row
  (static/js/charts.js gives a horizontal chart the height its rows need);
- the value axis starts at zero, and a percentage axis runs from 0 to 100 % (further only if a
  value is above 100), so 0.1 % of capacity is drawn as a sliver, not at full height;
- a value that does not exist is ``None`` (no bar), never drawn as a zero.

The numbers are passed through as given (Decimal strings stay strings: Chart.js reads numeric
strings), and each page prints the same numbers in a table beside its chart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

# Beyond this many categories, or a label this long, the chart is drawn horizontally.
HORIZONTAL_AFTER = 6
LONG_LABEL = 14

Value = float | int | str | Decimal | None


def _number(value: Value) -> float | None:
    if value is None:
        return None
    try:
        return float(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return None


def json_value(value: Value) -> float | int | str | None:
    """A value as JSON can carry it: Decimals as their exact string, None as null."""
    if isinstance(value, Decimal):
        return str(value)
    return value


def percent_max(values: Sequence[Value]) -> int:
    """Top of a percentage axis: 100, or the next multiple of 10 above a value beyond 100."""
    top = max((v for v in (_number(x) for x in values) if v is not None), default=0.0)
    return 100 if top <= 100 else int(math.ceil(top / 10) * 10)


def is_horizontal(labels: Sequence[str]) -> bool:
    return len(labels) > HORIZONTAL_AFTER or any(len(str(label)) > LONG_LABEL for label in labels)


def dataset(label: str, values: Sequence[Value], **extra: Any) -> dict[str, Any]:
    return {"label": str(label), "data": [json_value(v) for v in values], **extra}


def bar_chart(
    labels: Sequence[str],
    datasets: Sequence[dict[str, Any]],
    *,
    percent: bool = False,
    stacked: bool = False,
    integers: bool = False,
    legend: bool = True,
    value_title: str | None = None,
    horizontal: bool | None = None,
) -> dict[str, Any]:
    """A bar chart: all labels drawn, horizontal when labels are many or long, values from zero
    (0 to 100 for percentages)."""
    horizontal = is_horizontal(labels) if horizontal is None else horizontal
    index_axis, value_axis = ("y", "x") if horizontal else ("x", "y")
    value_scale: dict[str, Any] = {"beginAtZero": True, "min": 0}
    if percent:
        value_scale["max"] = percent_max([v for d in datasets for v in d["data"]])
    if integers:
        value_scale["ticks"] = {"precision": 0}
    if value_title or percent:
        value_scale["title"] = {"display": True, "text": str(value_title or "%")}
    if stacked:
        value_scale["stacked"] = True
    index_scale: dict[str, Any] = {"ticks": {"autoSkip": False}}
    if stacked:
        index_scale["stacked"] = True
    options: dict[str, Any] = {
        "indexAxis": index_axis,
        "scales": {index_axis: index_scale, value_axis: value_scale},
        "plugins": {"legend": {"display": legend}},
    }
    return {
        "type": "bar",
        "data": {"labels": [str(label) for label in labels], "datasets": list(datasets)},
        "options": options,
    }


def usage_against_quota(
    labels: Sequence[str], cumulative: Sequence[Value], quota: Value, *, used_label: str, quota_label: str
) -> dict[str, Any]:
    """Cumulative usage per month from the period's start, as bars (one month is one visible bar),
    with the quota as a line across the whole chart (drawn on a hidden 0 to 1 axis, so it spans the
    chart even when the period has one month so far)."""
    return {
        "type": "bar",
        "data": {
            "labels": [str(label) for label in labels],
            "datasets": [
                dataset(used_label, cumulative, order=2),
                {
                    "type": "line",
                    "label": str(quota_label),
                    "data": [{"x": 0, "y": json_value(quota)}, {"x": 1, "y": json_value(quota)}],
                    "xAxisID": "quota",
                    "borderDash": [6, 4],
                    "borderWidth": 2,
                    "pointRadius": 0,
                    "fill": False,
                    "order": 1,
                },
            ],
        },
        "options": {
            "scales": {
                "x": {"ticks": {"autoSkip": False}},
                "quota": {"type": "linear", "axis": "x", "offset": False, "min": 0, "max": 1, "display": False},
                "y": {"beginAtZero": True, "min": 0},
            },
        },
    }
