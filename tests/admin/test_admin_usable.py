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


def _project_apps_with_an_admin() -> set[str]:
    """Every app of this project (not a third-party package) that has something in the admin."""
    from django.apps import apps
    from django.conf import settings

    base = str(settings.BASE_DIR)
    return {
        model._meta.app_label
        for model in admin.site._registry
        if apps.get_app_config(model._meta.app_label).path.startswith(base)
        and "site-packages" not in apps.get_app_config(model._meta.app_label).path
    }


def _admin_labels() -> list[tuple[str, Any]]:
    """Every label the secretariat reads in the admin of the project's apps: model names (singular and
    plural) and every concrete field's name and help text, of the registered models and of the models
    shown inline; the columns and read-only values from @admin.display; action descriptions; fieldset
    titles; the titles of the service pages."""
    labels: list[tuple[str, Any]] = []
    seen: set[Any] = set()

    def model_labels(model: Any) -> None:
        if model in seen or model._meta.app_label == "mfa":  # allauth's model: its inline labels the columns
            return
        seen.add(model)
        name = model._meta.label
        labels.append((f"{name} (model)", model._meta.verbose_name))
        labels.append((f"{name} (plural)", model._meta.verbose_name_plural))
        for field in model._meta.concrete_fields:
            if field.primary_key:
                continue
            labels.append((f"{name}.{field.name}", field.verbose_name))
            if field.help_text:
                labels.append((f"{name}.{field.name} (help)", field.help_text))

    def display_labels(where: str, model: Any, model_admin: Any) -> None:
        names = [*getattr(model_admin, "list_display", ()), *model_admin.readonly_fields]
        for item in names:
            function = item if callable(item) else getattr(model_admin, item, None) or getattr(model, item, None)
            if callable(function) and hasattr(function, "short_description"):
                labels.append((f"{where} column {getattr(function, '__name__', item)}", function.short_description))
        for title, _options in model_admin.fieldsets or ():
            if title:
                labels.append((f"{where} fieldset", title))
        for slug, (title, _form, _method) in getattr(model_admin, "service_pages", {}).items():
            labels.append((f"{where} page {slug}", title))

    from django.apps import apps as registry

    apps = _project_apps_with_an_admin()
    labels += [(f"{app} (app)", registry.get_app_config(app).verbose_name) for app in sorted(apps)]
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in apps:
            continue
        model_labels(model)
        display_labels(model._meta.label, model, model_admin)
        for action in model_admin.actions or ():
            function = action if callable(action) else getattr(model_admin, action)
            labels.append((f"{model._meta.label} action {function.__name__}", function.short_description))
        for inline_class in model_admin.inlines:
            inline = inline_class(model, admin.site)
            model_labels(inline.model)
            labels.append((f"{model._meta.label} inline {inline.model._meta.label}", inline.verbose_name))
            labels.append((f"{model._meta.label} inline {inline.model._meta.label}", inline.verbose_name_plural))
            display_labels(f"{model._meta.label} inline {inline.model._meta.label}", inline.model, inline)
    return labels


def test_every_project_app_with_an_admin_is_checked() -> None:
    assert _project_apps_with_an_admin() >= {
        "governance",
        "fellowships",
        "compute",
        "finance",
        "nodes",
        "core",
        "accounts",
    }


def test_every_label_of_the_admin_is_translatable_and_has_a_french_translation() -> None:
    """Issue 8 §5: plain-language labels in English and French, for every app with an admin."""
    from django.utils import translation
    from django.utils.functional import Promise
    from django.utils.translation import trans_real

    french = trans_real.translation("fr")
    labels = _admin_labels()
    assert len(labels) > 500, len(labels)  # the walk really found the admin
    missing = []
    for name, label in labels:
        with translation.override("en"):
            english = str(label)
        if not isinstance(label, Promise) or english not in french._catalog:  # type: ignore[attr-defined]
            missing.append(f"{name}: {english}")
    assert not missing, missing
