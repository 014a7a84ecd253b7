"""Notification kinds of fellowships (templates in fellowships/templates/notifications/<kind>/)."""

from cernai.core.notifications import register_kind

APPLICATION_SUBMITTED = register_kind("fellowships.application_submitted", "An application was submitted.").key
INFO_REQUESTED = register_kind("fellowships.info_requested", "Staff asked an applicant for more information.").key
DECISION = register_kind("fellowships.decision", "A decision on an application.").key
REVIEW_ASSIGNED = register_kind("fellowships.review_assigned", "Applications were assigned to a reviewer.").key
LETTER_RECEIVED = register_kind("fellowships.letter_received", "A referee uploaded a letter.").key
REPORT_REMINDER = register_kind("fellowships.report_reminder", "A return report is due soon or today.").key
ERASURE_DONE = register_kind("fellowships.erasure_done", "An applicant's data was erased.").key
ELIGIBILITY_REFUSED = register_kind(
    "fellowships.eligibility_refused", "Staff found an application not eligible, with the reason."
).key
