"""Project membership, kept by the PI (and project managers) or the secretariat; audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from cernai.core.audit import audit_context
from cernai.core.errors import Refusal

from ..models import Project, ProjectMembership


def add_member(*, project: Project, email: str, role: str, actor: Any) -> ProjectMembership:
    """Add the person with this sign-in address to the project (they need an account first)."""
    if role not in ProjectMembership.Role.values:
        raise Refusal(_("Choose a role."), code="role", field="role")
    user = get_user_model().objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        raise Refusal(
            _("No one has an account with the address %(email)s; ask them to sign up first.")
            % {"email": email.strip()},
            code="unknown",
            field="email",
        )
    with transaction.atomic(), audit_context(actor=actor, reason="project member added"):
        membership, created = ProjectMembership.objects.get_or_create(
            project=project, user=user, defaults={"role": role}
        )
        if not created:
            raise Refusal(_("%(name)s is already in the project.") % {"name": user}, code="duplicate", field="email")
    return membership


def remove_member(*, project: Project, user: Any, actor: Any) -> None:
    """Take a person out of the project; the PI stays (the secretariat changes PIs)."""
    if user.pk == project.pi_id:
        raise Refusal(_("The PI cannot be removed from their project."), code="pi")
    with transaction.atomic(), audit_context(actor=actor, reason="project member removed"):
        deleted, _rows = ProjectMembership.objects.filter(project=project, user=user).delete()
        if not deleted:
            raise Refusal(_("This person is not in the project."), code="absent")
