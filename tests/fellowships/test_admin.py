"""The fellowships admin as the secretariat (not a superuser) posts it: a client of the services
(issue 8 item 1). State is read-only in the forms and changes only through actions or dedicated form
fields that call the service; every writable field is listed here, so a new one fails until reviewed."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fellowships.models import Application, Placement, ReviewAssignment
from tests.admin_forms import messages_of, post_form
from tests.fellowships import factories
from tests.fellowships.factories import FUNDABLE

pytestmark = pytest.mark.django_db

# What the secretariat may write in each fellowships change form (inline management fields aside).
WRITABLE = {
    "hostsite": {"name", "kind", "country", "city", "node"},
    "programme": {"name", "kind", "description"},
    "call": {
        "programme", "title", "slug", "description", "timezone", "opens_at_0", "opens_at_1", "deadline_0",
        "deadline_1", "host_sites", "places", "other_nationals_quota", "min_duration_months",
        "max_duration_months", "check_nationality", "career_stage", "check_mobility", "threshold_percent",
        "min_reviewers", "blind", "retention_months",
    },
    "application": {"override", "override_reason"},
    "reviewassignment": set(),
    "placement": set(),
}  # fmt: skip
INLINE_PREFIXES = ("criteria-", "late_allowances-")


def writable(html: str) -> set[str]:
    """The names of the controls of the admin's own form (ticked or not), management fields aside."""
    form = re.search(r'<form[^>]*id="[a-z_]+_form".*?</form>', html, re.S)
    if form is None:
        return set()
    controls = re.findall(r"<(?:input|select|textarea)\b([^>]*)>", form.group(0))
    names = set()
    for attrs in controls:
        name = re.search(r'name="([^"]+)"', attrs)
        if name and 'type="hidden"' not in attrs and "disabled" not in attrs:
            names.add(name.group(1))
    return {n for n in names if not n.startswith(INLINE_PREFIXES) and not n.startswith("_")}


def test_every_writable_field_of_the_fellowships_admin_is_reviewed(
    submitted: Any, reviewer: Any, secretariat: Any, login: Any
) -> None:
    factories.scored(submitted, FUNDABLE, FUNDABLE)
    client = login(secretariat)
    post_form(client, "/admin/fellowships/application/", {"action": "accept", "_selected_action": str(submitted.pk)})
    objects = {
        "hostsite": submitted.host_site,
        "programme": submitted.call.programme,
        "call": submitted.call,
        "application": submitted,
        "reviewassignment": ReviewAssignment.objects.first(),
        "placement": Placement.objects.get(),
    }
    for model, obj in objects.items():
        url = f"/admin/fellowships/{model}/{obj.pk}/change/"
        page = client.get(url)
        assert page.status_code == 200, url
        shown = writable(page.text)
        assert shown == WRITABLE[model], (model, shown ^ WRITABLE[model])
    # Applications and placements come from the portal and decisions, never from an add form.
    assert client.get("/admin/fellowships/application/add/").status_code == 403
    assert client.get("/admin/fellowships/placement/add/").status_code == 403
    assert client.get(f"/admin/fellowships/application/{submitted.pk}/delete/").status_code == 403


def test_eligibility_override_needs_a_justification_and_is_audited(
    submitted: Any, secretariat: Any, login: Any
) -> None:
    client = login(secretariat)
    url = f"/admin/fellowships/application/{submitted.pk}/change/"
    page = post_form(client, url, {"override": "no"})
    assert "An override needs a written justification." in messages_of(page)
    submitted.refresh_from_db()
    assert submitted.eligibility_override is None

    post_form(client, url, {"override": "no", "override_reason": "The PhD certificate is not yet issued."})
    submitted.refresh_from_db()
    assert submitted.eligibility_override is False and submitted.is_eligible is False
    assert submitted.override_justification == "The PhD certificate is not yet issued."
    event = submitted.events.order_by("pgh_id").last()  # type: ignore[attr-defined]
    assert event.pgh_context.metadata["reason"] == "eligibility override"
    assert event.pgh_context.metadata["actor"] == secretariat.pk
    assert event.pgh_context.metadata["justification"] == "The PhD certificate is not yet issued."
    # The application's own history page in the admin shows it, with who and why.
    history = client.get(f"/admin/fellowships/application/{submitted.pk}/history/").content.decode()
    assert "secretariat@example.org" in history
    assert "eligibility override — The PhD certificate is not yet issued." in history


def test_a_status_cannot_be_posted_and_placements_move_only_by_their_actions(
    submitted: Any, secretariat: Any, login: Any
) -> None:
    client = login(secretariat)
    with pytest.raises(AssertionError, match="shows no field 'status'"):
        post_form(client, f"/admin/fellowships/application/{submitted.pk}/change/", {"status": "accepted"})
    factories.scored(submitted, FUNDABLE, FUNDABLE)
    post_form(client, "/admin/fellowships/application/", {"action": "accept", "_selected_action": str(submitted.pk)})
    placement = Placement.objects.get()
    page = post_form(
        client, "/admin/fellowships/placement/", {"action": "mark_completed", "_selected_action": str(placement.pk)}
    )
    assert any("cannot go from planned to completed" in m for m in messages_of(page))
    page = post_form(
        client, "/admin/fellowships/placement/", {"action": "mark_active", "_selected_action": str(placement.pk)}
    )
    assert "1 placement(s) updated." in messages_of(page)
    placement.refresh_from_db()
    assert placement.status == "active"
    assert Application.objects.get().status == "accepted"
