"""The machine API of compute (design.md, a contract) and its public report, at /api/v1/compute/.

* ``POST usage/`` — a site posts sacct records (JSON or ``sacct --parsable2`` text) with its token.
* ``POST storage/`` — a site posts storage occupancy per Slurm account and day (JSON) with its token.
* ``GET sites/<site>/limits/`` — per Slurm account grants, usage, GrpTRESMins and ``blocked``;
  ``?format=sacctmgr`` gives the command file.
* ``GET reports/allocations/`` — public: allocations by member state, access mode and resource.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import DataError
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import authentication, exceptions, parsers, permissions, renderers, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import charging, selectors
from .models import Site, SiteToken
from .services import authenticate_token, ingest_storage, ingest_usage


class SiteTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <secret>``: the request acts for the token's site (``request.auth``)."""

    keyword = "Token"

    def authenticate(self, request: Request) -> tuple[Any, SiteToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization: expected 'Token <secret>'.")
        try:
            raw = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Authorization: the token is not valid text.") from None
        token = authenticate_token(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("Authorization: unknown or revoked site token.")
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser(), token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class SiteTokenScheme(OpenApiAuthenticationExtension):
    target_class = "compute.api.SiteTokenAuthentication"
    name = "siteToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "A site token: `Token <secret>` (the secret is shown once when staff create it).",
        }


class IsSiteOrStaff(permissions.BasePermission):
    """A live site token, or a signed-in staff member (who back-fills for any site)."""

    message = "A site token (Authorization: Token …) or a staff session is required."

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.auth, SiteToken) or bool(request.user and request.user.is_staff)


class PlainTextParser(parsers.BaseParser):
    """``sacct --parsable2`` output as sent by a site (UTF-8 text)."""

    media_type = "text/plain"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> str:  # type: ignore[override]
        try:
            return stream.read().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise exceptions.ParseError("The body is not UTF-8 text.") from exc


class SacctmgrRenderer(renderers.BaseRenderer):
    """The limits as a ``sacctmgr`` command file (``?format=sacctmgr``)."""

    media_type = "text/plain"
    format = "sacctmgr"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if isinstance(data, str):
            return data.encode()
        return json.dumps(data).encode()


# --- serializers (they document the contract in the schema) ----------------------------------------


_FIELD_HELP = {
    "Cluster": "The Slurm cluster name (one of the token's site). Required.",
    "JobIDRaw": "The job number. Required; with Cluster and Submit, the record's key.",
    "Submit": "Local wall-clock time, e.g. 2025-09-26T10:00:00. Required.",
    "Start": "Local wall-clock time, or Unknown / None for a job that never started.",
    "End": "Local wall-clock time, or Unknown for a running job.",
    "ElapsedRaw": "Whole seconds (ASCII digits), at most a year.",
    "AllocTRES": "e.g. billing=8,cpu=8,gres/gpu=4,mem=32G,node=1 (at most 100,000 GPUs).",
}
# The records' content is checked record by record (design.md: each rejected record is listed with
# its index and reason and the rest of the batch is stored), so the schema constrains only the
# batch's shape; a field's expected form is in its description.
USAGE_BATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["records"],
    "properties": {
        "records": {
            "type": "array",
            "maxItems": charging.MAX_BATCH,
            "items": {
                "type": "object",
                "description": "One sacct record: its fields as sacct prints them (text). A record "
                "that is invalid is rejected on its own, with its index and reason.",
                "properties": {
                    field: {"description": _FIELD_HELP.get(field, "Text as sacct prints it (a Slurm name).")}
                    for field in charging.SACCT_FIELDS
                },
                "additionalProperties": True,
            },
        }
    },
}

_HEADER = re.escape("|".join(charging.SACCT_FIELDS))
# sacct --parsable2 text: the header line, then lines of as many |-separated fields (at most 5,000).
SACCT_TEXT_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": rf"^{_HEADER}(\r?\n([^|\n]*\|){{{len(charging.SACCT_FIELDS) - 1}}}[^|\n]*)*\r?\n?$",
    "description": "The output of sacct --allocations --parsable2 --noconvert with the format of design.md, "
    "header line included. A line with another number of fields makes the batch malformed (400).",
}


_STORAGE_HELP = {
    "cluster": "The Slurm cluster name (one of the token's site). Required.",
    "account": "The Slurm account whose storage this is. Required; with cluster and date, the report's key.",
    "date": "The day measured, the cluster's local calendar date YYYY-MM-DD (not in the future). Required.",
    "used_bytes": "Bytes the account occupied that day: a whole number (ASCII digits, or a JSON integer), "
    "at most 100 PB (10^17). Required.",
}
# As for sacct records, a report's content is checked report by report (rejected with its index and
# reason, the rest stored); the schema constrains the batch's shape and names the fields.
STORAGE_BATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["reports"],
    "properties": {
        "reports": {
            "type": "array",
            "maxItems": charging.MAX_BATCH,
            "items": {
                "type": "object",
                "description": "One day's storage occupancy of one Slurm account on one cluster. A report "
                "that is invalid (or names another field) is rejected on its own, with its index and reason.",
                "properties": {
                    name: {"description": help_text, **({"type": "string"} if name != "used_bytes" else {})}
                    for name, help_text in _STORAGE_HELP.items()
                },
            },
        }
    },
}


