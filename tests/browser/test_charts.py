"""Issue 14 item 3 in the browser: charts that tell the truth. Each chart page is read as its
visitors see it, and the state Chart.js drew is read from the page (``Chart.getChart``): every
label drawn (autoSkip off) and in the order of the table beside the chart, so Germany's bar sits
beside "Germany"; the value axis starts at zero, and a percentage axis runs to 100 so 0.1 % of a
capacity is a sliver; a usage-against-quota chart with one month is one visible bar under a quota
line across the chart; and the same numbers are in an accessible table (one row per point)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from tests.compute import factories
from tests.compute.conftest import (  # noqa: F401  (fixtures shared with the compute tests)
    flagship,
    fox,
    gpu_period,
    member,
    pi,
    project,
    site_fox,
    token_client,
)
from tests.factories import UserFactory
from tests.finance.plan_data import build_year_2027
from tests.governance.factories import MemberStateFactory, adopted_scale

# ruff: noqa: F811  (the fixtures above are requested by name below)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What Chart.js drew: the axes (as scales after layout), the labels on the category axis, and each
# bar's pixels, read from the chart instance on the canvas.
DRAWN = """(canvas) => {
  const chart = Chart.getChart(canvas);
  const index = chart.options.indexAxis || 'x';
  const value = index === 'x' ? 'y' : 'x';
  const cats = chart.scales[index], vals = chart.scales[value];
  return {
    index,
    autoSkip: chart.options.scales[index].ticks.autoSkip,
    ticks: cats.ticks.map((t) => cats.getLabelForValue(t.value)),
    tickPixels: cats.ticks.map((t, i) => cats.getPixelForTick(i)),
    labels: chart.data.labels,
    lengths: chart.data.datasets.map((d) => d.data.length),
    values: chart.data.datasets.map((d) => d.data),
    min: vals.min, max: vals.max, beginAtZero: chart.options.scales[value].beginAtZero,
    area: {left: chart.chartArea.left, right: chart.chartArea.right,
           top: chart.chartArea.top, bottom: chart.chartArea.bottom},
    bars: chart.data.datasets.map((d, i) => chart.getDatasetMeta(i).data.map((e) => ({
      x: e.x, y: e.y, base: e.base === undefined ? null : e.base}))),
    types: chart.data.datasets.map((d) => d.type || chart.config.type),
    height: canvas.parentElement.clientHeight,
  };
}"""

NAMES = [
    ("AT", "Austria"), ("BE", "Belgium"), ("BG", "Bulgaria"), ("CZ", "Czechia"), ("DK", "Denmark"),
    ("EE", "Estonia"), ("FI", "Finland"), ("FR", "France"), ("DE", "Germany"), ("GR", "Greece"),
    ("HU", "Hungary"), ("IT", "Italy"), ("NL", "Netherlands"), ("NO", "Norway"), ("PL", "Poland"),
    ("PT", "Portugal"), ("RO", "Romania"), ("ES", "Spain"), ("SE", "Sweden"), ("CH", "Switzerland"),
]  # fmt: skip


def drawn(page: Page, canvas: Locator) -> dict[str, Any]:
    expect(canvas).to_have_attribute("data-rendered", "1")
    state: dict[str, Any] = canvas.evaluate(DRAWN)
    return state


def row_headers(table: Locator) -> list[str]:
    return [h.strip() for h in table.locator("tbody th[scope=row]").all_text_contents()]


def assert_every_label_in_place(state: dict[str, Any]) -> None:
    """Every label drawn, in order, each bar of a category on that category's tick."""
    assert state["autoSkip"] is False
    assert state["ticks"] == state["labels"]
    assert all(n == len(state["labels"]) for n in state["lengths"])
    step = abs(state["tickPixels"][1] - state["tickPixels"][0]) if len(state["tickPixels"]) > 1 else 1e9
    key = "y" if state["index"] == "y" else "x"
    for bars, values in zip(state["bars"], state["values"], strict=True):
        for i, bar in enumerate(bars):
            if values[i] is None:  # no value, no bar (never a zero)
                continue
            assert abs(bar[key] - state["tickPixels"][i]) < step / 2, (state["labels"][i], bar, state["tickPixels"][i])
    assert state["min"] == 0 and state["beginAtZero"] is True


def test_public_charts_draw_every_label_from_zero_beside_their_tables(page: Page, live_server: Any) -> None:
    # 20 states of 5 % each in the scale in force.
    adopted_scale({MemberStateFactory(iso2=iso2, name=name): "5" for iso2, name in NAMES})

    # Allocation report: 20 states, one row each, horizontal; Germany's bar on Germany's row.
    page.goto(f"{live_server.url}/compute/transparency/")
    state = drawn(page, page.get_by_role("img", name="Horizontal bar chart, one row per member state (20 states)"))
    assert state["index"] == "y"
    assert_every_label_in_place(state)
    assert state["max"] == 100  # shares on a 0-100 axis
    assert state["height"] >= 20 * (2 * 14 + 10)  # the box grew to give each state its rows
    table = page.get_by_role("table", name="By member state")
    assert row_headers(table) == state["labels"]
    germany = state["labels"].index("Germany")
    assert abs(state["bars"][1][germany]["y"] - state["tickPixels"][germany]) < 20

    # Member states: the same 20 contribution shares, each labelled, 5 % drawn as 5 % of the axis.
    page.goto(f"{live_server.url}/governance/member-states/")
    state = drawn(page, page.get_by_role("img", name="Horizontal bar chart of the member states"))
    assert_every_label_in_place(state)
    assert state["max"] == 100
    width = state["area"]["right"] - state["area"]["left"]
    bar = state["bars"][0][0]
    assert abs((bar["x"] - bar["base"]) / width - 0.05) < 0.01
    shares = page.get_by_role("table", name="Contribution shares (percent of member states' contributions)")
    assert row_headers(shares) == state["labels"]

    # Fair-return board and the plan's execution (2027 data with Germany, Italy and Malta).
    build_year_2027(UserFactory(is_staff=True, groups=["Secretariat"]))
    page.goto(f"{live_server.url}/finance/fair-return/?year=2027")
    state = drawn(page, page.get_by_role("img", name="Shares of contributions, compute granted and compute used"))
    assert_every_label_in_place(state)
    assert state["max"] == 100
    assert row_headers(page.get_by_role("table", name="Fair return per state, 2027")) == state["labels"]

    page.goto(f"{live_server.url}/finance/plan/?year=2027")
    state = drawn(page, page.get_by_role("img", name="Horizontal bar chart of each line's envelope"))
    assert_every_label_in_place(state)
    execution = page.get_by_role("table", name="Execution against the envelopes, 2027 (EUR)")
    assert row_headers(execution) == state["labels"]


