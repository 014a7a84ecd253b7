"""Demo people shared by every app's demo data; `manage.py seed_demo` calls this first."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.contrib.auth.models import Group

from cernai.accounts import roles
from cernai.accounts.models import User

DEMO_PASSWORD = "cernai-demo-2026"


def demo_totp_secret(email: str) -> str:
    """A stable secret per demo email, so re-seeding keeps authenticator apps working."""
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:totp:{email}".encode()).digest()[:20]
    return base64.b32encode(digest).decode()


def current_totp_code(secret: str, *, offset: int = 0) -> str:
    import time

    from allauth.mfa import app_settings

    return format_hotp_value(hotp_value(secret, int(time.time()) // app_settings.TOTP_PERIOD + offset))


def totp_secret_of(user: User) -> str | None:
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    return decrypt(authenticator.data["secret"]) if authenticator else None


def demo_user(
    email: str,
    name: str,
    *,
    groups: tuple[str, ...] = (),
    staff: bool = False,
    superuser: bool = False,
    mfa: bool = False,
    **profile: Any,
) -> User:
    """Create or update a verified demo account; with ``mfa`` it gets TOTP and recovery codes."""
    user, created = User.objects.get_or_create(email=email, defaults={"name": name, **profile})
    changed = created
    if created or not user.has_usable_password():
        user.set_password(DEMO_PASSWORD)
        changed = True
    if (user.is_staff, user.is_superuser) != (staff or superuser, superuser):
        user.is_staff, user.is_superuser = staff or superuser, superuser
        changed = True
    if changed:
        user.save()
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    for group_name in groups:
        user.groups.add(Group.objects.get_or_create(name=group_name)[0])
    if mfa and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, demo_totp_secret(email))
        RecoveryCodes.activate(user)
    return user


def recovery_codes_of(user: User) -> list[str]:
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).first()
    return RecoveryCodes(authenticator).get_unused_codes() if authenticator else []


def seed_people() -> dict[str, User]:
    """The named personas of the demo (and of the tests' vocabulary)."""
    for group_name in roles.ALL:
        Group.objects.get_or_create(name=group_name)
    return {
        "admin": demo_user(
            "admin@cernai.example",
            "Ada Admin",
            superuser=True,
            mfa=True,
            nationality="CH",
            home_country="CH",
            home_institution="cernai secretariat",
        ),
        "secretariat": demo_user(
            "secretariat@cernai.example",
            "Sam Secretariat",
            groups=(roles.SECRETARIAT,),
            staff=True,
            mfa=True,
            nationality="FR",
            home_country="CH",
            home_institution="cernai secretariat",
        ),
        "chair": demo_user(
            "chair@cernai.example",
            "Claire Chair",
            mfa=True,
            nationality="NL",
            home_country="NL",
            home_institution="Universiteit Leiden",
        ),
        "applicant": demo_user(
            "applicant@cernai.example",
            "Ana Applicant",
            nationality="PT",
            home_country="PT",
            home_institution="Universidade de Lisboa",
        ),
        "applicant2": demo_user(
            "applicant2@cernai.example",
            "Bo Applicant",
            nationality="SE",
            home_country="SE",
            home_institution="KTH Royal Institute of Technology",
            language="en",
        ),
        "reviewer": demo_user(
            "reviewer@cernai.example",
            "Rita Reviewer",
            mfa=True,
            nationality="IT",
            home_country="IT",
            home_institution="Politecnico di Milano",
        ),
        "reviewer2": demo_user(
            "reviewer2@cernai.example",
            "René Reviewer",
            mfa=True,
            nationality="BE",
            home_country="BE",
            home_institution="KU Leuven",
            language="fr",
        ),
        "pi": demo_user(
            "pi@cernai.example",
            "Pia Investigator",
            nationality="DE",
            home_country="DE",
            home_institution="Max Planck Institute for Intelligent Systems",
        ),
    }
