"""People in the admin. Only superusers grant staff status, permissions or the Secretariat group, or
touch another staff account; nobody sets a person's password or second factor here (account
recovery is an audited action that the person completes themselves, see services.start_recovery).
"""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cernai.core.admin import AuditTrailMixin
from cernai.core.errors import Refusal

from . import services
from .models import User

# A second factor is the person's own: it is added and removed by them in their account pages, or
# marked lost through the recovery action, never edited or deleted in the admin (not even by a
# superuser: the trail must say who and why).
if admin.site.is_registered(Authenticator):
    admin.site.unregister(Authenticator)


class UserCreationForm(forms.ModelForm):
    """A new account without a password: the person sets their own through the reset link."""

    class Meta:
        model = User
        fields = ["email", "name"]

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).lower()

    def save(self, commit: bool = True) -> User:
        user: User = super().save(commit=False)
        user.set_unusable_password()
        if commit:
            user.save()
        return user


class RecoveryForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why, and how the person asked (for example: phoned the secretariat from the number on file)."),
    )
    second_factor_lost = forms.BooleanField(
        label=_("Second factor lost"),
        required=False,
        help_text=_("Removes their second factors and ends their sessions; they set up a new one at sign-in."),
    )


class AuthenticatorInline(admin.TabularInline):
    """The person's sign-in factors, to see, never to edit."""

    model = Authenticator
    # allauth's own field names are not translated: the columns are labelled here.
    fields = ["kind_of_factor", "added_at", "last_used"]
    readonly_fields = ["kind_of_factor", "added_at", "last_used"]
    extra = 0
    can_delete = False
    verbose_name = _("second factor")
    verbose_name_plural = _("second factors")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("accounts.view_user")

    @admin.display(description=_("kind of second factor"))
    def kind_of_factor(self, obj: Authenticator) -> str:
        return str(obj.get_type_display())  # type: ignore[attr-defined]

    @admin.display(description=_("added at"))
    def added_at(self, obj: Authenticator) -> Any:
        return obj.created_at

    @admin.display(description=_("last used at"))
    def last_used(self, obj: Authenticator) -> Any:
        return obj.last_used_at


# What only a superuser may change on a person: the flags and grants that give power over others.
GRANTS = ("is_staff", "is_superuser", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(AuditTrailMixin, BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "nationality", "home_institution", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", "groups", "language"]
    search_fields = ["email", "name", "home_institution"]
    inlines = [AuthenticatorInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("name", "nationality", "home_institution", "home_country", "language")}),
        (_("Permissions"), {"fields": ("is_active", *GRANTS)}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "name", "password1", "password2")}),)
    # Without a password: the secretariat never knows or sets one.
    staff_add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "name")}),)
    staff_fieldsets = (
        (None, {"fields": ("email",)}),
        (_("Profile"), {"fields": ("name", "nationality", "home_institution", "home_country", "language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return self.staff_add_fieldsets if obj is None else self.staff_fieldsets

    def get_form(self, request: HttpRequest, obj: Any | None = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None and not request.user.is_superuser:
            kwargs["form"] = UserCreationForm
            return admin.ModelAdmin.get_form(self, request, obj, change=change, **kwargs)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if request.user.is_superuser:
            return ()
        # The address is where reset links go: changing it would hand the account to whoever asks.
        fixed = ("email",) if obj is not None else ()
        return (*fixed, *GRANTS, "last_login", "date_joined")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not super().has_change_permission(request, obj):
            return False
        return not (obj is not None and _is_staff_account(obj) and not request.user.is_superuser)

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id) if object_id else None
        if obj is not None and _is_staff_account(obj) and not request.user.is_superuser:
            if request.method == "POST":
                return self._refuse(request, obj, _STAFF_ONLY)
            messages.info(request, _STAFF_ONLY)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        if not request.user.is_superuser:
            obj = self.get_object(request, id)
            return self._refuse(
                request,
                obj,
                gettext(
                    "Nobody sets another person's password. Send them a password reset link "
                    "(the account recovery action on the list of people) so that they choose it themselves."
                ),
            )
        return super().user_change_password(request, id, form_url)

    def get_urls(self) -> list[Any]:
        recovery = path(
            "<int:pk>/recovery/", self.admin_site.admin_view(self.recovery_view), name="accounts_user_recovery"
        )
        return [recovery, *super().get_urls()]

    def recovery_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Account recovery: an audited reason, a reset link to the person's own address."""
        person = get_object_or_404(User, pk=pk)
        if not self.has_change_permission(request, person):
            return self._refuse(request, person, _STAFF_ONLY)
        form = RecoveryForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.start_recovery(
                    actor=request.user,
                    person=person,
                    reason=form.cleaned_data["reason"],
                    second_factor_lost=form.cleaned_data["second_factor_lost"],
                    request=request,
                )
            except Refusal as refusal:
                form.add_error(refusal.field if refusal.field in form.fields else None, refusal.message)
            else:
                self.message_user(
                    request,
                    gettext("A password reset link was sent to %(email)s. The person completes the recovery.")
                    % {"email": person.email},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[person.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "person": person,
            "form": form,
            "title": gettext("Account recovery"),
        }
        return TemplateResponse(request, "admin/accounts/user/recovery.html", context)

    def _refuse(self, request: HttpRequest, obj: Any, message: Any) -> HttpResponse:
        self.message_user(request, message, messages.ERROR)
        if obj is None:
            return HttpResponseRedirect(reverse("admin:accounts_user_changelist"))
        return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[obj.pk]))


_STAFF_ONLY = _(
    "Only a superuser can change a staff account, and only a superuser grants staff status, "
    "permissions or groups. This page is read-only for you."
)


def _is_staff_account(user: Any) -> bool:
    return bool(user.is_staff or user.is_superuser)
