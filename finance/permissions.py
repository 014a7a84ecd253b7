"""Who may do what in finance: the secretariat keeps the accounts in the admin (model permissions
through `rules`, like governance)."""

from __future__ import annotations

import rules

from cernai.accounts.permissions import is_secretariat

_SECRETARIAT_MODELS: list[str] = []
for _model in _SECRETARIAT_MODELS:
    for _action in ("view", "add", "change", "delete"):
        rules.add_perm(f"finance.{_action}_{_model}", is_secretariat)
