"""Issue 10 item 6: one registry of national nodes. The secretariat registers a node in the admin
and names it on a fellowships host site and a compute site (their own admin pages) and on a plan
line; the node's public page shows the fellows hosted, its resources with what is granted and used,
and its envelopes in the plan in force. Query counts do not grow from 10 to 1,000 rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from compute.models import Allocation, Cluster, Project, Resource, ResourcePeriod, Site, Unit
from fellowships.models import HostSite, Placement
from finance import plan_services
from finance.plan_models import Envelope, PlanLine
from nodes.models import Node
from tests.access import Row, check_matrix
from tests.admin_forms import messages_of, post_form
from tests.factories import UserFactory
from tests.fellowships.factories import HostSiteFactory
from tests.finance.plan_data import Y2027, M, accepted_fellow, adopted_plan, allocation, gpu_period
from tests.governance.factories import MemberStateFactory


@pytest.fixture
def staff(secretariat: Any, login: Any) -> Any:
    assert not secretariat.is_superuser
    return login(secretariat)


def test_secretariat_registers_a_node_and_its_sites_and_the_public_page_gathers_them(
    db: Any, staff: Any, secretariat: Any, client: Any
) -> None:
    italy = MemberStateFactory(iso2="IT", name="Italy")
    person = UserFactory(name="Ada Nodi")
    post_form(
        staff,
        "/admin/nodes/node/add/",
        {
            "name": "Node Bologna",
            "slug": "bologna",
            "host_institution": "CINECA",
            "state": str(italy.pk),
        },
    )
    node = Node.objects.get()
    assert node.state == italy
    # (post_form cannot pick from a multiple select that starts empty: the people are added here)
    node.people.add(person)

    host = HostSiteFactory(name="Bologna campus", country="IT")
    response = post_form(staff, f"/admin/fellowships/hostsite/{host.pk}/change/", {"node": str(node.pk)})
    assert response.status_code == 200, messages_of(response)
    period = gpu_period("bologna")
    site = Site.objects.get(slug="bologna")
    post_form(staff, f"/admin/compute/site/{site.pk}/change/", {"node": str(node.pk)})
    assert HostSite.objects.get(pk=host.pk).node == node and Site.objects.get(pk=site.pk).node == node

    post_form(
        staff,
        "/admin/finance/planline/add/",
        {"code": "node-bo", "name": "Bologna", "kind": "node", "node": str(node.pk)},
    )
    line = PlanLine.objects.get()
    assert line.state == italy  # from the node
    adopted_plan(secretariat, {"node-bo": line}, {("node-bo", 2027): 5 * M, ("node-bo", 2028): 6 * M})

    fellow = accepted_fellow(home="DE", host=host, decided=Y2027)
    accepted_fellow(home="FR", host=host, decided=Y2027)
    Placement.objects.create(
        application=fellow,
        host_site=host,
        start=dt.date(2027, 9, 1),
        end=dt.date(2028, 8, 31),
        report_due=dt.date(2028, 10, 1),
    )
    project = Project.objects.create(code="bo-1", title="t", pi=person, home_state=italy)
    allocation(project, period, 40_000, start=dt.date(2027, 2, 1), used_hours=12_345)

    page = client.get("/nodes/bologna/").content.decode()
    assert "CINECA" in page and "Ada Nodi" in page
    assert (
        "Fellows accepted at the node&#x27;s host sites: 2" in page
        or "Fellows accepted at the node's host sites: 2" in page
    )
    assert _cells(page, "node-hosted", "Bologna campus") == ["Bologna campus", "2", "1"]
    assert _cells(page, "node-resources", "bologna GPU-hours") == [
        "bologna GPU-hours",
        "Bologna",
        "GPU-hours",
        "40000",
        "12,345",
    ]
    # Per period, from the compute ledger: 12,345 of the 40,000 hours granted.
    assert _cells(page, "node-periods", "bologna GPU-hours") == [
        "bologna GPU-hours",
        "2026-01-01 – 2030-12-31",  # noqa: RUF001
        str(10**9),
        "40000",
        "12,345",
        "30.86 %",
    ]
    # The envelope, and its execution: the node's allocations granted in 2027 valued at the unit cost;
    # without a unit cost the page says what is missing.
    assert _cells(page, "node-envelopes", "Bologna")[:3] == ["Bologna", "2027", "EUR 5.0 M"]
    assert _cells(page, "node-envelopes", "Bologna")[3] == "EUR 0.00 *"
    assert "Not valued for want of a unit cost: bologna GPU-hours." in page
    plan_services.set_unit_cost(actor=secretariat, resource_id=period.resource_id, year=2027, cost_eur=Decimal(25))
    page = client.get("/nodes/bologna/").content.decode()
    assert _cells(page, "node-envelopes", "Bologna") == ["Bologna", "2027", "EUR 5.0 M", "EUR 1.0 M", "20.00 %"]
    assert _cells(page, "node-envelopes", "Bologna", nth=1) == ["Bologna", "2028", "EUR 6.0 M", "EUR 0.00", "0.00 %"]
    assert 'href="/nodes/bologna/"' in client.get("/nodes/").content.decode()


def test_a_plan_line_cannot_name_a_node_of_another_state(db: Any, staff: Any) -> None:
    italy, france = MemberStateFactory(iso2="IT", name="Italy"), MemberStateFactory(iso2="FR", name="France")
    node = Node.objects.create(slug="bologna", name="Node Bologna", host_institution="CINECA", state=italy)
    changes = {"code": "n", "name": "n", "kind": "node", "node": str(node.pk), "state": str(france.pk)}
    assert "the node is in another state" in messages_of(post_form(staff, "/admin/finance/planline/add/", changes))
    assert not PlanLine.objects.exists()


def test_access_matrix(db: Any, chair: Any, secretariat: Any, applicant: Any, login: Any) -> None:
    italy = MemberStateFactory(iso2="IT", name="Italy")
    node = Node.objects.create(slug="bologna", name="Node Bologna", host_institution="CINECA", state=italy)
    clients: dict[str | None, Client] = {
        None: Client(),
        "applicant": login(applicant),
        "chair": login(chair),
        "secretariat": login(secretariat),
    }
    everyone = dict.fromkeys(clients, 200)
    secretariat_only = {None: 302, "applicant": 302, "chair": 302, "secretariat": 200}
    rows = [
        Row("/nodes/", everyone),
        Row("/nodes/bologna/", everyone),
        Row("/nodes/nowhere/", dict.fromkeys(clients, 404)),
        Row("/admin/nodes/node/", secretariat_only),
        Row("/admin/nodes/node/add/", secretariat_only),
        Row(f"/admin/nodes/node/{node.pk}/change/", secretariat_only),
        Row(f"/admin/nodes/node/{node.pk}/delete/", {"secretariat": 403}),
    ]
    check_matrix(rows, clients)


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_counts_are_the_same_at_10_and_1000_rows(db: Any, client: Any, secretariat: Any) -> None:
    italy = MemberStateFactory(iso2="IT", name="Italy")
    node = Node.objects.create(slug="bologna", name="Node Bologna", host_institution="CINECA", state=italy)
    version = adopted_plan(secretariat, {}, {})
    period = gpu_period("bologna")
    Site.objects.filter(slug="bologna").update(node=node)
    project = Project.objects.create(code="bo-1", title="t", pi=UserFactory(), home_state=italy)

    def grow(n: int) -> None:
        start = Node.objects.count()
        Node.objects.bulk_create(
            Node(slug=f"n{i}", name=f"Node {i:04d}", host_institution="x", state=italy) for i in range(start, n)
        )
        hosts = HostSite.objects.bulk_create(
            HostSite(name=f"Host {i:04d}", country="IT", node=node) for i in range(start, n)
        )
        for host in hosts[:3]:
            accepted_fellow(home="DE", host=host, decided=Y2027)
        lines = PlanLine.objects.bulk_create(
            PlanLine(code=f"l{i}", name=f"Line {i:04d}", kind="node", state=italy, node=node) for i in range(start, n)
        )
        Envelope.objects.bulk_create(Envelope(version=version, line=line, year=2027, amount_cents=M) for line in lines)
        allocation(project, period, 10, start=dt.date(2027, 1, 1))
        # More resources at the node's site, each with a period and an allocation using core-hours.
        clusters = Cluster.objects.bulk_create(
            Cluster(name=f"bo-{i}", site=period.resource.cluster.site) for i in range(start, n)
        )
        resources = Resource.objects.bulk_create(
            Resource(cluster=c, unit=Unit.CORE_HOURS, name=f"bo-{c.name} core-hours") for c in clusters
        )
        periods = ResourcePeriod.objects.bulk_create(
            ResourcePeriod(resource=r, start=dt.date(2027, 1, 1), end=dt.date(2027, 12, 31), capacity=10**6)
            for r in resources
        )
        Allocation.objects.bulk_create(
            Allocation(
                project=project,
                period=p,
                resource=p.resource,
                access_mode="development",
                start=p.start,
                end=p.end,
                amount=1000,
                used_seconds=3600 * 500,
            )
            for p in periods
        )
        node.people.add(*[UserFactory() for _ in range(2)])

    grow(10)
    urls = ("/nodes/", "/nodes/bologna/")
    small = {url: _queries(client, url) for url in urls}
    grow(1000)
    assert HostSite.objects.filter(node=node).count() == 1000 - 1  # node "bologna" is one of the 1,000 nodes
    assert {url: _queries(client, url) for url in urls} == small


def _cells(html: str, table_id: str, name: str, nth: int = 0) -> list[str]:
    import re

    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = [re.sub(r"<[^>]+>|\s+", " ", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        if cells and cells[0] == name:
            if nth == 0:
                return cells
            nth -= 1
    raise AssertionError(f"no row {name!r} in #{table_id}")


def test_the_node_pages_read_in_french(db: Any, client: Any) -> None:
    from django.conf import settings

    italy = MemberStateFactory(iso2="IT", name="Italy")
    Node.objects.create(slug="bologna", name="Node Bologna", host_institution="CINECA", state=italy)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert "Le registre des nœuds nationaux" in client.get("/nodes/").content.decode()
    page = client.get("/nodes/bologna/").content.decode()
    assert "Boursiers accueillis" in page and "Institution d’accueil" in page  # noqa: RUF001
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the middleware leaves the thread's language
    client.get("/")  # activated after a request: switch back so later tests read English
