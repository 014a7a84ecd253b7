"""The secretariat's registry of national nodes. Host sites (Fellowships) and compute sites name
their node on their own admin pages; plan lines name it under Finance."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse

from cernai.accounts.permissions import is_secretariat
from cernai.core.admin import AuditTrailMixin

from .models import Node


@admin.register(Node)
class NodeAdmin(AuditTrailMixin, admin.ModelAdmin):
    list_display = ["name", "state", "host_institution", "programme"]
    list_filter = ["state"]
    list_select_related = ["state", "programme"]
    search_fields = ["name", "host_institution", "state__name"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["people"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(is_secretariat(request.user)) and request.user.is_staff

    def has_delete_permission(self, request: HttpRequest, obj: Node | None = None) -> bool:
        return False  # sites, host sites and plan lines point to it: a node is never deleted

    def view_on_site(self, obj: Node) -> str:  # type: ignore[override]
        return reverse("nodes:detail", args=[obj.slug])
