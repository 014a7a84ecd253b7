"""The secretariat (staff, group Secretariat, not superuser) drafts the medium-term plan in the admin,
posting the forms a browser posts: lines, a draft version and its envelopes, the budget motion; the
version is in force once that motion's ballot result is published (Ballots > Publish); a new version
starts from the one in force and its page shows what changed; unit costs value execution."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from cernai.core.errors import Refusal
from finance import plan_selectors, plan_services
from finance.plan_models import Envelope, FellowshipCost, PlanLine, PlanVersion, UnitCost
from governance.models import Motion
from tests.admin_forms import messages_of, post_form
from tests.fellowships.factories import ProgrammeFactory
from tests.finance.plan_data import M, budget_motion, gpu_period
from tests.governance.factories import MemberStateFactory, MotionFactory

LINE_ADD = "/admin/finance/planline/add/"
VERSION_ADD = "/admin/finance/planversion/add/"
ENVELOPE_ADD = "/admin/finance/envelope/add/"
BALLOTS = "/admin/governance/ballot/"


@pytest.fixture
def staff(secretariat: Any, login: Any) -> Any:
    assert not secretariat.is_superuser
    return login(secretariat)


def _line(staff: Any, code: str, name: str, kind: str, **extra: str) -> PlanLine:
    response = post_form(staff, LINE_ADD, {"code": code, "name": name, "kind": kind, **extra})
    assert response.status_code == 200, messages_of(response)
    return PlanLine.objects.get(code=code)


def _envelope(staff: Any, version: PlanVersion, line: PlanLine, year: int, euros: str) -> Any:
    changes = {"version": str(version.pk), "line": str(line.pk), "year": str(year), "amount_eur": euros}
    return post_form(staff, ENVELOPE_ADD, changes)


def _publish(staff: Any, motion: Motion) -> None:
    ballot = motion.ballots.get()
    response = post_form(staff, BALLOTS, {"action": "publish_ballots", "_selected_action": str(ballot.pk)})
    assert any("publish ✓" in m for m in messages_of(response)), messages_of(response)


def test_secretariat_drafts_a_plan_attaches_it_and_the_published_adoption_puts_it_in_force(db: Any, staff: Any) -> None:
    italy = MemberStateFactory(iso2="IT", name="Italy")
    refused = post_form(staff, LINE_ADD, {"code": "node-it", "name": "Node Italy", "kind": "node"})
    assert "a national node line names its state" in messages_of(refused)
    assert not PlanLine.objects.exists()
    node = _line(staff, "node-it", "Node Italy", "node", state=str(italy.pk))
    compute = _line(staff, "compute", "Flagship compute", "compute")

    post_form(staff, VERSION_ADD, {"title": "Plan 2027-2031", "first_year": "2027", "years": "5"})
    version = PlanVersion.objects.get()
    assert (version.first_year, version.last_year, version.status) == (2027, 2031, "draft")

    bad = _envelope(staff, version, node, 2027, "12,5")
    assert "“12,5” is not an amount in euros" in messages_of(bad)
    outside = _envelope(staff, version, node, 2032, "1.00")
    assert "2032 is outside the years of this version (2027–2031)" in messages_of(outside)  # noqa: RUF001
    assert not Envelope.objects.exists()
    for year in (2027, 2028):
        _envelope(staff, version, node, year, "5000000.00")
        _envelope(staff, version, compute, year, "20000000.00")
    _envelope(staff, version, compute, 2028, "25000000.00")  # replaces the amount set before
    assert Envelope.objects.get(line=compute, year=2028).amount_cents == 25 * M

    change = reverse("admin:finance_planversion_change", args=[version.pk])
    ordinary = MotionFactory(title="Thanks to the host state", kind=Motion.Kind.ORDINARY)
    shown = staff.get(change).content.decode()
    assert f'value="{ordinary.pk}"' not in shown  # only budget motions are offered
    assert "Node Italy" in shown and "EUR 25.0 M" in shown  # the envelopes, read-only

    motion = budget_motion()
    post_form(staff, change, {"motion": str(motion.pk)})
    version.refresh_from_db()
    assert version.motion == motion and version.status == "draft"
    assert plan_selectors.plan_in_force(2027) is None

    _publish(staff, motion)
    version.refresh_from_db()
    assert version.status == "adopted" and version.adopted_at is not None
    assert plan_selectors.plan_in_force(2027) == version
    assert plan_selectors.budget_cents(2027) == 25 * M  # §4: Y's budget is the plan's envelopes for Y
    assert plan_selectors.budget_cents(2028) == 30 * M
    locked = _envelope(staff, version, node, 2027, "1.00")
    assert any("Select a valid choice" in m for m in messages_of(locked))  # only drafts are offered
    assert Envelope.objects.get(line=node, year=2027).amount_cents == 5 * M
    with pytest.raises(Refusal, match="is adopted: draft a new version to change it"):
        plan_services.set_envelope(actor=None, version_id=version.pk, line_id=node.pk, year=2027, amount_cents=1)
    assert staff.get(change).status_code == 200 and 'name="motion"' not in staff.get(change).content.decode()


def test_a_new_version_starts_from_the_one_in_force_and_shows_what_changed(db: Any, staff: Any) -> None:
    italy = MemberStateFactory(iso2="IT", name="Italy")
    node = _line(staff, "node-it", "Node Italy", "node", state=str(italy.pk))
    post_form(staff, VERSION_ADD, {"title": "Plan 2027-2031", "first_year": "2027", "years": "5"})
    first = PlanVersion.objects.get()
    _envelope(staff, first, node, 2027, "5000000.00")
    _envelope(staff, first, node, 2028, "5000000.00")
    first_motion = budget_motion("Budget 2027")
    post_form(staff, reverse("admin:finance_planversion_change", args=[first.pk]), {"motion": str(first_motion.pk)})
    _publish(staff, first_motion)

    post_form(
        staff,
        VERSION_ADD,
        {"title": "Plan 2028-2032", "first_year": "2028", "years": "5", "based_on": str(first.pk)},
    )
    second = PlanVersion.objects.exclude(pk=first.pk).get()
    assert list(second.envelopes.values_list("year", "amount_cents")) == [(2028, 5 * M)]  # 2027 is not covered
    _envelope(staff, second, node, 2028, "7000000.00")
    page = staff.get(reverse("admin:finance_planversion_change", args=[second.pk])).content.decode()
    assert "Node Italy 2028: EUR 5.0 M → EUR 7.0 M" in page

    attached = post_form(
        staff, reverse("admin:finance_planversion_change", args=[second.pk]), {"motion": str(first_motion.pk)}
    )
    assert "Budget 2027 is already adopted: attach the plan before the ballot." in messages_of(attached)
    second_motion = budget_motion("Budget 2028")
    post_form(staff, reverse("admin:finance_planversion_change", args=[second.pk]), {"motion": str(second_motion.pk)})
    _publish(staff, second_motion)
    assert plan_selectors.plan_in_force(2028) == PlanVersion.objects.get(pk=second.pk)
    assert plan_selectors.plan_in_force(2027) == first  # the only adopted version covering 2027
    assert plan_selectors.budget_cents(2028) == 7 * M


def test_a_rejected_budget_leaves_the_draft_a_draft(db: Any, staff: Any) -> None:
    from governance.models import Ballot

    post_form(staff, VERSION_ADD, {"title": "Plan", "first_year": "2027", "years": "5"})
    version = PlanVersion.objects.get()
    motion = budget_motion()
    post_form(staff, reverse("admin:finance_planversion_change", args=[version.pk]), {"motion": str(motion.pk)})
    Ballot.objects.filter(motion=motion).update(outcome=Ballot.Outcome.REJECTED)
    _publish(staff, motion)
    version.refresh_from_db()
    assert version.status == "draft" and plan_selectors.plan_in_force() is None


def test_secretariat_records_unit_costs_refused_with_the_field_and_reason(db: Any, staff: Any) -> None:
    resource = gpu_period().resource
    add = reverse("admin:finance_unitcost_add")
    refused = post_form(staff, add, {"resource": str(resource.pk), "year": "2027", "cost_eur": "2,50"})
    assert "“2,50” is not an amount in euros" in messages_of(refused)
    refused = post_form(staff, add, {"resource": str(resource.pk), "year": "2027", "cost_eur": "2.123456"})
    assert "“2.123456” has more than four decimals" in messages_of(refused)
    assert not UnitCost.objects.exists()
    post_form(staff, add, {"resource": str(resource.pk), "year": "2027", "cost_eur": "2.5000"})
    assert str(UnitCost.objects.get().cost_eur) == "2.5000"
    again = post_form(staff, add, {"resource": str(resource.pk), "year": "2027", "cost_eur": "3.0000"})
    assert "the unit cost of this resource for 2027 is already recorded" in messages_of(again)

    programme = ProgrammeFactory()
    add = reverse("admin:finance_fellowshipcost_add")
    refused = post_form(staff, add, {"programme": str(programme.pk), "year": "2027", "cost_eur": "-5"})
    assert "the amount must be positive" in messages_of(refused)
    post_form(staff, add, {"programme": str(programme.pk), "year": "2027", "cost_eur": "60000.00"})
    assert FellowshipCost.objects.get().cost_cents == 6_000_000
