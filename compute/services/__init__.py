"""Every write of compute goes through these services (one transaction each, audited, side effects
enqueued on commit). Split by topic: tokens, ingest, accounting, allocations."""

from .accounting import account_batch, expire_allocations, rematch_records, send_expiry_reminders, sweep_batches
from .allocations import (
    approve_request,
    create_period,
    create_project,
    move_allocation,
    reject_request,
    request_extension,
    set_period_capacity,
    submit_request,
    top_up_allocation,
)
from .ingest import IngestResult, ingest_usage
from .projects import add_member, remove_member
from .reviews import assign_reviewer, declare_conflict, missing_reviews, record_review
from .storage import ingest_storage
from .tokens import authenticate_token, create_site_token, revoke_site_token

__all__ = [
    "IngestResult",
    "account_batch",
    "add_member",
    "approve_request",
    "assign_reviewer",
    "authenticate_token",
    "create_period",
    "create_project",
    "create_site_token",
    "declare_conflict",
    "expire_allocations",
    "ingest_storage",
    "ingest_usage",
    "missing_reviews",
    "move_allocation",
    "record_review",
    "reject_request",
    "rematch_records",
    "remove_member",
    "request_extension",
    "revoke_site_token",
    "send_expiry_reminders",
    "set_period_capacity",
    "submit_request",
    "sweep_batches",
    "top_up_allocation",
]
