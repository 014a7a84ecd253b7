"""Read-only public API of fellowships, mounted at /api/v1/fellowships/: the calls that are open."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from cernai.core.api import StrictLimitOffsetPagination

from .models import Call, Criterion, HostSite
from .selectors import open_calls


class HostSiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = HostSite
        fields = ["name", "kind", "country", "city"]


class CriterionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Criterion
        fields = ["name", "weight"]


class CallSerializer(serializers.ModelSerializer):
    programme = serializers.CharField(source="programme.name", read_only=True)
    programme_kind = serializers.CharField(source="programme.kind", read_only=True)
    host_sites = HostSiteSerializer(many=True, read_only=True)
    criteria = CriterionSerializer(many=True, read_only=True)
    opens_at_local = serializers.SerializerMethodField(help_text="Opening in the call's time zone (ISO 8601).")
    deadline_local = serializers.SerializerMethodField(help_text="Deadline in the call's time zone (ISO 8601).")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Call
        fields = [
            "slug",
            "title",
            "description",
            "programme",
            "programme_kind",
            "timezone",
            "opens_at",
            "opens_at_local",
            "deadline",
            "deadline_local",
            "places",
            "other_nationals_quota",
            "min_duration_months",
            "max_duration_months",
            "career_stage",
            "check_nationality",
            "check_mobility",
            "threshold_percent",
            "min_reviewers",
            "blind",
            "host_sites",
            "criteria",
            "url",
        ]

    def get_opens_at_local(self, call: Call) -> str:
        return call.opens_at.astimezone(call.tz).isoformat()

    def get_deadline_local(self, call: Call) -> str:
        return call.deadline.astimezone(call.tz).isoformat()

    def get_url(self, call: Call) -> str:
        from django.urls import reverse

        return reverse("fellowships:call_detail", args=[call.slug])


class FellowshipsErrorSerializer(serializers.Serializer):
    """A refusal: ``detail`` or one list of reasons per offending parameter."""

    detail = serializers.CharField(required=False)


BAD_REQUEST = OpenApiResponse(FellowshipsErrorSerializer, description="A malformed parameter, named with the reason.")
NOT_FOUND = OpenApiResponse(FellowshipsErrorSerializer, description="No open call with this slug.")


class OpenCallList(generics.ListAPIView):
    """Calls open for applications now, soonest deadline first."""

    serializer_class = CallSerializer
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    # A malformed limit/offset is a 400 naming the parameter, not silently ignored.
    pagination_class = StrictLimitOffsetPagination

    def get_queryset(self) -> QuerySet[Call]:
        return open_calls()

    @extend_schema(
        summary="Open fellowship calls",
        tags=["fellowships"],
        responses={200: CallSerializer(many=True), 400: BAD_REQUEST},
    )
    def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return super().get(request, *args, **kwargs)


class OpenCallDetail(generics.RetrieveAPIView):
    """One open call by its slug."""

    serializer_class = CallSerializer
    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[Call]:
        return open_calls()

    @extend_schema(
        summary="One open fellowship call", tags=["fellowships"], responses={200: CallSerializer, 404: NOT_FOUND}
    )
    def get(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return super().get(request, *args, **kwargs)


urlpatterns = [
    path("calls/", OpenCallList.as_view(), name="fellowships-calls"),
    path("calls/<slug:slug>/", OpenCallDetail.as_view(), name="fellowships-call"),
]
