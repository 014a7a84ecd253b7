"""The compute admin as the secretariat uses it (issue 8 §1, quality.md T16): every change form is
posted as a browser would (tests/admin_forms.py) by a staff member of the Secretariat who is not a
superuser. What a rule governs is read-only or changed through the service that keeps the rule."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.utils import timezone

from compute.models import (
    Allocation,
    AllocationChange,
    AllocationRequest,
    ResourcePeriod,
    Unit,
    UsageRecord,
)
from tests.admin_forms import form_fields, messages_of, post_form

from . import factories
from .conftest import post_json, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(secretariat: Any, login: Any) -> Client:
    assert not secretariat.is_superuser
    return login(secretariat)


@pytest.fixture
def allocation(project: Any, gpu_period: ResourcePeriod, secretariat: Any) -> Allocation:
    return factories.grant(project, gpu_period, 1000, actor=secretariat)


def change_url(obj: Any) -> str:
    return f"/admin/compute/{obj._meta.model_name}/{obj.pk}/change/"


def move_url(allocation: Allocation) -> str:
    return f"/admin/compute/allocation/{allocation.pk}/move/"


def capacity_url(period: ResourcePeriod) -> str:
    return f"/admin/compute/resourceperiod/{period.pk}/capacity/"


def a_second_gpu_period(resource: Any, capacity: int) -> ResourcePeriod:
    year = timezone.now().year
    return ResourcePeriod.objects.create(
        resource=resource, start=date(year - 1, 1, 1), end=date(year + 1, 12, 31), capacity=capacity
    )


def test_moving_an_allocation_to_a_period_without_room_is_refused_and_nothing_moves(
    staff: Client, allocation: Allocation, gpu_period: ResourcePeriod
) -> None:
    small = a_second_gpu_period(gpu_period.resource, capacity=500)
    assert "period" not in form_fields(staff, change_url(allocation))  # moved only on its own page
    assert f'href="{move_url(allocation)}"' in staff.get(change_url(allocation)).content.decode()
    response = post_form(staff, move_url(allocation), {"period": str(small.pk), "reason": "rebalancing"})
    shown = messages_of(response)
    assert any("Not enough capacity" in m and "has 500 of 500 left" in m for m in shown), shown
    assert not any("successfully" in m for m in shown)
    allocation.refresh_from_db()
    assert allocation.period == gpu_period
    assert ResourcePeriod.objects.get(pk=small.pk).granted == 0
    assert ResourcePeriod.objects.get(pk=gpu_period.pk).granted == 1000


def test_moving_an_allocation_goes_through_the_service_and_moves_the_granted_totals(
    staff: Client, allocation: Allocation, gpu_period: ResourcePeriod
) -> None:
    roomy = a_second_gpu_period(gpu_period.resource, capacity=5000)
    without_reason = post_form(staff, move_url(allocation), {"period": str(roomy.pk)})
    assert "This field is required." in messages_of(without_reason)
    assert Allocation.objects.get(pk=allocation.pk).period_id == gpu_period.pk
    response = post_form(staff, move_url(allocation), {"period": str(roomy.pk), "reason": "new budget line"})
    assert any("is now booked against" in m for m in messages_of(response))
    assert response.redirect_chain[-1][0] == change_url(allocation)
    allocation.refresh_from_db()
    assert allocation.period_id == roomy.pk
    assert ResourcePeriod.objects.get(pk=roomy.pk).granted == 1000
    assert ResourcePeriod.objects.get(pk=gpu_period.pk).granted == 0
    moved = allocation.events.order_by("pgh_id").last()
    assert moved.period_id == roomy.pk and moved.pgh_context.metadata["reason"] == "allocation moved"
    # The allocation's own history page says who moved it and why.
    history = staff.get(f"/admin/compute/allocation/{allocation.pk}/history/").content.decode()
    assert "secretariat@example.org" in history and "new budget line" in history


def test_a_gpu_grant_cannot_become_a_cpu_limit(
    staff: Client, allocation: Allocation, fox: Any, gpu_period: ResourcePeriod
) -> None:
    cpu_period = factories.make_resource(fox, unit=Unit.CORE_HOURS, capacity=100_000)
    fields = form_fields(staff, change_url(allocation))
    assert "resource" not in fields  # read-only: the person cannot send it
    with pytest.raises(AssertionError, match="shows no field 'resource'"):
        post_form(staff, change_url(allocation), {"resource": str(cpu_period.resource_id)})
    # The period list offers only GPU periods; a CPU period sent anyway is refused.
    response = post_form(staff, move_url(allocation), {"period": str(cpu_period.pk), "reason": "x"})
    assert any("Select a valid choice" in m for m in messages_of(response))
    allocation.refresh_from_db()
    assert allocation.resource_id == gpu_period.resource_id and allocation.period_id == gpu_period.pk
    assert allocation.slurm_limit == "GrpTRESMins=gres/gpu=60000"
    assert ResourcePeriod.objects.get(pk=cpu_period.pk).granted == 0


def test_a_resource_keeps_its_unit_and_cluster_once_it_exists(staff: Client, gpu_period: ResourcePeriod) -> None:
    fields = form_fields(staff, change_url(gpu_period.resource))
    assert "unit" not in fields and "cluster" not in fields


def test_a_period_is_opened_on_the_add_form_then_its_dates_and_resource_are_fixed(
    staff: Client, gpu_period: ResourcePeriod
) -> None:
    backwards = post_form(
        staff,
        "/admin/compute/resourceperiod/add/",
        {"resource": str(gpu_period.resource_id), "start": "2031-01-01", "end": "2030-01-01", "capacity": "10"},
    )
    assert backwards.status_code == 200 and not ResourcePeriod.objects.filter(start=date(2031, 1, 1)).exists()
    post_form(
        staff,
        "/admin/compute/resourceperiod/add/",
        {"resource": str(gpu_period.resource_id), "start": "2031-01-01", "end": "2031-12-31", "capacity": "10"},
    )
    opened = ResourcePeriod.objects.get(start=date(2031, 1, 1))
    assert (opened.capacity, opened.granted) == (10, 0)
    assert opened.events.get().pgh_context.metadata["reason"] == "capacity period opened"  # type: ignore[attr-defined]
    assert not {"resource", "start", "end", "capacity"} & set(form_fields(staff, change_url(opened)))


def test_a_capacity_below_what_is_granted_is_a_form_error_not_a_500(
    staff: Client, allocation: Allocation, gpu_period: ResourcePeriod
) -> None:
    assert "capacity" not in form_fields(staff, change_url(gpu_period))  # changed only on its own page
    response = post_form(staff, capacity_url(gpu_period), {"capacity": "999", "reason": "hardware returned"})
    assert response.status_code == 200
    shown = messages_of(response)
    assert "1000 is already granted over this period; the capacity cannot be less." in shown
    assert not any("is now" in m for m in shown)
    assert ResourcePeriod.objects.get(pk=gpu_period.pk).capacity == 100_000
    response = post_form(staff, capacity_url(gpu_period), {"capacity": "1000", "reason": "hardware returned"})
    assert any("is now 1000" in m for m in messages_of(response))
    assert ResourcePeriod.objects.get(pk=gpu_period.pk).capacity == 1000
    history = staff.get(f"/admin/compute/resourceperiod/{gpu_period.pk}/history/").content.decode()
    assert "secretariat@example.org" in history and "capacity changed — hardware returned" in history


def test_an_over_capacity_top_up_shows_only_the_error(staff: Client, project: Any, fox: Any, secretariat: Any) -> None:
    period = factories.make_resource(fox, capacity=1200)
    allocation = factories.grant(project, period, 1000, actor=secretariat)
    response = post_form(staff, change_url(allocation), {"top_up": "201", "reason": "more runs"})
    shown = messages_of(response)
    assert any("Not enough capacity" in m and "has 200 of 1200 left" in m and "needs 201" in m for m in shown), shown
    assert not any("successfully" in m for m in shown)
    allocation.refresh_from_db()
    assert allocation.amount == 1000 and ResourcePeriod.objects.get(pk=period.pk).granted == 1000
    response = post_form(staff, change_url(allocation), {"top_up": "200", "reason": "more runs"})
    assert any("changed successfully" in m for m in messages_of(response))
    allocation.refresh_from_db()
    assert allocation.amount == 1200
    assert list(allocation.changes.values_list("kind", "amount", "reason")) == [
        (AllocationChange.Kind.GRANT, 1000, ""),
        (AllocationChange.Kind.TOP_UP, 200, "more runs"),
    ]


def test_usage_records_and_allocations_cannot_be_deleted(staff: Client, allocation: Allocation, site_fox: str) -> None:
    post_json(token_client(site_fox), [factories.job()])
    record = UsageRecord.objects.get()
    allocation.refresh_from_db()
    used = allocation.used_seconds
    assert used == 36000
    for obj in (record, allocation):
        url = f"/admin/compute/{obj._meta.model_name}/{obj.pk}/delete/"
        assert staff.get(url).status_code == 403
        assert staff.post(url, {"post": "yes"}).status_code == 403
        changelist = staff.get(f"/admin/compute/{obj._meta.model_name}/").content.decode()
        assert 'value="delete_selected"' not in changelist
    assert UsageRecord.objects.filter(pk=record.pk).exists()
    allocation.refresh_from_db()
    assert allocation.used_seconds == used


def test_requests_are_read_only_in_their_change_form(staff: Client, project: Any, gpu_period: Any) -> None:
    factories.make_call([gpu_period.resource])
    request = AllocationRequest.objects.create(
        call=factories.make_call([gpu_period.resource]),
        project=project,
        resource=gpu_period.resource,
        amount=10,
        start=timezone.now().date(),
        end=timezone.now().date(),
        justification="x",
        submitted_by=project.pi,
    )
    fields = form_fields(staff, change_url(request))
    assert {k for k in fields if not k.startswith(("assignments-", "reviews-", "_"))} == {"csrfmiddlewaretoken"}


# Every compute admin and what the secretariat may write in its forms (add form / change form).
# A new writable field fails this test until it is reviewed here.
EDITABLE = {
    "site": ({"name", "slug", "is_flagship", "node", "clusters"}, {"name", "slug", "is_flagship", "node", "clusters"}),
    "cluster": ({"site", "name", "timezone"}, {"site", "name", "timezone"}),
    "sitetoken": ({"site", "label"}, {"site", "label"}),
    "resource": ({"cluster", "name", "unit"}, {"name"}),
    "resourceperiod": ({"resource", "start", "end", "capacity"}, set()),
    "project": ({"code", "title", "pi", "home_state", "slurm_accounts"},) * 2,
    "clusterlogin": ({"cluster", "username", "user"},) * 2,
    "allocationcall": ({"title", "access_mode", "opens_at", "cutoff_at", "resources", "description"},) * 2,
    "allocationrequest": (None, set()),
    "allocation": (None, {"top_up", "reason"}),
    "allocationchange": (None, set()),
    "usagerecord": (None, set()),
    "usagebatch": (None, set()),
    "monthlyusage": (None, set()),
}


def _writable(client: Client, url: str) -> set[str]:
    """The names of the controls a person can change in the admin's form (hidden ones excluded;
    an inline counts once, by its relation's name; split date/time widgets once)."""
    html = client.get(url).content.decode()
    match = re.search(r'<form[^>]*id="[a-z_]+_form".*?</form>', html, re.S)
    if match is None:
        return set()
    names = set()
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", match.group(0)):
        name = re.search(r'name="([^"]+)"', tag)
        kind = re.search(r'type="([^"]+)"', tag)
        if name is None or (kind and kind.group(1) in {"hidden", "submit", "button"}):
            continue
        value = name.group(1)
        if value == "csrfmiddlewaretoken" or value.startswith("_"):
            continue
        names.add(value.split("-")[0] if "-" in value else re.sub(r"_[01]$", "", value))
    return names


def test_every_compute_admin_lists_the_fields_the_secretariat_may_write(
    staff: Client, allocation: Allocation, site_fox: str, member: Any
) -> None:
    post_json(token_client(site_fox), [factories.job()])
    registered = {m._meta.model_name: m for m in admin.site._registry if m._meta.app_label == "compute"}
    assert set(registered) == set(EDITABLE)
    found = {}
    for model, model_class in registered.items():
        add_url = f"/admin/compute/{model}/add/"
        on_add = None if staff.get(add_url).status_code == 403 else _writable(staff, add_url)
        obj = model_class.objects.first()
        assert obj is not None, model
        assert staff.get(change_url(obj)).status_code == 200, model
        found[model] = (on_add, _writable(staff, change_url(obj)))
    assert found == EDITABLE
