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
from tests.admin_forms import form_fields
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

WRITABLE = {}


def writable(client: Any, url: str) -> list[str]:
    """The names a browser would post from the admin form at ``url``, inline rows folded to ``inline.field``."""
    names = set()
    for name in form_fields(client, url):
        if name == "csrfmiddlewaretoken" or name.endswith(
            ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS")
        ):
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
            if url is not None and client.get(url).status_code == 200:
                seen[f"{model._meta.model_name} {label}"] = writable(client, url)
    assert seen == WRITABLE, "\n".join(f"    {k!r}: {v!r}," for k, v in sorted(seen.items()))
