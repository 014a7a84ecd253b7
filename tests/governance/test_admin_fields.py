"""Issue 8 §1 for governance: the fields the secretariat may write in each governance admin form,
pinned. A new writable field fails this test until someone decides whether the rules govern it (then
it is read-only and changed through a service) and adds it here."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile

from cernai.core import files
from governance.models import Adviser, Paper, Programme
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
MANAGEMENT = ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")

# Reviewed in issue 8 §1. Marked "NOT YET ROUTED": fields that carry a rule and are still plain
# admin edits: a state's contribution share (issue 10 item 1). Programme participants, a session's
# "closed" flag and a body's quorum and weighted-rule settings change on their objects' service pages,
# through governance/configuration.py.
WRITABLE = {
    "adviser add": ["end", "start", "state", "user"],  # appoint_adviser
    "adviser change": [],  # fixed once made; ended on its "End this term" page (end_adviser)
    "agendaitem add": [
        "description", "papers.classification", "papers.id", "papers.item", "papers.title", "papers.upload",
        "position", "session", "title",
    ],
    "agendaitem change": [  # a published paper's classification and file are refused by PaperForm.clean
        "description", "papers.DELETE", "papers.classification", "papers.id", "papers.item", "papers.title",
        "papers.upload", "position", "session", "title",
    ],
    "appointment add": ["end", "role", "start", "state", "user"],  # appoint_delegate
    "appointment change": [],  # fixed once made; ended on its "End this term" page (end_appointment)
    "ballot add": ["closes_at_0", "closes_at_1", "mode", "motion", "opens_at_0", "opens_at_1", "secrecy"],
    "ballot change": ["closes_at_0", "closes_at_1", "electorate.ballot", "electorate.id"],  # open: schedule only
    "bodymembership add": ["body", "end", "start", "state", "user"],  # bodies.appoint_member
    # kind: read-only once the body has sessions. The voting rules are chosen when the body is added,
    # then changed on its "Change the voting rules" page (configuration.set_voting_rules).
    "council add": ["chair", "kind", "name", "quorum_required", "weighted_rule"],
    "council change": ["chair", "name"],
    # elections.setup_election: the service creates the motion, the candidates and round 1 (change: read-only)
    "election add": ["candidates", "closes_at_0", "closes_at_1", "item", "office", "opens_at_0", "opens_at_1"],
    "membershiprequest add": ["kind", "received_on", "state"],  # membership.receive_request
    # status: on the add form only (founding states); afterwards the membership services change it.
    # The contribution share is not a field: it comes from the adopted scale in force (finance).
    "memberstate add": ["iso2", "name", "status"],
    "memberstate change": [  # authorisations: add-only, through membership.record_voting_authorisation
        "authorisations.decided_on", "authorisations.id", "authorisations.reference", "authorisations.state",
        "authorisations.valid_from", "authorisations.valid_until", "iso2", "name",
    ],
    "minutes add": ["closed_part", "public_part", "session"],  # drafting; approve/publish through papers.py
    "motion add": ["item", "kind", "programme", "text", "title"],  # circulation: its own page (admissions)
    "motion change": ["text", "title"],  # draft motion whose ballot opened: status, number, rule read-only
    "paper add": ["classification", "item", "publish", "title", "upload"],  # publish: papers.publish_paper
    "paper change": ["classification", "item", "publish", "title", "upload"],  # a draft; fixed once published
    # participants: added and removed on the programme's own pages (configuration.add_participant, ...)
    "programme add": ["name"],
    "programme change": ["name"],
    "recommendation add": ["council_motion", "motion"],  # bodies.attach_recommendation
    # "closed" is chosen when the session is added (nobody attends yet); afterwards it changes on the
    # session's "Open or close the session" page (configuration.set_session_closed).
    "session add": [
        "closed", "council", "items.description", "items.id", "items.position", "items.session", "items.title",
        "location", "send_convocation", "starts_at_0", "starts_at_1", "title",
    ],
    # attendances: the register is read here (hidden row keys); presence is recorded on the session's
    # "Record attendance" page, through check_in. The sample session has started: its council and
    # start are fixed (a started or convened session cannot be moved back to reopen "closed").
    "session change": [
        "attendances.id", "attendances.session", "items.DELETE", "items.description",
        "items.id", "items.position", "items.session", "items.title", "location", "send_convocation", "title",
    ],
}  # fmt: skip


def writable(client: Any, url: str) -> list[str] | None:
    """Every control of the admin's form at ``url`` (unticked boxes and empty multiple selects too),
    inline rows folded to ``inline.field``."""
    html = client.get(url).content.decode()
    form = re.search(r'<form[^>]*id="\w+_form"[^>]*>(.*?)</form>', html, re.S)
    if form is None:  # a view-only page
        return None
    names = set()
    for tag in re.findall(r"<(?:input|select|textarea)\b[^>]*>", form.group(1)):
        found = re.search(r'\bname="([^"]+)"', tag)
        if not found or re.search(r'type="(?:submit|button)"', tag) or "disabled" in tag:
            continue
        name = found.group(1)
        if name == "csrfmiddlewaretoken" or name.endswith(MANAGEMENT):
            continue
        match = re.fullmatch(r"(\w+)-(?:\d+|__prefix__)-(\w+)", name)
        names.add(f"{match.group(1)}.{match.group(2)}" if match else name)
    return sorted(names)


def test_every_writable_governance_admin_field_is_reviewed(
    members: list[Any], delegate_fr_sci: Any, secretariat: Any, login: Any, make_ballot: Any
) -> None:
    ballot = make_ballot()
    item = ballot.motion.item
    Programme.objects.create(name="Exascale")
    Adviser.objects.create(state=members[0], user=UserFactory(email="adv@example.org"), start="2020-01-01")
    upload = SimpleUploadedFile("p.pdf", b"%PDF-1.4 p")
    Paper.objects.create(
        item=item, title="Paper", file=files.store_upload(upload=upload, owner=secretariat, purpose="paper")
    )
    client = login(secretariat)
    seen = {}
    for model in admin.site._registry:
        if model._meta.app_label != "governance":
            continue
        base = f"/admin/governance/{model._meta.model_name}/"
        instance = model.objects.order_by("pk").first()
        for label, url in (("add", base + "add/"), ("change", f"{base}{instance.pk}/change/" if instance else None)):
            fields = writable(client, url) if url is not None and client.get(url).status_code == 200 else None
            if fields is not None:
                seen[f"{model._meta.model_name} {label}"] = fields
    assert seen == WRITABLE, "\n".join(f"    {k!r}: {v!r}," for k, v in sorted(seen.items()))
