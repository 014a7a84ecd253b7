"""Second factors added, removed or reset by the person (allauth's MFA signals) go to the trail."""

from __future__ import annotations

from typing import Any

from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.dispatch import receiver

from .models import SignInFactorChange


def _record(action: str, user: Any, authenticator: Any, request: Any) -> None:
    actor = getattr(request, "user", None)
    SignInFactorChange.objects.create(
        user=user,
        kind=authenticator.type,
        action=action,
        actor=actor if actor is not None and actor.is_authenticated else user,
    )


@receiver(authenticator_added)
def factor_added(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    _record(SignInFactorChange.Action.ADDED, user, authenticator, request)


@receiver(authenticator_removed)
def factor_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    _record(SignInFactorChange.Action.REMOVED, user, authenticator, request)


@receiver(authenticator_reset)
def factor_reset(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    _record(SignInFactorChange.Action.RESET, user, authenticator, request)
