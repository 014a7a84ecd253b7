"""Site tokens: created with a random secret shown once, stored as its SHA-256, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cernai.core.audit import audit_context

from ..models import Site, SiteToken

TOKEN_PREFIX = "cst_"  # noqa: S105 (a visible marker, not a secret)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_site_token(*, site: Site, label: str, actor: Any = None, raw: str | None = None) -> tuple[SiteToken, str]:
    """Create a token for ``site``; return it with the raw secret, which is never stored."""
    raw = raw or TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic(), audit_context(actor=actor, reason="site token created"):
        token = SiteToken.objects.create(
            site=site, label=label, prefix=raw[:12], key_hash=hash_token(raw), created_by=actor
        )
    return token, raw


def revoke_site_token(*, token: SiteToken, actor: Any = None) -> SiteToken:
    """Revoke a token: it stops working at once."""
    with transaction.atomic(), audit_context(actor=actor, reason="site token revoked"):
        SiteToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        token.refresh_from_db()
    return token


def authenticate_token(raw: str) -> SiteToken | None:
    """The live token with this secret, or None (a constant-time comparison of the hashes)."""
    if not raw or len(raw) > 200:
        return None
    digest = hash_token(raw)
    token = SiteToken.objects.select_related("site").filter(key_hash=digest, revoked_at__isnull=True).first()
    if token is None or not hmac.compare_digest(token.key_hash, digest):
        return None
    _record_use(token)
    return token


# A site posts many batches a minute: the time of last use is written at most once a minute per token.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _record_use(token: SiteToken) -> None:
    """Set ``last_used_at`` to now unless it was set less than a minute ago (one conditional UPDATE)."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
    if SiteToken.objects.filter(stale, pk=token.pk).update(last_used_at=now):
        token.last_used_at = now
