"""Demo data for fellowships, loaded by `manage.py seed_demo` (idempotent).

Host sites (the flagship campus and three national nodes), the five programmes, an open exchange call
and an open (blind) junior fellowship call, a past exchange call with completed placements for the
circulation page, the applicant's draft, a second applicant's submitted application with a referee,
and assignments for the reviewer persona.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cernai.core.demo import demo_user

from . import services
from .models import Application, Call, Criterion, HostSite, Placement, Programme
from .scoring import DEFAULT_CRITERIA

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BRUSSELS = ZoneInfo("Europe/Brussels")


def _sites() -> list[HostSite]:
    rows = [
        ("cernai flagship campus", HostSite.Kind.FLAGSHIP, "CH", "Geneva"),
        ("cernai node Paris-Saclay", HostSite.Kind.NODE, "FR", "Saclay"),
        ("cernai node Munich", HostSite.Kind.NODE, "DE", "Munich"),
        ("cernai node Milan", HostSite.Kind.NODE, "IT", "Milan"),
    ]
    return [
        HostSite.objects.update_or_create(name=n, defaults={"kind": k, "country": c, "city": city})[0]
        for n, k, c, city in rows
    ]


def _programmes() -> dict[str, Programme]:
    names = {
        Programme.Kind.JUNIOR: "Junior fellowships",
        Programme.Kind.SENIOR: "Senior fellowships",
        Programme.Kind.EXCHANGE: "Exchanges",
        Programme.Kind.SABBATICAL: "Sabbaticals",
        Programme.Kind.RESIDENCY: "Technical residencies",
    }
    return {
        kind: Programme.objects.get_or_create(name=name, defaults={"kind": kind})[0] for kind, name in names.items()
    }


def _call(slug: str, sites: list[HostSite], **fields: Any) -> Call:
    call, created = Call.objects.get_or_create(slug=slug, defaults=fields)
    if created:
        call.host_sites.set(sites)
        Criterion.objects.bulk_create(
            [Criterion(call=call, name=n, weight=w, order=i) for i, (n, w) in enumerate(DEFAULT_CRITERIA)]
        )
    return call


def _deadline(days: int) -> datetime:
    day = timezone.localdate() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, 17, 0, tzinfo=BRUSSELS)


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def seed(personas: dict[str, Any]) -> list[tuple[str, str]]:
    """Create this app's demo records; return extra (label, value) lines to print."""
    sites = _sites()
    programmes = _programmes()
    now = timezone.now()
    exchange = _call(
        "exchange-2027",
        sites,
        programme=programmes[Programme.Kind.EXCHANGE],
        title="AI research exchanges 2027",
        description="Three to twelve months at the flagship campus or a national node.",
        opens_at=now - timedelta(days=14),
        deadline=_deadline(45),
        places=6,
        other_nationals_quota=1,
        min_duration_months=3,
        max_duration_months=12,
    )
    junior = _call(
        "junior-fellowships-2027",
        sites[:2],
        programme=programmes[Programme.Kind.JUNIOR],
        title="Junior fellowships 2027",
        description="Two-year fellowships for engineers and scientists at the start of their career.",
        opens_at=now - timedelta(days=7),
        deadline=_deadline(60),
        places=4,
        min_duration_months=12,
        max_duration_months=24,
        career_stage=Call.CareerStage.JUNIOR,
        blind=True,
    )
    past = _call(
        "exchange-2024",
        sites,
        programme=programmes[Programme.Kind.EXCHANGE],
        title="AI research exchanges 2024",
        opens_at=datetime(2024, 1, 10, 9, 0, tzinfo=BRUSSELS),
        deadline=datetime(2024, 3, 1, 17, 0, tzinfo=BRUSSELS),
        places=6,
    )

    applicant, applicant2, reviewer, reviewer2 = (
        personas["applicant"], personas["applicant2"], personas["reviewer"], personas["reviewer2"],
    )  # fmt: skip
    # The applicant persona has a draft in the junior call (to resume in the browser).
    draft = services.start_application(call=junior, applicant=applicant)
    if draft.status == Application.Status.DRAFT and not draft.title:
        services.save_draft(
            application=draft,
            actor=applicant,
            fields={"title": "Efficient retrieval for multilingual archives", "host_site": sites[1], "step": 2},
        )
    # applicant2 has submitted to the exchange call, with a referee; the reviewers have it in their queue.
    submitted = services.start_application(call=exchange, applicant=applicant2)
    if submitted.status == Application.Status.DRAFT:
        start = timezone.localdate() + timedelta(days=150)
        services.save_draft(
            application=submitted,
            actor=applicant2,
            fields={
                "host_site": sites[0],
                "proposed_start": start,
                "proposed_end": start + timedelta(days=183),
                "title": "Safety evaluation of code models",
                "research_plan": "Six months with the evaluation team on the flagship campus.",
                "highest_degree": "phd",
                "phd_date": date(2021, 9, 30),
            },
            stays=[("CH", date(2025, 6, 1), date(2025, 9, 1))],
        )
        services.attach_document(application=submitted, actor=applicant2, upload=_pdf("cv-bo.pdf"), kind="cv")
        services.invite_referee(
            application=submitted, actor=applicant2, name="Prof. Erik Lind", email="lind@kth.example"
        )
        submitted = services.submit_application(application=submitted, actor=applicant2)
    services.assign_reviewers(applications=[submitted], reviewers=[reviewer, reviewer2], actor=personas["secretariat"])
    # The same reviewer also sees a blind application: a junior applicant who submitted already.
    junior_fellow = demo_user(
        "junior.fellow@cernai.example", "Jana Junior", nationality="CZ", home_country="CZ",
        home_institution="Czech Technical University",
    )  # fmt: skip
    blind = services.start_application(call=junior, applicant=junior_fellow)
    if blind.status == Application.Status.DRAFT:
        start = timezone.localdate() + timedelta(days=200)
        services.save_draft(
            application=blind,
            actor=junior_fellow,
            fields={
                "host_site": sites[0],
                "proposed_start": start,
                "proposed_end": start + timedelta(days=730),
                "title": "Compilers for sparse accelerators",
                "research_plan": "Two years on the compiler team.",
                "highest_degree": "master",
                "masters_date": date(2024, 6, 30),
                "experience_years": "1.5",
            },
        )
        services.attach_document(application=blind, actor=junior_fellow, upload=_pdf("cv-jana.pdf"), kind="cv")
        blind = services.submit_application(application=blind, actor=junior_fellow)
    services.assign_reviewers(applications=[blind], reviewers=[reviewer], actor=personas["secretariat"])
    _past_placements(past, sites)
    return [("fellowships", f"open calls: {exchange.title}, {junior.title}")]


