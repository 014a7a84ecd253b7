"""Roles are Django groups; these are their names. Predicates over them live in permissions.py."""

SECRETARIAT = "Secretariat"
CHAIR = "Council chair"
DELEGATE = "Delegates"
REVIEWER = "Reviewers"

ALL = [SECRETARIAT, CHAIR, DELEGATE, REVIEWER]
# Roles whose members must have a second factor before they can do anything else (issue 2 §3).
MFA_REQUIRED = [SECRETARIAT, CHAIR, DELEGATE, REVIEWER]
