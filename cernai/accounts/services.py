"""Account recovery: the one way the secretariat helps a person back into their account.

The secretariat never learns or sets a password or a second factor. It records why it starts a
recovery; the portal then sends a reset link to the person's own address. When the second factor is
declared lost, the old factors are removed and the password is made unusable, which ends every
session of the account: whoever holds the lost phone, or the old password, is out; the person
chooses a new password from the link in their mailbox and then sets up a new second factor at
sign-in (their role requires it, see middleware.RequireMFAMiddleware).
"""

from __future__ import annotations

from typing import Any

from allauth.account.internal.flows.password_reset import request_password_reset
from allauth.account.models import EmailAddress
from allauth.core.context import request_context
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from cernai.core.audit import audit_context
from cernai.core.errors import Refusal

from .models import AccountRecovery, SignInFactorChange, User


def start_recovery(
    *, actor: Any, person: User, reason: str, second_factor_lost: bool, request: HttpRequest
) -> AccountRecovery:
    """Send ``person`` a password reset link to their own verified address; if their second factor is
    lost, remove it and end their sessions first. ``request`` only builds the link's address."""
    reason = (reason or "").strip()
    if not reason:
        raise Refusal(_("Say why the account is being recovered (for example, how the person asked)."), field="reason")
    if (person.is_staff or person.is_superuser) and not actor.is_superuser:
        raise Refusal(_("Only a superuser can recover a staff account."), code="forbidden")
    if person.pk == actor.pk:
        raise Refusal(_("You cannot recover your own account; ask another member of staff."), code="forbidden")
    if not EmailAddress.objects.filter(user=person, email__iexact=person.email, verified=True).exists():
        raise Refusal(
            _("This person's address is not verified, so a reset link cannot prove it reaches them."),
            code="unverified",
        )
    label = "account recovery: second factor lost" if second_factor_lost else "account recovery: reset link"
    with transaction.atomic(), audit_context(actor=actor, reason=label, justification=reason):
        locked = User.objects.select_for_update().get(pk=person.pk)
        recovery = AccountRecovery.objects.create(
            person=locked, started_by=actor, reason=reason, second_factor_lost=second_factor_lost
        )
        if second_factor_lost:
            for authenticator in Authenticator.objects.filter(user=locked):
                SignInFactorChange.objects.create(
                    user=locked,
                    kind=authenticator.type,
                    action=SignInFactorChange.Action.REMOVED,
                    actor=actor,
                    reason=reason,
                )
                authenticator.delete()
            # A new password hash changes the session hash: every session of the account ends.
            locked.set_unusable_password()
            locked.save(update_fields=["password"])
        # After the commit, so the link's token is made from the password hash the person now has.
        transaction.on_commit(lambda: _send_reset_link(request, locked))
    return recovery


def _send_reset_link(request: HttpRequest, person: User) -> None:
    with request_context(request):  # allauth builds the link's address from the request
        request_password_reset(request, person.email, [person], None)
