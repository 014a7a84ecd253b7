"""Council records: member states, programmes, delegations, sessions, motions, ballots and votes."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cernai.core.audit import audited


@audited
class MemberState(models.Model):
    """A state party to the Convention (or associated with it), with its status and contribution share."""

    class Status(models.TextChoices):
        MEMBER = "member", _("member")
        ASSOCIATE = "associate", _("associate member")
        OBSERVER = "observer", _("observer")
        CANDIDATE = "candidate", _("candidate")

    name = models.CharField(_("name"), max_length=100)
    # Same ISO 3166-1 alpha-2 codes as User.home_country / nationality, so other apps can join on them.
    iso2 = models.CharField(_("ISO code"), max_length=2, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.MEMBER)
    contribution_share = models.DecimalField(
        _("contribution share (%)"),
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Percentage of the member states' contributions, as published."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("member state")
        verbose_name_plural = _("member states")
        constraints = [
            models.CheckConstraint(condition=models.Q(iso2__regex=r"^[A-Z]{2}$"), name="memberstate_iso2_upper"),
        ]

    def __str__(self) -> str:
        return self.name


@audited
class Programme(models.Model):
    """An optional programme of the organisation; only its participating states vote on its matters."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    participants = models.ManyToManyField(
        MemberState, blank=True, related_name="programmes", verbose_name=_("participating states")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")

    def __str__(self) -> str:
        return self.name