def _past_placements(call: Call, sites: list[HostSite]) -> None:
    """Completed placements of 2024 for the circulation page (home state → host site, returns)."""
    fellows = [
        ("PT", "Portuguese", sites[0], "PT"),
        ("PT", "Lisbon", sites[1], "PT"),
        ("ES", "Spanish", sites[0], "ES"),
        ("IT", "Italian", sites[2], "IT"),
        ("PL", "Polish", sites[0], ""),
        ("GR", "Greek", sites[3], "US"),
        ("FR", "French", sites[2], "FR"),
    ]
    for i, (iso2, label, site, back) in enumerate(fellows):
        user = demo_user(
            f"fellow{i}@cernai.example", f"{label} Fellow", nationality=iso2, home_country=iso2,
            home_institution=f"{label} University",
        )  # fmt: skip
        start = date(2024, 9, 1)
        end = date(2025, 3, 1)
        application, _created = Application.objects.get_or_create(
            call=call,
            applicant=user,
            defaults={
                "status": Application.Status.ACCEPTED,
                "nationality": iso2,
                "home_country": iso2,
                "home_institution": user.home_institution,
                "host_site": site,
                "proposed_start": start,
                "proposed_end": end,
                "title": f"Exchange {i}",
                "submitted_at": call.deadline - timedelta(days=2),
                "eligible": True,
                "decided_at": call.deadline + timedelta(days=40),
            },
        )
        Placement.objects.get_or_create(
            application=application,
            defaults={
                "host_site": site,
                "start": start,
                "end": end,
                "status": Placement.Status.COMPLETED,
                "report_due": services.placements.report_due_for(end),
                "report_text": "" if i == 4 else "Back home with a new evaluation suite.",
                "report_submitted_at": None if i == 4 else timezone.now(),
                "returned_country": back,
                "returned_on": end + timedelta(days=30) if back else None,
            },
        )
