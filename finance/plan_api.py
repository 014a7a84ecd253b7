"""Read-only public API of the medium-term plan, mounted at /api/v1/governance/plan/: the plan in
force for a year line by line (envelope and execution), and the fair-return board per state.
Amounts in euro cents; shares in percent with two decimals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from governance.api import BAD_REQUEST, PublicView

from . import plan_selectors
from .api import YearQuery


@dataclass(frozen=True)
class PlanLineRow:
    code: str
    name: str
    kind: str
    state: str | None
    version: str
    year: int
    envelope_cents: int
    executed_cents: int | None
    executed_percent: Decimal | None


class PlanLineSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="the line's code, the same across versions")
    name = serializers.CharField()
    kind = serializers.CharField(help_text="programme, node, facility, fellowships or compute")
    state = serializers.CharField(allow_null=True, help_text="ISO code of a national node's state")
    version = serializers.CharField(help_text="the adopted plan version in force for the year")
    year = serializers.IntegerField()
    envelope_cents = serializers.IntegerField(help_text="the line's envelope for the year, in euro cents")
    executed_cents = serializers.IntegerField(
        allow_null=True, help_text="granted compute times unit cost or accepted fellows times cost; null: not measured"
    )
    executed_percent = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)


def _year(request: Any) -> int:
    query = YearQuery(data=request.query_params)
    query.is_valid(raise_exception=True)  # a bad year is a 400 naming ``year``
    return int(query.validated_data.get("year") or timezone.localdate().year)


@extend_schema(
    summary="Medium-term plan in force for a year: envelope and execution per line",
    tags=["governance"],
    parameters=[YearQuery],
    responses={200: PlanLineSerializer(many=True), 400: BAD_REQUEST},
)
class PlanList(PublicView, generics.ListAPIView):
    serializer_class = PlanLineSerializer

    def get_queryset(self) -> Any:
        year = _year(self.request)
        version = plan_selectors.plan_in_force(year)
        if version is None:
            return []
        return [
            PlanLineRow(
                code=line.code,
                name=line.name,
                kind=line.kind,
                state=line.state.iso2 if line.state else None,
                version=version.title,
                year=year,
                envelope_cents=e.envelope_cents,
                executed_cents=e.executed_cents,
                executed_percent=e.rate,
            )
            for line, e in plan_selectors.execution(version, year)
        ]


class FairReturnSerializer(serializers.Serializer):
    state = serializers.CharField(source="iso2", help_text="ISO 3166-1 alpha-2 code of the state")
    name = serializers.CharField()
    contribution_cents = serializers.IntegerField(help_text="called for the year, in euro cents")
    contribution_share = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    compute_granted_cents = serializers.IntegerField(help_text="allocations starting in the year times unit cost")
    compute_granted_share = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    compute_used_cents = serializers.IntegerField(help_text="usage of those allocations times unit cost")
    compute_used_share = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    fellows_sent = serializers.IntegerField(help_text="fellows accepted in the year from this state")
    fellows_hosted = serializers.IntegerField(help_text="fellows accepted in the year hosted in this state")
    nodes_funded = serializers.IntegerField(help_text="national node lines with an envelope for the year")
    nodes_envelope_cents = serializers.IntegerField()


@extend_schema(
    summary="Fair-return board of a year per state",
    tags=["governance"],
    parameters=[YearQuery],
    responses={200: FairReturnSerializer(many=True), 400: BAD_REQUEST},
)
class FairReturnList(PublicView, generics.ListAPIView):
    serializer_class = FairReturnSerializer

    def get_queryset(self) -> Any:
        return plan_selectors.fair_return(_year(self.request)).rows


urlpatterns = [
    path("", PlanList.as_view(), name="finance-plan"),
    path("fair-return/", FairReturnList.as_view(), name="finance-fair-return"),
]
