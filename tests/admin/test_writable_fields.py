"""Issue 8 §1: the inventory of what the secretariat may write in the admin. Every ModelAdmin and
inline registered on the site is opened as the secretariat (add form and the change form of a demo
row), and the fields the page lets it send are compared with the reviewed list below. A new writable
field fails this test until someone decides, here, that the secretariat may edit it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client

from tests.admin_forms import form_fields

pytestmark = pytest.mark.django_db
# What a browser sends that is not a field of the model: the CSRF token, inline management forms,
# the admin's own buttons and popup markers.
NOT_FIELDS = re.compile(r"^(csrfmiddlewaretoken|_.*|.*-(TOTAL|INITIAL|MIN_NUM|MAX_NUM)_FORMS)$")
INLINE = re.compile(r"^(?:initial-)?(?P<prefix>.+)-(?:\d+|__prefix__)-(?P<field>[^-]+)$")
SPLIT = re.compile(r"_[01]$")  # a date and a time input of one datetime field


def writable_fields(client: Client, secretariat: Any) -> dict[str, set[str]]:
    """app.model → fields the secretariat can send from its add and change forms (inline fields as
    ``prefix.field``)."""
    found: dict[str, set[str]] = {}
    for model in admin.site._registry:
        label = model._meta.label_lower
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}"
        obj = model._default_manager.order_by("pk").first()
        urls = [f"{base}/add/"] + ([f"{base}/{obj.pk}/change/"] if obj is not None else [])
        urls = [url for url in urls if client.get(url).status_code == 200]
        fields: set[str] = set()
        for url in urls:
            for name in form_fields(client, url):
                if NOT_FIELDS.match(name):
                    continue
                inline = INLINE.match(name)
                if inline and inline["field"] == "id":
                    continue
                field = SPLIT.sub("", inline["field"] if inline else name)
                fields.add(f"{inline['prefix']}.{field}" if inline else field)
        if fields:
            found[label] = fields
    return found


# Reviewed: what the secretariat may edit in the admin form itself (configuration, descriptions,
# names). Each entry is a decision; add a field here only after deciding it carries no state or rule.
ALLOWED: dict[str, set[str]] = {
    "accounts.user": {"email", "name", "authenticator_set.user"},  # email only when adding a person
    "compute.allocationcall": {"access_mode", "cutoff_at", "description", "opens_at", "resources", "title"},
    "compute.cluster": {"name", "site", "timezone"},
    "compute.clusterlogin": {"cluster", "user", "username"},
    "compute.project": {
        "code", "home_state", "pi", "title",
        "memberships.project", "memberships.role", "memberships.user",
        "slurm_accounts.cluster", "slurm_accounts.name", "slurm_accounts.project",
    },
    "compute.resource": {"cluster", "name", "periods.resource"},
    "compute.site": {"is_flagship", "name", "slug", "clusters.name", "clusters.site", "clusters.timezone"},
    "compute.sitetoken": {"label", "site"},
    "fellowships.call": {
        "career_stage", "check_mobility", "check_nationality", "deadline", "description", "host_sites",
        "max_duration_months", "min_duration_months", "min_reviewers", "opens_at", "other_nationals_quota",
        "places", "programme", "retention_months", "slug", "threshold_percent", "timezone", "title",
        "criteria.call", "criteria.name", "criteria.order", "criteria.weight",
        "late_allowances.call", "late_allowances.reason", "late_allowances.until", "late_allowances.user",
    },
    "fellowships.hostsite": {"city", "country", "kind", "name"},
    "fellowships.programme": {"description", "kind", "name"},
    "governance.agendaitem": {"description", "position", "session", "title", "papers.item", "papers.title"},
    "governance.ballot": {"closes_at", "mode", "motion", "opens_at", "secrecy", "electorate.ballot"},
    "governance.council": {"chair", "name", "quorum_required", "weighted_rule"},
    "governance.memberstate": {
        "iso2", "name",
        "authorisations.reference", "authorisations.state", "authorisations.valid_from", "authorisations.valid_until",
        "authorisations.decided_on",  # add-only inline through membership.record_voting_authorisation
    },
    "governance.motion": {"item", "kind", "programme", "text", "title", "ratifications.motion"},
    "governance.paper": {"item", "title"},
    "governance.programme": {"name", "participants"},
    "governance.session": {
        "council", "location", "starts_at", "title",
        "items.description", "items.position", "items.session", "items.title", "attendances.session",
    },
    # Fields of dedicated forms that call a service (the override with its justification, a review
    # assignment's justification, an allocation's top-up with its reason) and finance's creation
    # forms (read-only once stored).
    "compute.allocation": {"reason", "top_up"},
    "fellowships.application": {"override", "override_reason"},
    "fellowships.reviewassignment": {"justification"},
    "finance.associateamount": {"agreement", "amount_eur", "state", "year"},
    # Each step of a membership request is one call of governance.membership (receive, circulate,
    # table, deposit, close); the stored fields themselves are read-only.
    "governance.membershiprequest": {
        "state", "kind", "received_on", "circulate_on", "table_on", "deposit_on", "deposit_reference", "close_reason",
    },
    "finance.nnistatistic": {"nni_eur", "source", "state", "year"},
    "finance.payment": {"amount_eur", "received_on", "reference", "state"},
    "finance.scaleversion": {"first_year", "last_year", "title"},
}  # fmt: skip

# Still writable, though issue 8 §1 says they carry state or a rule and must change only through an
# action or a dedicated form that calls the service (open work). When one becomes read-only, the
# second test says so and the entry is removed here. Nothing may be added to this list.
PENDING_READ_ONLY: dict[str, set[str]] = {
    "compute.allocation": {"changes.allocation", "period"},
    "compute.resource": {"unit"},
    "compute.resourceperiod": {"capacity", "end", "resource", "start"},
    "fellowships.reviewassignment": {"application", "reviewer"},
    "governance.adviser": {"end", "start", "state", "user"},
    "governance.appointment": {"end", "role", "start", "state", "user"},
    "governance.memberstate": {"contribution_share", "status"},
    "governance.motion": {"request_circulated_on"},
    "governance.session": {"attendances.state"},
}  # fmt: skip


def test_every_field_the_secretariat_can_write_in_the_admin_was_reviewed(
    demo_data: Any, secretariat: Any, login: Any
) -> None:
    found = writable_fields(login(secretariat), secretariat)
    assert found, "the walk found no writable form at all"
    unreviewed = {
        label: sorted(fields - ALLOWED.get(label, set()) - PENDING_READ_ONLY.get(label, set()))
        for label, fields in found.items()
    }
    unreviewed = {label: fields for label, fields in unreviewed.items() if fields}
    assert not unreviewed, f"writable in the admin but never reviewed (decide, then list in ALLOWED): {unreviewed}"


def test_fields_pending_read_only_are_still_writable_so_the_list_stays_true(
    demo_data: Any, secretariat: Any, login: Any
) -> None:
    """When a state field becomes read-only (the admin now routes it through a service), this fails
    until the field is removed from PENDING_READ_ONLY: the list only ever shrinks."""
    found = writable_fields(login(secretariat), secretariat)
    done = {label: sorted(fields - found.get(label, set())) for label, fields in PENDING_READ_ONLY.items()}
    done = {label: fields for label, fields in done.items() if fields}
    assert not done, f"now read-only; remove from PENDING_READ_ONLY: {done}"
