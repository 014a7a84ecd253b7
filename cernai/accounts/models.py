"""People who use the portal. Email is the login; there is no username."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from cernai.core.audit import audited


class EmailUserManager(UserManager["User"]):
    """Creates users identified by email alone."""

    use_in_migrations = True

    def _create_user_by_email(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:  # type: ignore[override]
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user_by_email(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:  # type: ignore[override]
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user_by_email(email, password, **extra)


class User(AbstractUser):
    """A person: delegate, applicant, reviewer, PI, secretariat staff or anyone else."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    name = models.CharField(_("full name"), max_length=200)
    nationality = CountryField(_("nationality"), blank=True)
    home_institution = models.CharField(_("home institution"), max_length=200, blank=True)
    home_country = CountryField(_("home member state"), blank=True, help_text=_("The state of your home institution."))
    language = models.CharField(_("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["name"]

    objects = EmailUserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["name", "email"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.name or self.email

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


# The trail of who holds which power (issue 8 §3). Password hashes and sign-in times stay out of it.
audited(User, exclude=["password", "last_login"])
audited(User.groups.through, model_name="UserGroupEvent", app_label="accounts")
audited(User.user_permissions.through, model_name="UserPermissionEvent", app_label="accounts")


@audited
class AccountRecovery(models.Model):
    """The secretariat started account recovery for a person: who, for whom, why, and whether the
    second factor was declared lost. The person completes it themselves from their own mailbox."""

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recoveries", verbose_name=_("person")
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="recoveries_started",
        verbose_name=_("started by"),
    )
    reason = models.TextField(_("reason"))
    second_factor_lost = models.BooleanField(_("second factor lost"), default=False)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("account recovery")
        verbose_name_plural = _("account recoveries")

    def __str__(self) -> str:
        return f"{self.person} ({self.created_at:%Y-%m-%d})"


@audited
class SignInFactorChange(models.Model):
    """A second factor added, removed or reset (allauth's MFA signals, and account recovery). The
    authenticators themselves belong to allauth; this record is the trail of their changes."""

    class Action(models.TextChoices):
        ADDED = "added", _("added")
        REMOVED = "removed", _("removed")
        RESET = "reset", _("reset")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="factor_changes", verbose_name=_("person")
    )
    kind = models.CharField(_("kind of factor"), max_length=20)
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("done by"),
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("sign-in factor change")
        verbose_name_plural = _("sign-in factor changes")

    def __str__(self) -> str:
        return f"{self.user}: {self.kind} {self.action}"
