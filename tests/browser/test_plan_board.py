"""Issue 10 item 7 in the browser: anyone opens the public fair-return board for 2027 and reads the
table (each state's share of contributions against compute granted and used, fellows sent and
hosted, nodes funded), the chart beside it with its accessible name and the states as its labels,
and downloads the CSV; then follows the plan in force. The board, the plan and the nodes list are
reached from the site menu. Every page is checked with axe-core."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import header_link
from tests.factories import UserFactory
from tests.finance.plan_data import build_year_2027

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.both_viewports
def test_public_reads_the_fair_return_board_chart_table_and_csv(page: Page, live_server: Any) -> None:
    build_year_2027(UserFactory(is_staff=True, groups=["Secretariat"]))
    page.goto(live_server.url)
    header_link(page, "Fair return").click()  # the site menu (nav registry)
    page.get_by_label("Financial year").fill("2027")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fair return 2027")

    table = page.get_by_role("table", name="Fair return per state, 2027")
    italy = table.get_by_role("row", name="Italy")
    expect(italy).to_contain_text("EUR 30.0 M")  # contribution
    expect(italy.get_by_role("cell").nth(3)).to_have_text("50.00")  # share of compute granted
    expect(italy.get_by_role("cell").nth(5)).to_have_text("60.00")  # share of compute used
    expect(italy.get_by_role("cell").nth(7)).to_have_text("2")  # fellows hosted
    expect(italy.get_by_role("cell").nth(8)).to_have_text("1")  # node funded

    chart = page.get_by_role("img", name="Shares of contributions, compute granted and compute used per state")
    expect(chart).to_be_visible()
    expect(chart).to_have_attribute("data-rendered", "1")  # Chart.js drew it
    config = json.loads(page.locator("#chart-fair-return").text_content() or "{}")
    assert config["data"]["labels"] == ["Germany", "Italy", "Malta"]
    assert [d["label"] for d in config["data"]["datasets"]] == [
        "Share of contributions (%)",
        "Share of compute granted (%)",
        "Share of compute used (%)",
    ]
    assert config["data"]["datasets"][0]["data"] == ["60.00", "30.00", "10.00"]

    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    path = download.value.path()
    assert download.value.suggested_filename == "fair-return-2027.csv"
    lines = open(path, encoding="utf-8").read().splitlines()  # noqa: SIM115
    assert "2027,IT,Italy,30000000.00,30.00,1000000.00,50.00,750000.00,60.00,0,2,1,5000000.00" in lines

    header_link(page, "Medium-term plan").click()
    expect(page).to_have_url(re.compile(r"/finance/plan/$"))
    header_link(page, "National nodes").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert page.url.endswith("/nodes/")
    page.goto(f"{live_server.url}/finance/plan/?year=2027")
    execution = page.get_by_role("table", name="Execution against the envelopes, 2027 (EUR)")
    expect(execution.get_by_role("row", name="Flagship compute")).to_contain_text("66.67")
