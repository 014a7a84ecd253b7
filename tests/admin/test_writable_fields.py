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


def _inline_parent_key(model: Any, prefix: str) -> str | None:
    """The inline's own foreign key to the page's object (``changes`` → ``allocation``): a hidden field
    the formset pins to the parent (a different value is refused), so nothing anyone can change. The
    formset's prefix is the reverse accessor's name (``authenticator_set`` for a relation without a
    related_name)."""
    for relation in model._meta.related_objects:
        if relation.get_accessor_name() == prefix:
            return str(relation.field.name)
    return None


def writable_fields(client: Client, secretariat: Any) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """app.model → fields the secretariat can send from its change form, and from its add form
    (inline fields as ``prefix.field``)."""
    on_change: dict[str, set[str]] = {}
    on_add: dict[str, set[str]] = {}
    for model in admin.site._registry:
        label = model._meta.label_lower
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}"
        obj = model._default_manager.order_by("pk").first()
        pages = [(on_add, f"{base}/add/")] + ([(on_change, f"{base}/{obj.pk}/change/")] if obj is not None else [])
        for found, url in pages:
            if client.get(url).status_code != 200:
                continue
            fields: set[str] = set()
            for name in form_fields(client, url):
                if NOT_FIELDS.match(name):
                    continue
                inline = INLINE.match(name)
                if inline and inline["field"] in {"id", _inline_parent_key(model, inline["prefix"])}:
                    continue
                field = SPLIT.sub("", inline["field"] if inline else name)
                fields.add(f"{inline['prefix']}.{field}" if inline else field)
            if fields:
                found[label] = fields
    return on_change, on_add


# Reviewed: what the secretariat may edit in the admin form itself (configuration, descriptions,
# names), on the change form and the add form. Each entry is a decision; add a field here only after
# deciding it carries no state or rule.
ALLOWED: dict[str, set[str]] = {
    "accounts.user": {"name"},
    "compute.allocationcall": {"access_mode", "cutoff_at", "description", "opens_at", "resources", "title"},
    "compute.cluster": {"name", "site", "timezone"},
    "compute.clusterlogin": {"cluster", "user", "username"},
    "compute.project": {"code", "home_state", "pi", "title", "slurm_accounts.cluster", "slurm_accounts.name"},
    "compute.resource": {"name"},
    "compute.site": {"is_flagship", "name", "node", "slug", "clusters.name", "clusters.timezone"},
    "compute.sitetoken": {"label", "site"},
    "fellowships.call": {
        "career_stage", "check_mobility", "check_nationality", "deadline", "description", "host_sites",
        "max_duration_months", "min_duration_months", "min_reviewers", "opens_at", "other_nationals_quota",
        "places", "programme", "retention_months", "slug", "threshold_percent", "timezone", "title",
        "criteria.name", "criteria.order", "criteria.weight",
        "late_allowances.reason", "late_allowances.until", "late_allowances.user",
    },
    "fellowships.hostsite": {"city", "country", "kind", "name", "node"},
    "fellowships.programme": {"description", "kind", "name"},
    # a draft paper's classification; fixed once published (PaperForm.clean, papers.py)
    "governance.agendaitem": {"description", "position", "session", "title", "papers.classification", "papers.title"},
    # a committee seat is ended through bodies.end_membership (its change form holds only the end)
    "governance.bodymembership": {"end"},
    "governance.ballot": {"closes_at"},  # the schedule; an open ballot's other settings are fixed
    "governance.council": {"chair", "name"},  # voting rules: configuration.set_voting_rules
    # The registry of national nodes: reference data (names, institution, state, programme).
    "nodes.node": {"description", "host_institution", "name", "programme", "slug", "state"},
    "governance.memberstate": {
        "iso2", "name", "authorisations.decided_on", "authorisations.reference", "authorisations.valid_from",
        "authorisations.valid_until",  # add-only inline through membership.record_voting_authorisation
    },  # the contribution share is the adopted scale's (finance), not typed in here
    "governance.motion": {"text", "title"},
    "governance.programme": {"name"},  # participants: configuration.add_participant / remove_participant
    "governance.session": {
        "council", "location", "starts_at", "title", "items.description", "items.position", "items.title",
    },
    # Fields of dedicated forms that call a service: the override with its justification, an
    # allocation's top-up with its reason.
    "compute.allocation": {"reason", "top_up"},
    "fellowships.application": {"override", "override_reason"},
    # A membership request's next steps, each one call to governance/membership.py while the form is
    # validated (circulate, table the motion, record the deposit, close with a reason).
    "governance.membershiprequest": {"circulate_on", "close_reason", "deposit_on", "deposit_reference", "table_on"},
}  # fmt: skip

