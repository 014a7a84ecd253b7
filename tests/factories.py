"""factory-boy factories shared by every app's tests."""

from __future__ import annotations

from typing import Any

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group

from cernai.accounts.models import User
from cernai.core.demo import demo_totp_secret

PASSWORD = "correct horse battery staple"


def has_mfa(user: Any) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class UserFactory(factory.django.DjangoModelFactory):
    """A verified account. ``groups=[...]`` adds roles; ``mfa=True`` activates TOTP + recovery codes
    with the secret ``demo_totp_secret(email)``."""

    class Meta:
        model = User
        django_get_or_create = ("email",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Faker("name")
    nationality = "FR"
    home_country = "FR"
    home_institution = factory.Sequence(lambda n: f"Institute {n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        self.save()
        if create:
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )

    @factory.post_generation
    def groups(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        for name in extracted or []:
            self.groups.add(Group.objects.get_or_create(name=name)[0])

    @factory.post_generation
    def mfa(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if extracted and not has_mfa(self):
            TOTP.activate(self, demo_totp_secret(self.email))
            RecoveryCodes.activate(self)
