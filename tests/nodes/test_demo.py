"""The demo data (`make run`) shows a plan in force, its execution, the fair-return board and the
national nodes; the founding scale, calls, payments and a state in arrears; a membership request in
circulation and an amendment being ratified; and seeding twice changes nothing of them."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from compute.models import Site
from finance.models import Call, Payment, ScaleShare, ScaleVersion
from finance.plan_models import Envelope, PlanLine, PlanVersion
from governance.models import Ballot, ElectorateEntry, MembershipRequest, Ratification
from nodes.models import Node


@pytest.mark.django_db
def test_the_demo_has_a_plan_in_force_and_nodes_with_their_sites(client: Any) -> None:
    call_command("seed_demo", "--quiet")

    def counts() -> tuple[int, ...]:
        return tuple(
            m.objects.count()
            for m in (
                Node,
                PlanLine,
                PlanVersion,
                Envelope,
                ScaleVersion,
                ScaleShare,
                Call,
                Payment,
                MembershipRequest,
                Ratification,
            )
        )

    first = counts()
    call_command("seed_demo", "--quiet")
    assert counts() == first and first[0] == 4
    year = timezone.localdate().year
    version = PlanVersion.objects.get()
    assert version.status == "adopted" and version.motion is not None
    plan = client.get("/finance/plan/").content.decode()
    assert f"In force: Medium-term plan {year}-{year + 4}" in plan and "Flagship compute" in plan
    assert client.get("/finance/fair-return/").status_code == 200
    milan = client.get("/nodes/milan/").content.decode()
    assert "cernai node Milan" in milan and "Politecnico di Milano" in milan
    assert Site.objects.get(slug="groningen").node == Node.objects.get(slug="groningen")
    assert "University of Groningen" in client.get("/nodes/").content.decode()

    # Money: the founding scale in force gives the shares; one state in arrears is left out of the
    # ballots with the art. V.8 sentence; the contributions page shows the calls and payments.
    scale = ScaleVersion.objects.get()
    assert scale.status == "adopted" and scale.first_year <= year <= scale.last_year
    states = client.get("/governance/member-states/").content.decode()
    assert '<th scope="row">Germany</th><td class="num">20.600</td>' in states
    open_ballot = Ballot.objects.get(motion__title="Adopt the medium-term plan 2027-2031")
    greece = ElectorateEntry.objects.get(ballot=open_ballot, state__iso2="GR")
    assert greece.reason == "arrears" and "Greece: arrears EUR" in greece.explanation
    assert ElectorateEntry.objects.get(ballot=open_ballot, state__iso2="PT").reason == "entitled"
    contributions = client.get(f"/finance/contributions/?year={year}").content.decode()
    assert "Greece" in contributions and "Portugal" in contributions
    # Membership: Ireland's request in circulation with its clock; the amendment's register.
    membership = client.get("/governance/membership/").content.decode()
    assert "Ireland" in membership and "the admission ballot may open on" in membership
    register = client.get("/governance/ratifications/").content.decode()
    assert "Amend Article VII of the Convention" in register and "Not yet in force" in register
