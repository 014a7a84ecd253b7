"""The institution's money: NNI statistics, contribution scales, associates' fixed amounts, calls
and payments. Amounts are integer cents (EUR); shares are percentages as ``Decimal``."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cernai.core.audit import audited


@audited
class NNIStatistic(models.Model):
    """A member state's net national income for one year, in cents (entered or imported by the secretariat)."""

    state = models.ForeignKey(
        "governance.MemberState",
        on_delete=models.PROTECT,
        related_name="nni_statistics",
        verbose_name=_("member state"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    nni_cents = models.BigIntegerField(_("net national income (cents)"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        ordering = ["state__name", "year"]
        verbose_name = _("NNI statistic")
        verbose_name_plural = _("NNI statistics")
        constraints = [
            models.UniqueConstraint(fields=["state", "year"], name="nni_once_per_state_year"),
            models.CheckConstraint(condition=models.Q(nni_cents__gt=0), name="nni_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.year}"


@audited
class ScaleVersion(models.Model):
    """A computed contribution scale for named years; used only once a two-thirds-of-all ballot adopted it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ADOPTED = "adopted", _("adopted")

    title = models.CharField(_("title"), max_length=200)
    first_year = models.PositiveSmallIntegerField(_("first year"))
    last_year = models.PositiveSmallIntegerField(_("last year"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    motion = models.ForeignKey(
        "governance.Motion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="scale_versions",
        verbose_name=_("adopting motion"),
        help_text=_("The two-thirds-of-all motion that adopts this scale."),
    )
    decision = models.CharField(
        _("earlier decision"),
        max_length=200,
        blank=True,
        help_text=_(
            "For a scale the Council adopted before the portal recorded its ballots (the shares once typed in "
            "by hand, the founding scale): the decision that adopted it."
        ),
    )
    redistribution = models.TextField(_("ceiling and floor"), blank=True)
    computed_at = models.DateTimeField(_("computed at"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("computed by")
    )
    adopted_at = models.DateTimeField(_("adopted at"), null=True, blank=True)

    class Meta:
        ordering = ["-first_year", "-id"]
        verbose_name = _("scale version")
        verbose_name_plural = _("scale versions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_year__lte=models.F("last_year")), name="scale_years_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft")
                | (models.Q(adopted_at__isnull=False) & (models.Q(motion__isnull=False) | ~models.Q(decision=""))),
                name="scale_adopted_by_a_motion_or_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.first_year}–{self.last_year})"  # noqa: RUF001


@audited
class ScaleShare(models.Model):
    """One state's line of a scale version, with the arithmetic shown to readers."""

    class Bound(models.TextChoices):
        NONE = "", _("within the bounds")
        CEILING = "ceiling", _("set to the ceiling")
        FLOOR = "floor", _("set to the floor")

    version = models.ForeignKey(
        ScaleVersion, on_delete=models.CASCADE, related_name="shares", verbose_name=_("scale version")
    )
    state = models.ForeignKey(
        "governance.MemberState", on_delete=models.PROTECT, related_name="scale_shares", verbose_name=_("member state")
    )
    nni_years = models.CharField(_("NNI years averaged"), max_length=40)
    nni_average_cents = models.BigIntegerField(_("NNI average (cents, rounded)"))
    raw_share = models.DecimalField(
        _("share before the bounds (%)"), max_digits=9, decimal_places=6
    )  # rules.SHARE_PLACES
    share = models.DecimalField(_("share (%)"), max_digits=9, decimal_places=6)  # rules.SHARE_PLACES
    bound = models.CharField(_("bound"), max_length=8, choices=Bound.choices, blank=True)

    class Meta:
        ordering = ["version", "state__name"]
        verbose_name = _("scale share")
        verbose_name_plural = _("scale shares")
        constraints = [
            models.UniqueConstraint(fields=["version", "state"], name="scale_share_once_per_state"),
            models.CheckConstraint(condition=models.Q(share__gt=0, share__lte=100), name="scale_share_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.state}: {self.share} %"


@audited
class AssociateAmount(models.Model):
    """The fixed yearly amount an associate member pays under its association agreement, outside the scale."""

    state = models.ForeignKey(
        "governance.MemberState",
        on_delete=models.PROTECT,
        related_name="associate_amounts",
        verbose_name=_("member state"),
    )
    year = models.PositiveSmallIntegerField(_("year"))
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    agreement = models.CharField(_("association agreement"), max_length=200, blank=True)

    class Meta:
        ordering = ["state__name", "year"]
        verbose_name = _("associate's fixed amount")
        verbose_name_plural = _("associates' fixed amounts")
        constraints = [
            models.UniqueConstraint(fields=["state", "year"], name="associate_amount_once_per_year"),
            models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="associate_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.year}"


@audited
class Call(models.Model):
    """A call for contributions: what a state owes for a financial year, issued 1 January, due 1 April."""

    state = models.ForeignKey(
        "governance.MemberState", on_delete=models.PROTECT, related_name="calls", verbose_name=_("member state")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on"))
    scale = models.ForeignKey(
        ScaleVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="calls",
        verbose_name=_("scale version"),
        help_text=_("Empty for an associate member's fixed amount."),
    )

    class Meta:
        ordering = ["year", "state__name"]
        verbose_name = _("call for contributions")
        verbose_name_plural = _("calls for contributions")
        constraints = [
            models.UniqueConstraint(fields=["state", "year"], name="call_once_per_state_year"),
            models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="call_amount_positive"),
            models.CheckConstraint(condition=models.Q(due_on__gte=models.F("issued_on")), name="call_due_after_issue"),
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.year}"


@audited
class Payment(models.Model):
    """Money received from a state (a bank line); payments settle the oldest unpaid call first."""

    state = models.ForeignKey(
        "governance.MemberState", on_delete=models.PROTECT, related_name="payments", verbose_name=_("member state")
    )
    received_on = models.DateField(_("received on"))
    amount_cents = models.BigIntegerField(_("amount (cents)"))
    reference = models.CharField(_("bank reference"), max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("recorded by")
    )

    class Meta:
        ordering = ["received_on", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(fields=["state", "reference"], name="payment_reference_once_per_state"),
            models.CheckConstraint(condition=models.Q(amount_cents__gt=0), name="payment_amount_positive"),
        ]
        indexes = [models.Index(fields=["state", "received_on"])]

    def __str__(self) -> str:
        return f"{self.state} {self.received_on} {self.reference}"


# The medium-term plan lives in its own module (separate from the contributions above).
from .plan_models import Envelope, FellowshipCost, PlanLine, PlanVersion, UnitCost  # noqa: E402

__all__ = [
    "AssociateAmount",
    "Call",
    "Envelope",
    "FellowshipCost",
    "NNIStatistic",
    "Payment",
    "PlanLine",
    "PlanVersion",
    "ScaleShare",
    "ScaleVersion",
    "UnitCost",
]
