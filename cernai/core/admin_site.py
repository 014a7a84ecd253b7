"""The secretariat's admin site: Django's, with its app list named once per request.

Every admin page's context carries the list of apps and models the person may use (the sidebar,
the index, an app's page). Django builds it with each name a lazy translation and then sorts the
lazy names, so every comparison translates both sides again: ~260 translations a page with our
~55 models, a third of the list's cost. Here the names are translated once, before the sort.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig
from django.http import HttpRequest


class AdminSite(admin.AdminSite):
    def _build_app_dict(self, request: HttpRequest, label: Any = None) -> dict[str, Any]:
        app_dict = super()._build_app_dict(request, label)
        for app in app_dict.values():
            app["name"] = str(app["name"])
            for model in app["models"]:
                model["name"] = str(model["name"])
        return app_dict


class AdminConfig(DjangoAdminConfig):
    default_site = "cernai.core.admin_site.AdminSite"
