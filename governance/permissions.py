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

rules.add_perm("governance.view_council", sees_council_business)
rules.add_perm("governance.run_ballots", runs_ballots)
rules.add_perm("governance.vote", is_serving_delegate)
