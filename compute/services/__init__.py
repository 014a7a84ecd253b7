"""Every write of compute goes through these services (one transaction each, audited, side effects
enqueued on commit). Split by topic: tokens, ingest, accounting, allocations."""

from .accounting import account_batch, expire_allocations, rematch_records, send_expiry_reminders, sweep_batches
from .allocations import (
    add_review,
    approve_request,
    create_project,
    reject_request,
    submit_request,
    top_up_allocation,
)
from .ingest import IngestResult, ingest_usage
from .tokens import authenticate_token, create_site_token, revoke_site_token

__all__ = [
    "IngestResult",
    "account_batch",
    "add_review",
    "approve_request",
    "authenticate_token",
    "create_project",
    "create_site_token",
    "expire_allocations",
    "ingest_usage",
    "reject_request",
    "rematch_records",
    "revoke_site_token",
    "send_expiry_reminders",
    "submit_request",
    "sweep_batches",
    "top_up_allocation",
]