class RejectedRecord(serializers.Serializer):
    index = serializers.IntegerField()
    reason = serializers.CharField()


class UsageReply(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    unmatched = serializers.IntegerField()
    rejected = serializers.IntegerField()
    rejected_records = RejectedRecord(many=True)
    batch = serializers.IntegerField(allow_null=True)


class ErrorReply(serializers.Serializer):
    detail = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField(), required=False)


class AccountLimit(serializers.Serializer):
    cluster = serializers.CharField()
    account = serializers.CharField()
    project = serializers.CharField()
    granted_gpu_hours = serializers.IntegerField()
    used_gpu_hours = serializers.FloatField()
    granted_core_hours = serializers.IntegerField()
    used_core_hours = serializers.FloatField()
    grp_tres_mins = serializers.CharField(help_text="The GrpTRESMins value to set, e.g. gres/gpu=60000,cpu=600000.")
    GrpTRESMins = serializers.DictField(child=serializers.IntegerField())
    blocked = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class LimitsReply(serializers.Serializer):
    site = serializers.CharField()
    generated_at = serializers.DateTimeField()
    accounts = AccountLimit(many=True)


class ReportRow(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    allocations = serializers.IntegerField()
    gpu_hours = serializers.IntegerField()
    core_hours = serializers.IntegerField()
    storage_tb = serializers.IntegerField(help_text="TB of storage granted (a quota).")
    storage_tb_days = serializers.FloatField(help_text="Storage charged so far, in TB-days (10^12 bytes x days).")
    gpu_share = serializers.FloatField(help_text="Percentage of all GPU-hours granted.")
    contribution_share = serializers.FloatField(allow_null=True, required=False)


class AllocationsReport(serializers.Serializer):
    total_gpu_hours = serializers.IntegerField()
    total_core_hours = serializers.IntegerField()
    total_storage_tb_days = serializers.FloatField()
    by_member_state = ReportRow(many=True)
    by_access_mode = ReportRow(many=True)
    by_resource = ReportRow(many=True)


# --- views ---------------------------------------------------------------------------------------

SACCT_EXAMPLE = (
    "|".join(charging.SACCT_FIELDS)
    + "\nfox|1956901|1956901|ec85|alice|accel|normal|COMPLETED|2025-09-26T09:00:00|2025-09-26T09:01:00|"
    "2025-09-26T11:31:00|9000|billing=8,cpu=8,gres/gpu=4,mem=32G,node=1\n"
)


def _malformed(reasons: list[str]) -> Response:
    """The 400 reply for a batch refused whole (nothing of it was stored)."""
    return Response({"detail": "Malformed batch: nothing was stored.", "reasons": reasons}, status=400)


class UsageIngestView(APIView):
    """Post usage records of the token's site."""

    authentication_classes = [SiteTokenAuthentication, authentication.SessionAuthentication]
    permission_classes = [IsSiteOrStaff]
    parser_classes = [parsers.JSONParser, PlainTextParser]

    @extend_schema(
        operation_id="compute_usage_create",
        summary="Post a batch of sacct usage records",
        description=(
            'JSON `{"records": [...]}` (at most 5,000) or `text/plain` exactly as '
            "`sacct --allocations --parsable2 --noconvert --format=" + ",".join(charging.SACCT_FIELDS) + "` "
            "prints it, header line included. Idempotent on (Cluster, JobIDRaw, Submit): a re-sent record "
            "replaces the stored one. Rejected records are listed with their index and reason; a malformed "
            "batch is refused whole (400) and nothing of it is stored."
        ),
        request={"application/json": USAGE_BATCH_SCHEMA, "text/plain": SACCT_TEXT_SCHEMA},
        responses={
            200: UsageReply,
            400: OpenApiResponse(ErrorReply, description="Malformed batch: nothing stored."),
            401: OpenApiResponse(ErrorReply, description="No or an unknown site token."),
            403: OpenApiResponse(ErrorReply, description="Not a site token or staff."),
            415: OpenApiResponse(ErrorReply, description="Neither JSON nor text/plain."),
        },
        examples=[OpenApiExample("sacct text", value=SACCT_EXAMPLE, request_only=True, media_type="text/plain")],
    )
    def post(self, request: Request) -> Response:
        try:
            if isinstance(request.data, str):
                records: list[Any] = charging.parse_sacct_text(request.data)
            else:
                records = list(charging.check_json_batch(request.data))
        except charging.BatchError as exc:
            return _malformed(exc.reasons)
        token = request.auth if isinstance(request.auth, SiteToken) else None
        try:
            result = ingest_usage(
                records=records,
                site=token.site if token else None,
                token=token,
                staff_user=None if token else request.user,
            )
        except charging.BatchError as exc:
            return _malformed(exc.reasons)
        except DataError as exc:  # a value PostgreSQL refuses: the whole batch was rolled back
            return _malformed([str(exc)[:300]])
        return Response({**result.as_reply(), "batch": result.batch_id})


STORAGE_EXAMPLE = {
    "reports": [
        {"cluster": "fox", "account": "ec85", "date": "2026-11-29", "used_bytes": 412000000000000},
        {"cluster": "fox", "account": "ec85", "date": "2026-11-30", "used_bytes": "415500000000000"},
    ]
}


class StorageIngestView(APIView):
    """Post storage occupancy of the token's site (charged in TB-days)."""

    authentication_classes = [SiteTokenAuthentication, authentication.SessionAuthentication]
    permission_classes = [IsSiteOrStaff]
    parser_classes = [parsers.JSONParser]

    @extend_schema(
        operation_id="compute_storage_create",
        summary="Post a batch of storage usage reports (bytes per Slurm account and day)",
        description=(
            'JSON `{"reports": [{"cluster", "account", "date", "used_bytes"}, ...]}` (at most 5,000). '
            "Idempotent on (cluster, account, date): a re-sent day replaces the stored value. Each reported "
            "day is charged as that day's occupancy for one day, in TB-days (10^12 bytes x days), in the "
            "month of the date. A closed month is refused to sites (the secretariat may back-fill it, marked "
            "late). Rejected reports are listed with their index and reason; a malformed batch is refused "
            "whole (400) and nothing of it is stored."
        ),
        request={"application/json": STORAGE_BATCH_SCHEMA},
        responses={
            200: UsageReply,
            400: OpenApiResponse(ErrorReply, description="Malformed batch: nothing stored."),
            401: OpenApiResponse(ErrorReply, description="No or an unknown site token."),
            403: OpenApiResponse(ErrorReply, description="Not a site token or staff."),
            415: OpenApiResponse(ErrorReply, description="Not JSON."),
        },
        examples=[OpenApiExample("two days of one account", value=STORAGE_EXAMPLE, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        try:
            reports = charging.check_storage_batch(request.data)
        except charging.BatchError as exc:
            return _malformed(exc.reasons)
        token = request.auth if isinstance(request.auth, SiteToken) else None
        try:
            result = ingest_storage(
                reports=reports,
                site=token.site if token else None,
                token=token,
                staff_user=None if token else request.user,
            )
        except charging.BatchError as exc:
            return _malformed(exc.reasons)
        except DataError as exc:  # a value PostgreSQL refuses: the whole batch was rolled back
            return _malformed([str(exc)[:300]])
        return Response({**result.as_reply(), "batch": result.batch_id})


class SiteLimitsView(APIView):
    """Limits of a site's Slurm accounts, for ``sacctmgr``."""

    authentication_classes = [SiteTokenAuthentication, authentication.SessionAuthentication]
    permission_classes = [IsSiteOrStaff]
    renderer_classes = [renderers.JSONRenderer, SacctmgrRenderer]

    @extend_schema(
        operation_id="compute_site_limits",
        summary="Grants, usage, GrpTRESMins and blocked state per Slurm account of a site",
        description=(
            "GrpTRESMins = granted GPU-hours x 60 (gres/gpu) and core-hours x 60 (cpu) of the active "
            "allocations. `blocked` is true at 100 % of a grant or without any active grant. "
            "`?format=sacctmgr` returns the sacctmgr command file as text/plain."
        ),
        responses={
            (200, "application/json"): LimitsReply,
            (200, "text/plain"): OpenApiTypes.STR,
            401: OpenApiResponse(ErrorReply),
            403: OpenApiResponse(ErrorReply, description="The token belongs to another site."),
            404: OpenApiResponse(ErrorReply),
        },
    )
    def get(self, request: Request, site: str) -> Response:
        token = request.auth if isinstance(request.auth, SiteToken) else None
        if token is not None and token.site.slug != site:
            raise exceptions.PermissionDenied("This site token belongs to another site.")
        site_obj = get_object_or_404(Site, slug=site)
        limits = selectors.site_limits(site_obj)
        if request.accepted_renderer.format == "sacctmgr":
            return Response(selectors.sacctmgr_commands(site_obj, limits), content_type="text/plain; charset=utf-8")
        return Response(
            {"site": site_obj.slug, "generated_at": timezone.now(), "accounts": [row.as_dict() for row in limits]}
        )


class AllocationsReportView(APIView):
    """Public transparency report."""

    authentication_classes: list[Any] = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(
        operation_id="compute_reports_allocations",
        summary="Allocations by member state, access mode and resource, beside contribution shares",
        responses={200: AllocationsReport},
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.allocations_report())


urlpatterns = [
    path("usage/", UsageIngestView.as_view(), name="compute-usage"),
    path("storage/", StorageIngestView.as_view(), name="compute-storage"),
    path("sites/<slug:site>/limits/", SiteLimitsView.as_view(), name="compute-site-limits"),
    path("reports/allocations/", AllocationsReportView.as_view(), name="compute-reports-allocations"),
]
