"""Governance fixtures reused here: a Council of member states, France, a session and ballots."""

from tests.governance.conftest import france, make_ballot, members, session  # noqa: F401
