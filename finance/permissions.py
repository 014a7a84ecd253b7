"""Who may do what in finance: the secretariat keeps the accounts in the admin (model permissions
through `rules`, like governance). Amounts are never changed or deleted once recorded: the admin
offers no change or delete for them, whatever the permissions say."""

from __future__ import annotations

import rules

from cernai.accounts.permissions import is_secretariat

_SECRETARIAT_MODELS = ["nnistatistic", "scaleversion", "scaleshare", "associateamount", "call", "payment"]
for _model in _SECRETARIAT_MODELS:
    for _action in ("view", "add", "change"):
        rules.add_perm(f"finance.{_action}_{_model}", is_secretariat)
rules.add_perm("finance.issue_calls", is_secretariat)

_PLAN_MODELS = ["planline", "planversion", "envelope", "unitcost", "fellowshipcost"]
for _model in _PLAN_MODELS:
    for _action in ("view", "add", "change"):
        rules.add_perm(f"finance.{_action}_{_model}", is_secretariat)
