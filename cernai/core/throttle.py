"""Sign-in throttling that cannot be turned against the people it protects (quality.md T6, T19).

Failed sign-ins are counted in PostgreSQL under two keys:

- the client address (``cernai.core.clients.client_address``: behind the TLS proxy, the address the
  proxy saw), so one machine guessing at many accounts is slowed and then refused;
- the account *and* the address together, so guessing at one account from one machine is refused
  after a few tries, while the owner signing in from their own machine is never refused because of
  someone else's failures elsewhere.

Once a count reaches its threshold, that key is refused for a delay that doubles with every further
failure (attempts made while refused count too: hammering keeps the door shut), up to a cap. No
lock is permanent: the delay runs out, and a quiet period forgets the count. There is deliberately
no account-wide lock: anyone could then lock any delegate out by typing wrong passwords.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .models import LoginThrottle


@dataclass(frozen=True)
class Limit:
    scope: str
    threshold: int  # failures before the first delay
    first_delay: timedelta
    longest_delay: timedelta
    forget_after: timedelta  # a quiet period that clears the count


ADDRESS = Limit("address", threshold=20, first_delay=timedelta(minutes=1), longest_delay=timedelta(hours=1),
                forget_after=timedelta(hours=2))  # fmt: skip
ACCOUNT_AT_ADDRESS = Limit("account@address", threshold=5, first_delay=timedelta(minutes=5),
                           longest_delay=timedelta(hours=1), forget_after=timedelta(hours=2))  # fmt: skip
LIMITS = (ADDRESS, ACCOUNT_AT_ADDRESS)


def delay_after(limit: Limit, failures: int) -> timedelta | None:
    """How long a key with ``failures`` counted failures is refused (None: not at all)."""
    if failures < limit.threshold:
        return None
    doublings = failures - limit.threshold
    if doublings >= math.log2(limit.longest_delay / limit.first_delay):
        return limit.longest_delay
    return limit.first_delay * 2**doublings


def _keys(address: str, login: str) -> list[tuple[Limit, str]]:
    return [(ADDRESS, address), (ACCOUNT_AT_ADDRESS, f"{login.strip().lower()}|{address}")]


def is_refused(*, address: str, login: str) -> bool:
    """Whether a sign-in for ``login`` from ``address`` is refused now; a refused attempt counts."""
    now = timezone.now()
    keys = _keys(address, login)
    if not any(
        LoginThrottle.objects.filter(scope=limit.scope, key=key, blocked_until__gt=now).exists() for limit, key in keys
    ):
        return False
    record_failure(address=address, login=login)
    return True


def record_failure(*, address: str, login: str) -> None:
    for limit, key in _keys(address, login):
        _count(limit, key)


def record_success(*, address: str, login: str) -> None:
    """The right password from this address: its own account's count there starts again."""
    LoginThrottle.objects.filter(scope=ACCOUNT_AT_ADDRESS.scope, key=_keys(address, login)[1][1]).delete()


def _count(limit: Limit, key: str) -> None:
    now = timezone.now()
    with transaction.atomic():
        row, _ = LoginThrottle.objects.select_for_update().get_or_create(
            scope=limit.scope, key=key[:400], defaults={"last_failure_at": now}
        )
        if now - row.last_failure_at > limit.forget_after:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        delay = delay_after(limit, row.failures)
        if delay is not None:
            row.blocked_until = max(row.blocked_until or now, now + delay)
        row.save(update_fields=["failures", "last_failure_at", "blocked_until"])


def forget_login(login: str) -> None:
    """The owner proved they are the owner (a password reset): forget the account's counts everywhere."""
    LoginThrottle.objects.filter(scope=ACCOUNT_AT_ADDRESS.scope, key__startswith=f"{login.strip().lower()}|").delete()
