"""Who may do what in governance: predicates used by views, the API, admin and services alike."""

from __future__ import annotations

from typing import Any

import rules

from cernai.accounts.permissions import is_chair, is_secretariat

from . import selectors


@rules.predicate
def sees_council_business(user: Any) -> bool:
    return selectors.sees_council_business(user)


@rules.predicate
def is_serving_delegate(user: Any) -> bool:
    return selectors.active_appointment(user) is not None


runs_ballots = is_chair | is_secretariat

rules.add_perm("governance.see_council_business", sees_council_business)
rules.add_perm("governance.run_ballots", runs_ballots)
rules.add_perm("governance.vote", is_serving_delegate)

# The secretariat runs the Council from the admin: model permissions through `rules` rather than
# per-user database grants. Votes are read-only; secret choices and joint keys are not in the admin.
_SECRETARIAT_MODELS = [
    "memberstate",
    "votingauthorisation",
    "programme",
    "council",
    "appointment",
    "adviser",
    "session",
    "attendance",
    "agendaitem",
    "paper",
    "minutes",
    "motion",
    "ratification",
    "ballot",
    "election",
    "bodymembership",
    "recommendation",
    "membershiprequest",
]
for _model in _SECRETARIAT_MODELS:
    for _action in ("view", "add", "change", "delete"):
        rules.add_perm(f"governance.{_action}_{_model}", is_secretariat)
rules.add_perm("governance.view_vote", is_secretariat)
rules.add_perm("governance.view_electorateentry", is_secretariat)
rules.add_perm("governance.view_candidate", is_secretariat)
