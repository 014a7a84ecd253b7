"""Every write of fellowships goes through these services (one transaction each, audited, side effects
on commit). They never take ``request``: views, the API, admin actions and tasks call the same ones."""

from .applications import (
    ApplicationError,
    attach_document,
    compute_eligibility,
    invite_referee,
    override_eligibility,
    referee_token,
    save_draft,
    send_referee_email,
    start_application,
    submit_application,
    upload_reference_letter,
)
from .placements import (
    advance_placements,
    build_export,
    remind_return_reports,
    request_export,
    set_placement_status,
    submit_return_report,
)
from .privacy import carry_out_erasure, export_data_of, request_erasure
from .review import (
    AssignmentReport,
    ReviewError,
    assign_reviewers,
    assignment_refusal,
    decide,
    decide_in_bulk,
    declare_conflict,
    request_more_information,
    submit_review,
)

__all__ = [
    "ApplicationError",
    "AssignmentReport",
    "ReviewError",
    "advance_placements",
    "assign_reviewers",
    "assignment_refusal",
    "attach_document",
    "build_export",
    "carry_out_erasure",
    "compute_eligibility",
    "decide",
    "decide_in_bulk",
    "declare_conflict",
    "export_data_of",
    "invite_referee",
    "override_eligibility",
    "referee_token",
    "remind_return_reports",
    "request_erasure",
    "request_export",
    "request_more_information",
    "save_draft",
    "send_referee_email",
    "set_placement_status",
    "start_application",
    "submit_application",
    "submit_return_report",
    "submit_review",
    "upload_reference_letter",
]
