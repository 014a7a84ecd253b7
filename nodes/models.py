"""The one registry of national nodes: a host institution in a member state, with its domain
programme and its people. Fellowships' host sites and compute's sites point to their node, and
plan lines fund it; the node's public page gathers all of it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cernai.core.audit import audited


@audited
class Node(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    host_institution = models.CharField(_("host institution"), max_length=200)
    state = models.ForeignKey(
        "governance.MemberState", on_delete=models.PROTECT, related_name="nodes", verbose_name=_("state")
    )
    programme = models.ForeignKey(
        "governance.Programme",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="nodes",
        verbose_name=_("domain programme"),
    )
    people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="nodes", verbose_name=_("people")
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("national node")
        verbose_name_plural = _("national nodes")

    def __str__(self) -> str:
        return self.name
