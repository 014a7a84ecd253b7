"""The medium-term plan (rules.md §4 "Medium-term plan and budget"): budget lines, versioned
multi-year envelopes per line, and the unit costs the secretariat maintains to value execution.

Amounts are integer cents (EUR). A unit cost of compute may have fractions of a cent per unit
(``Decimal`` euros with four places); execution is rounded to the cent only at the end.
Imported into ``finance.models`` so Django sees the models; written only by ``finance.plan_services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cernai.core.audit import audited

DEFAULT_PLAN_YEARS = 5


@audited
class PlanLine(models.Model):
    """A line of the plan, the same across versions: a programme, a national node, a facility,
    fellowships or compute. Node lines name their state (the fair-return board counts them)."""

    class Kind(models.TextChoices):
        PROGRAMME = "programme", _("programme")
        NODE = "node", _("national node")
        FACILITY = "facility", _("facility")
        FELLOWSHIPS = "fellowships", _("fellowships")
        COMPUTE = "compute", _("compute")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    state = models.ForeignKey(
        "governance.MemberState",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_lines",
        verbose_name=_("state"),
        help_text=_("For a national node: the state it is in."),
    )
    site = models.ForeignKey(
        "compute.Site",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_lines",
        verbose_name=_("compute site"),
        help_text=_("For compute or a national node: only allocations of this site's resources count."),
    )
    node = models.ForeignKey(
        "nodes.Node",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_lines",
        verbose_name=_("national node"),
        help_text=_("For a national node line: the node of the registry it funds."),
    )
    programme = models.ForeignKey(
        "fellowships.Programme",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_lines",
        verbose_name=_("fellowship programme"),
        help_text=_("For fellowships: only this programme's accepted fellows count (empty: all)."),
    )

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("plan line")
        verbose_name_plural = _("plan lines")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="node") | models.Q(state__isnull=False), name="plan_node_line_has_state"
            ),
        ]

    def __str__(self) -> str:
        return self.name


@audited
class PlanVersion(models.Model):
    """A version of the medium-term plan: envelopes for ``first_year`` to ``last_year``. Drafted by the
    secretariat, attached to a budget motion, adopted when that motion's ballot adopts it."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        ADOPTED = "adopted", _("adopted")

    title = models.CharField(_("title"), max_length=200)
    first_year = models.PositiveSmallIntegerField(_("first year"))
    last_year = models.PositiveSmallIntegerField(_("last year"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    based_on = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="revisions",
        verbose_name=_("based on"),
        help_text=_("The version whose envelopes this draft started from (compared on its page)."),
    )
    motion = models.ForeignKey(
        "governance.Motion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_versions",
        verbose_name=_("budget motion"),
        help_text=_("The budget motion whose adoption puts this version in force."),
    )
    created_at = models.DateTimeField(_("drafted at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("created by")
    )
    adopted_at = models.DateTimeField(_("adopted at"), null=True, blank=True)

    class Meta:
        ordering = ["-adopted_at", "-id"]
        verbose_name = _("plan version")
        verbose_name_plural = _("plan versions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_year__lte=models.F("last_year")), name="plan_years_ordered"
            ),
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(motion__isnull=False, adopted_at__isnull=False),
                name="plan_adopted_by_a_motion",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.first_year}–{self.last_year})"  # noqa: RUF001

    @property
    def years(self) -> list[int]:
        return list(range(self.first_year, self.last_year + 1))


@audited
class Envelope(models.Model):
    """What a version of the plan gives a line for one year, in cents."""

    version = models.ForeignKey(
        PlanVersion, on_delete=models.CASCADE, related_name="envelopes", verbose_name=_("plan version")
    )
    line = models.ForeignKey(PlanLine, on_delete=models.PROTECT, related_name="envelopes", verbose_name=_("plan line"))
    year = models.PositiveSmallIntegerField(_("year"))
    amount_cents = models.BigIntegerField(_("envelope (cents)"))

    class Meta:
        ordering = ["version", "line__kind", "line__name", "year"]
        verbose_name = _("envelope")
        verbose_name_plural = _("envelopes")
        constraints = [
            models.UniqueConstraint(fields=["version", "line", "year"], name="envelope_once_per_line_year"),
            models.CheckConstraint(condition=models.Q(amount_cents__gte=0), name="envelope_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.line} {self.year}"


@audited
class UnitCost(models.Model):
    """What one unit of a compute resource (a GPU-hour, a core-hour, a TB) costs in a year, in euros."""

    resource = models.ForeignKey(
        "compute.Resource", on_delete=models.PROTECT, related_name="unit_costs", verbose_name=_("compute resource")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    cost_eur = models.DecimalField(_("cost per unit (EUR)"), max_digits=14, decimal_places=4)

    class Meta:
        ordering = ["year", "resource__name"]
        verbose_name = _("compute unit cost")
        verbose_name_plural = _("compute unit costs")
        constraints = [
            models.UniqueConstraint(fields=["resource", "year"], name="unit_cost_once_per_resource_year"),
            models.CheckConstraint(condition=models.Q(cost_eur__gt=0), name="unit_cost_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.year}"


@audited
class FellowshipCost(models.Model):
    """What one accepted fellowship of a programme costs in a year, in cents."""

    programme = models.ForeignKey(
        "fellowships.Programme", on_delete=models.PROTECT, related_name="costs", verbose_name=_("fellowship programme")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    cost_cents = models.BigIntegerField(_("cost per fellowship (cents)"))

    class Meta:
        ordering = ["year", "programme__name"]
        verbose_name = _("fellowship cost")
        verbose_name_plural = _("fellowship costs")
        constraints = [
            models.UniqueConstraint(fields=["programme", "year"], name="fellowship_cost_once_per_programme_year"),
            models.CheckConstraint(condition=models.Q(cost_cents__gt=0), name="fellowship_cost_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.programme} {self.year}"
