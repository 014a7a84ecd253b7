"""Site-wide pages: home, the per-role dashboard, notifications, profile, files, staff status."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.cache import cache, caches
from django.core.paginator import Paginator
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.http import require_POST

from cernai.accounts.forms import ProfileForm
from cernai.accounts.models import User

from . import files, registry
from .lists import link_for_each
from .models import Notification, PrivateFile, TaskFailure
from .tasks import BEAT_HEARTBEAT_KEY


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    panels = [
        {"template": panel.template, **panel.context(request.user)}
        for panel in registry.DASHBOARD_PANELS
        if panel.visible_to(request.user)
    ]
    recent = Notification.objects.filter(recipient=_user(request))[:5]
    return render(request, "core/dashboard.html", {"panels": panels, "recent_notifications": recent})


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(Notification.objects.filter(recipient=_user(request)), 25).get_page(request.GET.get("page"))
    read_url = link_for_each("core:notification_read")
    return render(
        request, "core/notifications.html", {"page": page, "rows": [_notification_row(n, read_url) for n in page]}
    )


def _notification_row(n: Notification, read_url: Callable[[int], str]) -> dict[str, Any]:
    """One notification of the list, its URL and dates worked out here: through template tags and
    filters each of the page's 25 cost ~0.3 ms, most of the page."""
    created = timezone.localtime(n.created_at)
    return {
        "subject": n.subject,
        "body": n.body_text,
        "unread": n.read_at is None,
        "url": n.url,
        "read_url": read_url(n.pk),
        "created_iso": created.isoformat(),
        "created": formats.date_format(created, "DATETIME_FORMAT"),
    }


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(Notification, pk=pk, recipient=_user(request))
    if notification.read_at is None:
        Notification.objects.filter(pk=pk).update(read_at=timezone.now())
    if notification.url and request.POST.get("follow"):
        return redirect(notification.url)
    return redirect("core:notifications")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    Notification.objects.filter(recipient=_user(request), read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, _("All notifications marked as read."))
    return redirect("core:notifications")


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile was saved."))
        return redirect("core:profile")
    return render(request, "core/profile.html", {"form": form})


@login_required
def file_download(request: HttpRequest, pk: Any) -> FileResponse:
    private_file = PrivateFile.objects.filter(pk=pk).first()
    # 404 rather than 403: whether a file exists is itself private.
    if private_file is None or not files.can_download(request.user, private_file):
        raise Http404(_("No such file."))
    response = FileResponse(
        files.open_file(private_file),
        as_attachment=True,
        filename=private_file.original_name,
        content_type=private_file.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _user(request: HttpRequest) -> User:
    """The signed-in person (views using it are behind login_required)."""
    assert isinstance(request.user, User)
    return request.user


def _check(name: str, probe: Any) -> dict[str, Any]:
    started = time.monotonic()
    try:
        detail = probe()
        ok = True
    except Exception as exc:  # the page exists to show failures, not to raise them
        detail, ok = repr(exc), False
    return {"name": name, "ok": ok, "detail": detail, "ms": round((time.monotonic() - started) * 1000, 1)}


def _postgres() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        return str(cursor.fetchone()[0]).split(" on ")[0]


def _redis() -> str:
    client = caches["redis"]._cache.get_client()  # type: ignore[attr-defined]
    client.ping()
    return f"Redis {client.info('server').get('redis_version', '?')}"


def _workers() -> str:
    from cernai.celery import app

    replies = app.control.ping(timeout=1.0)
    if not replies:
        raise RuntimeError(_("no worker answered within 1 s"))
    return ", ".join(sorted(name for reply in replies for name in reply))


def _beat() -> str:
    last = cache.get(BEAT_HEARTBEAT_KEY)
    if last is None:
        raise RuntimeError(_("no beat heartbeat has been recorded"))
    age = time.time() - float(last)
    if age > 120:
        raise RuntimeError(_("last heartbeat %(age)d s ago") % {"age": age})
    return _("last heartbeat %(age)d s ago") % {"age": age}


@staff_member_required
def status(request: HttpRequest) -> HttpResponse:
    checks = [
        _check("PostgreSQL", _postgres),
        _check("Redis", _redis),
        _check(_("Celery workers"), _workers),
        _check(_("Celery beat"), _beat),
    ]
    context = {
        "checks": checks,
        "email_backlog": Notification.objects.filter(
            email_status__in=[Notification.EmailStatus.PENDING, Notification.EmailStatus.SENDING]
        ).count(),
        "email_failed": Notification.objects.filter(email_status=Notification.EmailStatus.FAILED).count(),
        "failures": TaskFailure.objects.filter(resolved_at__isnull=True)[:20],
        "beat_schedule": sorted(settings.CELERY_BEAT_SCHEDULE),
    }
    return render(request, "core/status.html", context)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The styled 400 page; under /api/ a JSON body."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Bad request.")}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The styled 403 page; under /api/ a JSON body."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("You do not have permission to perform this action.")}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The styled 404 page; under /api/ a JSON body, as the API's clients and schema expect."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """The styled 500 page; under /api/ a JSON body."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("A server error occurred.")}, status=500)
    return defaults.server_error(request)
