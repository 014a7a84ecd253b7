"""Read-only public API of finance, mounted at /api/v1/governance/contributions/: per state, the
share in the scale in force, the call for the year and how far it is paid."""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from governance.api import BAD_REQUEST, PublicView

from . import selectors
from .services import FIRST_YEAR, LAST_YEAR


class ContributionSerializer(serializers.Serializer):
    state = serializers.CharField(source="iso2", help_text="ISO 3166-1 alpha-2 code of the state")
    name = serializers.CharField()
    share_percent = serializers.DecimalField(
        source="share", max_digits=9, decimal_places=6, allow_null=True, help_text="null for an associate member"
    )
    called_cents = serializers.IntegerField(help_text="the call for the year, in euro cents")
    settled_cents = serializers.IntegerField(help_text="how much of that call is paid (oldest call first)")
    outstanding_cents = serializers.IntegerField()
    received_in_year_cents = serializers.IntegerField(help_text="payments received during the year")


class YearQuery(serializers.Serializer):
    year = serializers.IntegerField(
        required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR, help_text="financial year (default: this year)"
    )


@extend_schema(
    summary="Contributions of a year: scale, calls and payments per state",
    tags=["governance"],
    parameters=[YearQuery],
    responses={200: ContributionSerializer(many=True), 400: BAD_REQUEST},
)
class ContributionList(PublicView, generics.ListAPIView):
    serializer_class = ContributionSerializer

    def get_queryset(self) -> Any:
        query = YearQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)  # a bad year is a 400 naming ``year``
        year = query.validated_data.get("year") or timezone.localdate().year
        return selectors.contributions(year=year, on=timezone.now())


urlpatterns = [path("", ContributionList.as_view(), name="finance-contributions")]
