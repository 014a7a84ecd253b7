"""T7 for the medium-term plan: every plan URL x every persona -> the expected status. The plan in
force, adopted versions, the fair-return board, its CSV and the API are open to all; a draft is
not public; the admin pages are the secretariat's; envelopes and unit costs are never deleted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from finance import plan_services
from tests.access import Row, check_matrix
from tests.finance.plan_data import adopted_plan, gpu_period

pytestmark = pytest.mark.django_db


def test_access_matrix(chair: Any, secretariat: Any, applicant: Any, login: Any) -> None:
    line = plan_services.define_line(actor=secretariat, code="compute", name="Compute", kind="compute")
    adopted = adopted_plan(secretariat, {"compute": line}, {("compute", 2027): 100, ("compute", 2028): 100})
    draft = plan_services.draft_version(actor=secretariat, title="Draft", first_year=2028, based_on_id=adopted.pk)
    envelope = draft.envelopes.get()
    cost = plan_services.set_unit_cost(
        actor=secretariat, resource_id=gpu_period().resource_id, year=2027, cost_eur=Decimal("1.5")
    )
    clients: dict[str | None, Client] = {
        None: Client(),
        "applicant": login(applicant),
        "chair": login(chair),
        "secretariat": login(secretariat),
    }
    everyone = dict.fromkeys(clients, 200)
    secretariat_only = {None: 302, "applicant": 302, "chair": 302, "secretariat": 200}
    admin = "/admin/finance"
    rows = [
        Row("/finance/plan/?year=2027", everyone),
        Row(f"/finance/plan/{adopted.pk}/", everyone),
        Row(f"/finance/plan/{draft.pk}/", dict.fromkeys(clients, 404)),
        Row("/finance/fair-return/?year=2027", everyone),
        Row("/finance/fair-return.csv?year=2027", everyone),
        Row("/api/v1/governance/plan/?year=2027", everyone),
        Row("/api/v1/governance/plan/fair-return/?year=2027", everyone),
        *(
            Row(url, secretariat_only)
            for url in (
                f"{admin}/planline/",
                f"{admin}/planline/add/",
                f"{admin}/planversion/",
                f"{admin}/planversion/add/",
                f"{admin}/planversion/{draft.pk}/change/",
                f"{admin}/planversion/{adopted.pk}/change/",
                f"{admin}/envelope/",
                f"{admin}/envelope/add/",
                f"{admin}/envelope/{envelope.pk}/change/",
                f"{admin}/unitcost/",
                f"{admin}/unitcost/add/",
                f"{admin}/unitcost/{cost.pk}/change/",
                f"{admin}/fellowshipcost/",
                f"{admin}/fellowshipcost/add/",
            )
        ),
        Row(f"{admin}/envelope/{envelope.pk}/delete/", {"secretariat": 403}),
        Row(f"{admin}/planversion/{adopted.pk}/delete/", {"secretariat": 403}),
        Row(f"{admin}/unitcost/{cost.pk}/delete/", {"secretariat": 403}),
    ]
    check_matrix(rows, clients)