def test_circulation_chart_has_a_row_per_home_state_in_its_table(page: Page, live_server: Any) -> None:
    from fellowships import services
    from tests.fellowships import factories as fellowship_factories

    fellowship_factories.member_states()
    staff = UserFactory(email="sia@example.org", name="Sia Staff", is_staff=True, groups=["Secretariat"], mfa=True)
    call = fellowship_factories.CallFactory(places=3)
    people = [UserFactory(nationality=c, home_country=c) for c in ("PT", "UA", "FR")]
    applications = [
        fellowship_factories.scored(
            fellowship_factories.submitted_application(call, p),
            fellowship_factories.FUNDABLE,
            fellowship_factories.FUNDABLE,
        )
        for p in people
    ]
    services.decide_in_bulk(decisions={a.pk: "accepted" for a in applications}, actor=staff)

    page.goto(f"{live_server.url}/fellowships/circulation/")
    state = drawn(page, page.get_by_role("img", name="Stacked bar chart of fellows by home state"))
    assert_every_label_in_place(state)
    table = page.get_by_role("table", name="Fellows by home state (rows) and host site (columns), as in the chart")
    assert row_headers(table) == state["labels"] == ["France", "Portugal", "Ukraine (associate member state)"]
    assert [c.strip() for c in table.locator("tbody td:last-child").all_text_contents()] == ["1", "1", "1"]


def test_one_month_of_usage_is_a_bar_under_the_quota_and_a_tiny_grant_is_a_sliver(
    page: Page,
    live_server: Any,
    browser_login: Any,
    pi: Any,
    project: Any,
    gpu_period: Any,
    secretariat: Any,
    site_fox: str,
) -> None:
    record = factories.job()  # 10 GPU-hours on the 1st of an open month
    started = datetime.fromisoformat(record["Start"]).date().replace(day=1)
    # 100 GPU-hours of a 100 000 capacity: 0.1 % of the resource period.
    allocation = factories.grant(project, gpu_period, 100, actor=secretariat, start=started)
    reply = token_client(site_fox).post(
        "/api/v1/compute/usage/", {"records": [record]}, content_type="application/json"
    )
    assert reply.json()["created"] == 1

    browser_login(page, pi)
    page.goto(f"{live_server.url}/compute/projects/{project.code}/")
    section = page.get_by_role("region", name=f"Usage against quota: {allocation.resource}")
    state = drawn(page, section.get_by_role("img", name="Bar chart of the usage of"))
    months = []
    month = started
    today = timezone.now().astimezone(UTC).date()
    while month <= today:
        months.append(f"{month:%Y-%m}")
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    assert state["labels"] == months  # one point on every day but the 1st of a month
    assert state["types"] == ["bar", "line"]
    assert state["autoSkip"] is False and state["min"] == 0
    assert state["max"] >= 100  # the quota is on the axis
    used = state["bars"][0][-1]
    assert used["base"] - used["y"] > 5  # 10 GPU-hours of 100: a bar, not a dot
    quota = state["bars"][1]
    assert quota[0]["x"] <= state["area"]["left"] + 1 and quota[1]["x"] >= state["area"]["right"] - 1
    assert abs(quota[0]["y"] - quota[1]["y"]) < 0.5  # a level line across the chart
    table = section.get_by_role("table")
    assert row_headers(table) == months
    expect(table.locator("tbody tr").last).to_contain_text("10.00")

    # The secretariat's utilisation: 0.1 % of capacity granted is drawn as 0.1 % of a 0-100 axis.
    page.context.clear_cookies()
    browser_login(page, secretariat)
    page.goto(f"{live_server.url}/compute/staff/utilisation/")
    state = drawn(page, page.get_by_role("img", name="Bar chart of the share of each resource period granted and used"))
    assert_every_label_in_place(state)
    assert state["max"] == 100
    granted = state["bars"][0][0]
    extent = abs(granted["base"] - granted["y" if state["index"] == "x" else "x"])
    axis = (
        (state["area"]["bottom"] - state["area"]["top"])
        if state["index"] == "x"
        else (state["area"]["right"] - state["area"]["left"])
    )
    assert extent < 0.01 * axis  # a sliver, not the full height
    assert row_headers(page.get_by_role("table", name="Per resource and period")) == state["labels"]
