"""Issue 8 §5: the secretariat (not a superuser) finds every app it works in on the admin index and
in the sidebar, and every breadcrumb link of every changelist it may open leads somewhere."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import admin

pytestmark = pytest.mark.django_db


def test_the_index_lists_every_app_the_secretariat_works_in(secretariat: Any, login: Any) -> None:
    client = login(secretariat)
    index = client.get("/admin/")
    apps = [app["name"] for app in index.context["app_list"]]
    for name in ("Governance", "Fellowships", "Compute"):
        assert name in apps, apps
    assert "Mfa" not in apps and "MFA" not in apps  # second factors are not administered here
    sidebar = client.get("/admin/compute/site/").content.decode()
    assert 'id="nav-sidebar"' in sidebar and "/admin/fellowships/" in sidebar and "/admin/governance/" in sidebar


def test_every_breadcrumb_on_every_changelist_answers(secretariat: Any, login: Any) -> None:
    client = login(secretariat)
    opened = 0
    for model in admin.site._registry:
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        response = client.get(url)
        if response.status_code == 403:  # not the secretariat's to see (e.g. the user-group links)
            continue
        assert response.status_code == 200, url
        opened += 1
        crumbs = re.search(r'class="breadcrumbs"[^>]*>(.*?)</(?:ol|div)>', response.content.decode(), re.S)
        assert crumbs, url
        for link in re.findall(r'href="([^"]+)"', crumbs.group(1)):
            assert client.get(link).status_code == 200, f"{link} (breadcrumb of {url})"
    assert opened >= 20


def test_every_changelist_of_the_apps_can_be_searched_or_filtered() -> None:
    """Issue 8 §5: a non-developer finds a record by typing or picking, never by scrolling."""
    apps = {"governance", "fellowships", "compute", "finance", "accounts", "core"}
    bare = sorted(
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in apps and not (model_admin.search_fields or model_admin.list_filter)
    )
    assert not bare, bare
