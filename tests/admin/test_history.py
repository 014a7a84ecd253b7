"""Issue 8 §3: each object's admin "History" page is read from the append-only audit trail (who, why,
what changed), for every admin whose model the trail tracks. The pages themselves are exercised
where the changes are made: tests/compute/test_admin.py (capacity, moves), tests/governance/
test_admin.py (terms), tests/fellowships/test_admin.py (eligibility override), tests/accounts."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from pghistory.models import Event

from cernai.core.admin import AuditTrailMixin
from governance.models import Council

pytestmark = pytest.mark.django_db

TRACKED = {
    model.pgh_tracked_model
    for model in apps.get_models()
    if issubclass(model, Event) and getattr(model, "pgh_tracked_model", None) is not None
}


def test_every_admin_of_a_tracked_model_shows_the_audit_trail_as_its_history() -> None:
    plain = sorted(
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model in TRACKED and not isinstance(model_admin, AuditTrailMixin)
    )
    assert not plain, f"their History page would show only the admin's own log, not the audit trail: {plain}"


def test_a_change_saved_in_the_admin_is_on_the_history_page_with_who(secretariat: Any, login: Any) -> None:
    from tests.admin_forms import post_form

    council = Council.objects.create(name="Finance Committee")
    client = login(secretariat)
    post_form(client, f"/admin/governance/council/{council.pk}/change/", {"name": "Finance and Audit Committee"})
    page = client.get(f"/admin/governance/council/{council.pk}/history/")
    html = page.content.decode()
    assert 'id="audit-trail"' in html
    assert "Sam Secretariat &lt;secretariat@example.org&gt;" in html or "secretariat@example.org" in html
    assert "Finance Committee → Finance and Audit Committee" in html
