"""Public pages: open calls, a call, the circulation report, and the referee's private upload link."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from cernai.core import charts

from ..forms import LetterForm
from ..models import Call
from ..selectors import circulation as circulation_data
from ..selectors import open_calls
from ..services import upload_reference_letter
from ..services.applications import MAX_LETTER_UPLOADS, referee_by_token


def call_list(request: HttpRequest) -> HttpResponse:
    return render(request, "fellowships/call_list.html", {"calls": open_calls()})


def call_detail(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(
        Call.objects.select_related("programme").prefetch_related("host_sites", "criteria"), slug=slug
    )
    now = timezone.now()
    if call.opens_at > now and not request.user.is_staff:
        raise Http404(_("No such call."))
    mine = None
    if request.user.is_authenticated:
        mine = call.applications.filter(applicant=request.user).first()
    return render(request, "fellowships/call_detail.html", {"call": call, "is_open": call.is_open(now), "mine": mine})


def circulation(request: HttpRequest) -> HttpResponse:
    data = circulation_data()
    hosts = sorted({h for _s, h, _n in data.flows})
    homes = sorted({s for s, _h, _n in data.flows})
    palette = ["#0b4f8a", "#d97706", "#1f6f3a", "#9f1d20", "#6b21a8", "#0e7490", "#854d0e"]
    table = [[sum(n for s, h, n in data.flows if s == home and h == host) for host in hosts] for home in homes]
    chart = charts.bar_chart(
        homes,
        [
            charts.dataset(host, [row[i] for row in table], backgroundColor=palette[i % len(palette)])
            for i, host in enumerate(hosts)
        ],
        stacked=True,
        integers=True,
        value_title=_("Fellows"),
    )
    crosstab = {"hosts": hosts, "rows": [(home, row, sum(row)) for home, row in zip(homes, table, strict=True)]}
    return render(request, "fellowships/circulation.html", {"data": data, "chart": chart, "crosstab": crosstab})


def referee_upload(request: HttpRequest, token: str) -> HttpResponse:
    """No account: the token in the link is the permission. 404 for an unknown token."""
    referee = referee_by_token(token)
    if referee is None:
        raise Http404(_("This link is not valid."))
    expired = referee.expires_at <= timezone.now()
    form = LetterForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and not expired and form.is_valid():
        try:
            upload_reference_letter(token=token, upload=form.cleaned_data["letter"])
        except ValidationError as exc:
            form.add_error("letter", exc)
        else:
            messages.success(request, _("Thank you: your letter was received."))
            return redirect("fellowships:referee_upload", token=token)
        referee.refresh_from_db()
    application = referee.application
    return render(
        request,
        "fellowships/referee_upload.html",
        {
            "referee": referee,
            "application": application,
            "form": form,
            "expired": expired,
            "uploads_left": max(0, MAX_LETTER_UPLOADS - referee.letter_uploads),
        },
    )
