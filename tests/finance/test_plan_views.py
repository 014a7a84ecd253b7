"""Public pages of the medium-term plan, read anonymously: the plan in force with its execution
(allocations granted x unit cost, fellowships accepted x cost), an adopted version with what changed,
the fair-return board (page, CSV, /api/v1/governance/plan/fair-return/) and /api/v1/governance/plan/;
bad input names the parameter; query counts do not grow from 10 to 1,000 rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from compute.models import Allocation, Project
from finance import plan_services
from finance.models import Call
from finance.plan_models import Envelope, PlanLine, PlanVersion
from governance.models import MemberState
from tests.factories import UserFactory
from tests.finance.plan_data import M, adopted_plan, allocation, build_year_2027, calls_for, gpu_period

PLAN, FAIR, FAIR_CSV = "/finance/plan/", "/finance/fair-return/", "/finance/fair-return.csv"
API_PLAN, API_FAIR = "/api/v1/governance/plan/", "/api/v1/governance/plan/fair-return/"


@pytest.fixture
def year_2027(db: Any, secretariat: Any) -> dict[str, Any]:
    return build_year_2027(secretariat)


def test_the_plan_in_force_shows_its_envelopes_budget_and_execution(year_2027: dict[str, Any], client: Any) -> None:
    page = client.get(PLAN, {"year": 2027}).content.decode()
    assert "In force: Plan 2027-2031" in page
    assert "Budget 2027 (the envelopes of Plan 2027-2031): EUR 8.2 M." in page
    # compute: 800,000 GPU-hours started in 2027 x EUR 2.50 = EUR 2.0 M of 3.0 M
    assert _row(page, "plan-execution", "Flagship compute") == [
        "Flagship compute",
        "EUR 3.0 M",
        "EUR 2.0 M",
        "EUR 1.0 M",
        "66.67",
    ]
    # fellowships: 2 accepted in 2027 x EUR 60,000 = EUR 120,000.00 of 200,000.00
    assert _row(page, "plan-execution", "Fellowships") == [
        "Fellowships", "EUR 200,000.00", "EUR 120,000.00", "EUR 80,000.00", "60.00",
    ]  # fmt: skip
    assert _row(page, "plan-execution", "Node Italy") == ["Node Italy", "EUR 5.0 M", "—", "—", "—"]  # not measured
    api = client.get(API_PLAN, {"year": 2027}).json()
    compute = next(r for r in api["results"] if r["code"] == "compute")
    assert compute == {
        "code": "compute",
        "name": "Flagship compute",
        "kind": "compute",
        "state": None,
        "version": "Plan 2027-2031",
        "year": 2027,
        "envelope_cents": 3 * M,
        "executed_cents": 2 * M,
        "executed_percent": "66.67",
    }
    assert client.get(API_PLAN, {"year": 2040}).json()["count"] == 0


def test_a_missing_unit_cost_is_reported_not_counted_as_zero(year_2027: dict[str, Any], client: Any) -> None:
    other = gpu_period("node-a")
    allocation(Project.objects.get(code="p-it"), other, 10, start=dt.date(2027, 5, 1))
    page = client.get(PLAN, {"year": 2027}).content.decode()
    assert "no unit cost for node-a GPU-hours" in page
    assert "Not valued for want of a unit cost: node-a GPU-hours" in client.get(FAIR, {"year": 2027}).content.decode()


def test_an_adopted_version_shows_what_changed_and_a_draft_is_not_public(
    year_2027: dict[str, Any], client: Any, secretariat: Any
) -> None:
    first = year_2027["version"]
    draft = plan_services.draft_version(
        actor=secretariat, title="Plan 2028-2032", first_year=2028, based_on_id=first.pk
    )
    assert client.get(f"/finance/plan/{draft.pk}/").status_code == 404
    compute = year_2027["lines"]["compute"]
    plan_services.set_envelope(
        actor=secretariat, version_id=draft.pk, line_id=compute.pk, year=2028, amount_cents=6 * M
    )
    from governance import services as governance_services
    from tests.finance.plan_data import budget_motion

    motion = budget_motion("Budget 2028")
    plan_services.attach_motion(actor=secretariat, version_id=draft.pk, motion_id=motion.pk)
    governance_services.publish_result(actor=secretariat, ballot_id=motion.ballots.get().pk)
    page = client.get(f"/finance/plan/{draft.pk}/").content.decode()
    assert "Changes from Plan 2027-2031 (2027–2031)" in page  # noqa: RUF001
    assert _row(page, "plan-changes", "Flagship compute") == [
        "Flagship compute",
        "2028",
        "EUR 4.0 M",
        "EUR 6.0 M",
        "EUR 2.0 M",
    ]
    plan = client.get(PLAN, {"year": 2028}).content.decode()
    assert "In force: Plan 2028-2032" in plan and f'href="/finance/plan/{first.pk}/"' in plan  # earlier stays readable
    assert "Budget 2027 (the envelopes of Plan 2027-2031)" in client.get(PLAN, {"year": 2027}).content.decode()


def test_fair_return_board_page_csv_and_api_agree(year_2027: dict[str, Any], client: Any) -> None:
    page = client.get(FAIR, {"year": 2027}).content.decode()
    assert _row(page, "fair-return", "Italy") == [
        "Italy", "EUR 30.0 M", "30.00", "EUR 1.0 M", "50.00", "EUR 750,000.00", "60.00", "0", "2", "1", "EUR 5.0 M",
    ]  # fmt: skip
    assert _row(page, "fair-return", "Malta") == [
        "Malta", "EUR 10.0 M", "10.00", "EUR 0.00", "0.00", "EUR 0.00", "0.00", "1", "0", "0", "EUR 0.00",
    ]  # fmt: skip
    assert 'aria-label="Shares of contributions, compute granted and compute used per state' in page
    lines = client.get(FAIR_CSV, {"year": 2027}).content.decode().splitlines()
    assert lines[0].startswith("year,state,name,contribution_eur,contribution_share_percent,compute_granted_eur")
    assert "2027,DE,Germany,60000000.00,60.00,1000000.00,50.00,500000.00,40.00,1,0,0,0.00" in lines
    germany = next(r for r in client.get(API_FAIR, {"year": 2027}).json()["results"] if r["state"] == "DE")
    assert germany == {
        "state": "DE",
        "name": "Germany",
        "contribution_cents": 60 * M,
        "contribution_share": "60.00",
        "compute_granted_cents": 1 * M,
        "compute_granted_share": "50.00",
        "compute_used_cents": M // 2,
        "compute_used_share": "40.00",
        "fellows_sent": 1,
        "fellows_hosted": 0,
        "nodes_funded": 0,
        "nodes_envelope_cents": 0,
    }


def test_a_bad_year_is_refused_naming_the_parameter(client: Any, db: Any) -> None:
    assert client.get(API_PLAN, {"year": "20x7"}).json() == {"year": ["A valid integer is required."]}
    assert client.get(API_FAIR, {"year": "99999"}).status_code == 400
    for url in (PLAN, FAIR):
        page = client.get(url, {"year": "abc"})
        assert page.status_code == 400 and "Enter a whole number." in page.content.decode()
    assert client.get(FAIR_CSV, {"year": "1"}).status_code == 400


def _row(html: str, table_id: str, name: str) -> list[str]:
    import re

    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if cells and cells[0] == name:
            return cells
    raise AssertionError(f"no row {name!r} in #{table_id}")


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, {"year": 2027, "limit": 1000}).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_are_the_same_at_10_and_1000_rows(client: Any, db: Any, secretariat: Any) -> None:
    period = gpu_period()
    plan_services.set_unit_cost(actor=secretariat, resource_id=period.resource_id, year=2027, cost_eur=Decimal("1.5"))
    pi = UserFactory()
    version = adopted_plan(secretariat, {}, {})

    def grow(n: int) -> None:
        start = MemberState.objects.count()
        MemberState.objects.bulk_create(MemberState(name=f"S{i:04d}", iso2=_code(i)) for i in range(start, n))
        new = list(MemberState.objects.filter(calls__isnull=True))
        calls_for(2027, dict.fromkeys(new, M))
        projects = Project.objects.bulk_create(Project(code=f"p{s.pk}", title="p", pi=pi, home_state=s) for s in new)
        Allocation.objects.bulk_create(
            Allocation(
                project=p, period=period, resource=period.resource, access_mode="development",
                start=dt.date(2027, 2, 1), end=dt.date(2027, 12, 1), amount=1000, used_seconds=3600,
            )
            for p in projects
        )  # fmt: skip
        lines = PlanLine.objects.bulk_create(
            PlanLine(code=f"node-{s.pk}", name=f"Node {s.name}", kind="node", state=s) for s in new
        )
        Envelope.objects.bulk_create(Envelope(version=version, line=line, year=2027, amount_cents=M) for line in lines)

    grow(10)
    urls = (PLAN, FAIR, FAIR_CSV, API_PLAN, API_FAIR)
    small = {url: _queries(client, url) for url in urls}
    grow(1000)
    assert client.get(API_FAIR, {"year": 2027, "limit": 1000}).json()["count"] == 1000
    assert client.get(API_PLAN, {"year": 2027, "limit": 1000}).json()["count"] == 1000
    assert Call.objects.count() == 1000 and PlanVersion.objects.count() == 1
    assert {url: _queries(client, url) for url in urls} == small


def _code(i: int) -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return alphabet[i // len(alphabet)] + alphabet[i % len(alphabet)]


def test_the_board_and_the_plan_read_in_french(year_2027: dict[str, Any], client: Any) -> None:
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    board = client.get(FAIR, {"year": 2027}).content.decode()
    assert "Juste retour par État, 2027" in board and "Boursiers accueillis" in board
    assert "Part du calcul attribué (%)" in board  # the chart's series, from Python
    plan = client.get(PLAN, {"year": 2027}).content.decode()
    assert "Exécution par rapport aux enveloppes, 2027 (EUR)" in plan and "Plan à moyen terme" in plan
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the middleware leaves the thread's language
    client.get("/")  # activated after a request: switch back so later tests read English
