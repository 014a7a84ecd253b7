"""Print the current TOTP code of a demo account (for trying the portal without a phone)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cernai.accounts.models import User
from cernai.core import demo


class Command(BaseCommand):
    help = "Print the current TOTP code of an account whose authenticator was created by seed_demo."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, email: str, **options: Any) -> None:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise CommandError(f"email: no account with address {email!r}")
        secret = demo.totp_secret_of(user)
        if secret is None:
            raise CommandError(f"email: {email} has no TOTP authenticator")
        self.stdout.write(demo.current_totp_code(secret))
