"""The secretariat keeps the registry of national nodes in the admin (model permissions through
`rules`, like the other apps); the node pages are public."""

from __future__ import annotations

import rules

from cernai.accounts.permissions import is_secretariat

for _action in ("view", "add", "change"):
    rules.add_perm(f"nodes.{_action}_node", is_secretariat)
