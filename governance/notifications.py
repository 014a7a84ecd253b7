"""Notification kinds of governance (registered at import from navigation.py)."""

from cernai.core.notifications import register_kind

register_kind("governance.ballot_opened", "A ballot your delegation may vote in has opened.")
register_kind("governance.ballot_closing", "A ballot closes within the hour and your delegation has not voted.")
register_kind("governance.result_published", "The result of a ballot was published.")
register_kind("governance.convocation", "A session of your body is convened, with its agenda.")
register_kind("governance.paper_published", "A paper of a session you sit in was published.")
register_kind("governance.minutes_published", "The minutes of a session you sat in were published.")
register_kind(
    "governance.programme_participation", "Your state starts or stops taking part in a programme of the organisation."
)
