"""Notification kinds of governance (registered at import from navigation.py)."""

from cernai.core.notifications import register_kind

register_kind("governance.ballot_opened", "A ballot your delegation may vote in has opened.")
register_kind("governance.ballot_closing", "A ballot closes within the hour and your delegation has not voted.")
register_kind("governance.result_published", "The result of a ballot was published.")
