"""Load the demo data (idempotent) and print how to sign in as each persona."""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from cernai.core import demo

APPS_WITH_DEMO_DATA = ["governance", "fellowships", "compute", "nodes"]


class Command(BaseCommand):
    help = "Create or refresh the demo data and print the demo logins."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")

    def handle(self, *args: Any, quiet: bool = False, **options: Any) -> None:
        extra: list[tuple[str, str]] = []
        with transaction.atomic():
            personas = demo.seed_people()
            for app in APPS_WITH_DEMO_DATA:
                extra += importlib.import_module(f"{app}.demo").seed(personas)
        if quiet:
            return
        self.stdout.write(self.style.MIGRATE_HEADING(f"\nDemo logins (password for all: {demo.DEMO_PASSWORD})"))
        for key, user in personas.items():
            self._print_user(key, user)
        for label, value in extra:
            self.stdout.write(f"  {label}: {value}")
        self.stdout.write(
            "\nFor an account with MFA, add its TOTP secret to an authenticator app, or print a current code with"
            "\n  .venv/bin/python manage.py demo_totp EMAIL\n"
        )

    def _print_user(self, key: str, user: Any) -> None:
        secret = demo.totp_secret_of(user)
        line = f"  {key:<12} {user.email:<36}"
        if secret:
            codes = demo.recovery_codes_of(user)
            line += f" TOTP secret {secret}  recovery code {codes[0] if codes else '—'}"
        self.stdout.write(line)