# Writable only on the add form, where the creation is validated (by the service that creates the
# record, or the model's constraints) and audited; read-only once the record exists, and changed
# afterwards only on the record's service pages (``ServicePagesMixin``: end a term, change a
# capacity, move an allocation, record an attendance, add a programme's participant, close a session).
WHEN_ADDING: dict[str, set[str]] = {
    "accounts.user": {"email"},  # where reset links go: fixed once the account exists
    "compute.resource": {"cluster", "unit"},  # what Slurm receives
    "compute.resourceperiod": {"capacity", "end", "resource", "start"},  # create_period; set_period_capacity
    "fellowships.reviewassignment": {"application", "justification", "reviewer"},  # assign_reviewers (conflicts)
    "governance.adviser": {"end", "start", "state", "user"},  # appoint_adviser; end_adviser
    "governance.appointment": {"end", "role", "start", "state", "user"},  # appoint_delegate; end_appointment
    "governance.ballot": {"mode", "motion", "opens_at", "secrecy"},
    "governance.motion": {"item", "kind", "programme"},
    "governance.paper": {"classification", "item", "title"},  # published through papers.publish_paper
    "governance.membershiprequest": {"kind", "received_on", "state"},  # membership.receive_request
    "governance.memberstate": {"status"},  # founding states; afterwards the membership services
    # kind: read-only once the body has met; voting rules: then on its page (configuration.set_voting_rules)
    "governance.council": {"kind", "quorum_required", "weighted_rule"},
    "governance.session": {"closed"},  # then on its page (configuration.set_session_closed)
    "governance.bodymembership": {"body", "end", "start", "state", "user"},  # bodies.appoint_member
    "governance.recommendation": {"council_motion", "motion"},  # bodies.attach_recommendation
    "governance.minutes": {"closed_part", "public_part", "session"},  # drafting; approval/publication: papers.py
    "governance.election": {"candidates", "closes_at", "item", "office", "opens_at"},  # elections.setup_election
    # The medium-term plan: creation forms that call plan services (read-only once stored).
    "finance.planline": {"code", "kind", "name", "node", "programme", "site", "state"},
    "finance.planversion": {"based_on", "first_year", "title", "years"},
    "finance.envelope": {"amount_eur", "line", "version", "year"},
    "finance.unitcost": {"cost_eur", "resource", "year"},
    "finance.fellowshipcost": {"cost_eur", "programme", "year"},
    # finance's creation forms (read-only once stored)
    "finance.associateamount": {"agreement", "amount_eur", "state", "year"},
    "finance.nnistatistic": {"nni_eur", "source", "state", "year"},
    "finance.payment": {"amount_eur", "received_on", "reference", "state"},
    "finance.scaleversion": {"first_year", "last_year", "title"},
}  # fmt: skip


def test_every_field_the_secretariat_can_write_in_the_admin_was_reviewed(
    demo_data: Any, secretariat: Any, login: Any
) -> None:
    on_change, on_add = writable_fields(login(secretariat), secretariat)
    assert on_change and on_add, "the walk found no writable form at all"
    unreviewed = {
        f"{label} (change form)": sorted(fields - ALLOWED.get(label, set())) for label, fields in on_change.items()
    } | {
        f"{label} (add form)": sorted(fields - ALLOWED.get(label, set()) - WHEN_ADDING.get(label, set()))
        for label, fields in on_add.items()
    }
    unreviewed = {label: fields for label, fields in unreviewed.items() if fields}
    assert not unreviewed, f"writable in the admin but never reviewed (decide, then list in ALLOWED): {unreviewed}"
