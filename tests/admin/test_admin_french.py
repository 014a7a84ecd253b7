"""Issue 8 §5: the secretariat working in French reads the admin in French: the columns of the
changelists and the labels of the change forms of every app are the French ones, not field names
and not the English labels."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

import pytest

pytestmark = pytest.mark.django_db


def _columns(page: str) -> dict[str, str]:
    """The changelist's column headers, by field name."""
    found = re.findall(r'<th scope="col" class="[^"]*column-(\w+)[^"]*">.*?<div class="text">(.*?)</div>', page, re.S)
    return {name: _text(cell) for name, cell in found}


def _labels(page: str) -> dict[str, str]:
    """The change form's field labels (editable or read-only), by field name, without the colon."""
    labels = {}
    for row in re.split(r'(?=<div class="form-row)', page)[1:]:
        names = re.match(r'<div class="form-row[^"]*?field-(\w+)', row)
        label = re.search(r"<label[^>]*>(.*?)</label>", row, re.S)
        if names and label:
            labels[names.group(1)] = _text(label.group(1)).rstrip(":\u00a0 ")
    return labels


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _french_page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.content.decode()
    assert '<html lang="fr"' in page, url
    return page


def test_the_secretariat_reads_every_apps_admin_in_french(demo_data: Any, secretariat: Any, login: Any) -> None:
    from allauth.mfa.models import Authenticator

    from cernai.core.models import Notification
    from compute.models import Allocation, UsageBatch
    from finance.models import Payment
    from governance.models import Appointment, MemberState, Session

    # The demo has no finance records: a payment as the secretariat would have recorded it.
    Payment.objects.create(
        state=MemberState.objects.order_by("pk").first(),
        received_on=dt.date(2026, 3, 2),
        amount_cents=125_000_00,
        reference="BANK-REF-1",
        recorded_by=secretariat,
    )
    # A French-speaking secretariat: the profile's language is the one the portal is read in
    # (cernai/accounts/language.py).
    secretariat.language = "fr"
    secretariat.save(update_fields=["language"])
    client = login(secretariat)

    # The index and the sidebar: the apps by their French names.
    index = client.get("/admin/")
    names = {str(app["name"]) for app in index.context["app_list"]}
    assert {"Gouvernance", "Bourses", "Calcul", "Finances"} <= names, names
    assert not {"Governance", "Fellowships", "Compute"} & names, names

    # Changelists: the column headers.
    expected_columns = {
        "/admin/governance/appointment/": {"user": "Délégué·e", "state": "État membre", "start": "Début du mandat"},
        "/admin/governance/ballot/": {
            "entitled_count": "Nombre ayant le droit de vote",
            "voted_count": "Participation",
        },
        "/admin/compute/usagerecord/": {"job_id": "Identifiant de la tâche", "state": "État de la tâche"},
        "/admin/compute/monthlyusage/": {"account": "Nom du compte Slurm", "gpu_seconds": "Secondes GPU"},
        "/admin/finance/payment/": {"state": "État membre", "recorded_by": "Enregistré par"},
        "/admin/core/notification/": {"recipient": "Destinataire", "kind": "Type d'événement"},
    }
    for url, columns in expected_columns.items():
        shown = _columns(_french_page(client, url))
        assert {name: shown.get(name) for name in columns} == columns, url

    # Change forms: the field labels, editable and read-only.
    appointment = Appointment.objects.order_by("pk").first()
    session = Session.objects.order_by("pk").first()
    allocation = Allocation.objects.order_by("pk").first()
    batch = UsageBatch.objects.order_by("pk").first()
    payment = Payment.objects.order_by("pk").first()
    notification = Notification.objects.order_by("pk").first()
    assert all((appointment, session, allocation, batch, payment, notification)), "the demo data changed"
    expected_labels = {
        f"/admin/governance/appointment/{appointment.pk}/change/": {"state": "État membre", "user": "Délégué·e"},
        f"/admin/governance/session/{session.pk}/change/": {"council": "Organe"},
        f"/admin/compute/allocation/{allocation.pk}/change/": {"project": "Projet", "resource": "Ressource"},
        f"/admin/compute/usagebatch/{batch.pk}/change/": {
            "staff_user": "Téléversé par (personnel)",
            "processed_at": "Comptabilisé le",
        },
        f"/admin/finance/payment/{payment.pk}/change/": {"state": "État membre", "recorded_by": "Enregistré par"},
        f"/admin/core/notification/{notification.pk}/change/": {
            "recipient": "Destinataire",
            "body_text": "Message (texte brut)",
        },
    }
    for url, labels in expected_labels.items():
        shown = _labels(_french_page(client, url))
        assert {name: shown.get(name) for name in labels} == labels, url

    # A person's page: the second factors inline is labelled by the portal, in French too.
    person = Authenticator.objects.filter(user__is_staff=False).order_by("pk").first().user  # type: ignore[union-attr]
    page = _french_page(client, f"/admin/accounts/user/{person.pk}/change/")
    assert "Seconds facteurs" in page or "seconds facteurs" in page
    assert "Type de second facteur" in page and "Kind of second factor" not in page


def test_the_sidebar_lists_apps_and_models_in_the_order_of_their_french_names(
    demo_data: Any, secretariat: Any, login: Any
) -> None:
    """The admin's app list (every page's sidebar) is sorted by the names the person reads: apps by
    their French names, whatever their case, and each app's models by theirs (admin_site.py
    translates each name once, before sorting)."""
    secretariat.language = "fr"
    secretariat.save(update_fields=["language"])
    client = login(secretariat)
    page = _french_page(client, "/admin/compute/allocation/")
    sidebar = page.split('id="nav-sidebar"', 1)[1].split("</nav>", 1)[0]
    apps = re.findall(r'<div class="app-(\w+) module.*?<caption>(.*?)</caption>(.*?)</table>', sidebar, re.S)
    names = [_text(caption) for _label, caption, _rows in apps]
    assert {"Gouvernance", "Bourses", "Calcul", "Finances"} <= set(names), names
    assert names == sorted(names, key=str.lower), names
    models = {
        label: [_text(m) for m in re.findall(r'<th scope="row"[^>]*>(.*?)</th>', rows, re.S)]
        for label, _c, rows in apps
    }
    assert "Allocations" in models["compute"] and "Motions" in models["governance"], models
    for label, shown in models.items():
        assert shown == sorted(shown), (label, shown)
