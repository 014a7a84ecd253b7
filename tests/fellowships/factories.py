"""Factories for fellowships records."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fellowships import scoring
from fellowships.models import Application, Call, Criterion, HostSite, Programme
from governance.models import MemberState
from tests.factories import UserFactory


def make_pdf(metadata: dict[str, str] | None = None, xmp: bytes | None = None) -> bytes:
    """A real one-page PDF, with document information and XMP metadata when given."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.metadata = None
    if metadata:
        writer.add_metadata(metadata)
    if xmp:
        writer.xmp_metadata = xmp  # type: ignore[assignment]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = make_pdf()


def pdf(name: str = "cv.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def member_states() -> None:
    for iso2, name, status in [
        ("FR", "France", "member"),
        ("PT", "Portugal", "member"),
        ("IT", "Italy", "member"),
        ("DE", "Germany", "member"),
        ("CH", "Switzerland", "member"),
        ("UA", "Ukraine", "associate"),
        ("US", "United States", "observer"),
    ]:
        MemberState.objects.get_or_create(iso2=iso2, defaults={"name": name, "status": status})


class HostSiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HostSite
        django_get_or_create = ("name",)

    name = "cernai flagship campus"
    kind = HostSite.Kind.FLAGSHIP
    country = "CH"
    city = "Geneva"


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme
        django_get_or_create = ("name",)

    name = "Exchange programme"
    kind = Programme.Kind.EXCHANGE


class CallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Call
        skip_postgeneration_save = True

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Exchange call {n}")
    slug = factory.Sequence(lambda n: f"exchange-{n}")
    timezone = "Europe/Brussels"
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    deadline = factory.LazyFunction(lambda: timezone.now() + timedelta(days=20))
    places = 2
    max_duration_months = 24

    @factory.post_generation
    def sites(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        self.host_sites.add(*(extracted or [HostSiteFactory()]))

    @factory.post_generation
    def criteria(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        for i, (name, weight) in enumerate(extracted or scoring.DEFAULT_CRITERIA):
            Criterion.objects.create(call=self, name=name, weight=weight, order=i)


def filled_application(call: Call, applicant: Any = None, **fields: Any) -> Application:
    """A complete draft (ready to submit) written straight to the database."""
    applicant = applicant or UserFactory(nationality="PT", home_country="PT")
    start = timezone.localdate() + timedelta(days=200)
    values = {
        "nationality": str(applicant.nationality or "PT"),
        "home_institution": applicant.home_institution or "Universidade de Lisboa",
        "home_country": str(applicant.home_country or "PT"),
        "host_site": call.host_sites.first(),
        "proposed_start": start,
        "proposed_end": start + timedelta(days=180),
        "title": "Robust multilingual models",
        "research_plan": "Six months of work on evaluation.",
        "highest_degree": "phd",
        # Five years before today: a fixed date would age out of the postdoc window (8 years) and
        # make every application ineligible from some future day on.
        "phd_date": date(timezone.localdate().year - 5, 6, 1),
    }
    values.update(fields)
    application = Application.objects.create(call=call, applicant=applicant, **values)
    from cernai.core.files import store_upload

    application.cv = store_upload(upload=pdf(), owner=applicant, purpose="fellowships.cv")
    application.save()
    return application


def scored(application: Application, *reviews: tuple[str, str, str]) -> Application:
    """Give an application completed reviews (Excellence, Impact, Implementation each), written to the
    database as the setup of a decision test (reviewing itself is tested through the review form)."""
    from decimal import Decimal

    from fellowships.models import Review, ReviewAssignment
    from fellowships.selectors import criteria_of

    criteria = criteria_of(application.call)
    for values in reviews:
        reviewer = UserFactory(groups=["Reviewers"], home_institution="Elsewhere University")
        assignment = ReviewAssignment.objects.create(application=application, reviewer=reviewer)
        scores = {c.key: Decimal(v) for c, v in zip(criteria, values, strict=True)}
        Review.objects.create(
            assignment=assignment,
            application=application,
            revision=application.revision,
            scores={k: str(v) for k, v in scores.items()},
            total_percent=scoring.total_percent(criteria, scores),
        )
    return application


FUNDABLE = ("4.5", "3.0", "3.5")  # 77 % (rules.md §2's example)
BELOW = ("3.0", "3.0", "4.0")  # 64 %


def submitted_application(call: Call, applicant: Any = None, **fields: Any) -> Application:
    """A complete application, submitted by its applicant through the service (setup for staff tests)."""
    from fellowships import services

    application = filled_application(call, applicant, **fields)
    return services.submit_application(application=application, actor=application.applicant)


def engaged_reviewer(user: Any) -> Any:
    """Put ``user`` in the fellowships reviewer pool the way the institution's records do: a review
    assignment on an earlier call's application (setup data; assigning itself is tested through the
    admin and the staff pages)."""
    from fellowships.models import ReviewAssignment

    earlier = filled_application(CallFactory(), UserFactory(home_institution="Elsewhere University"))
    ReviewAssignment.objects.create(application=earlier, reviewer=user)
    return user
