"""Blind calls (rules.md §2): the plan served to reviewers carries no metadata naming the applicant;
reviewers get the documents they may see and the rubric; the applicant is told to anonymise."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.urls import reverse
from pypdf import PdfReader

from cernai.core.files import store_upload
from fellowships import services
from fellowships.models import ReviewAssignment
from tests.fellowships import factories

pytestmark = pytest.mark.django_db

XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:creator>Ana Applicant</dc:creator></rdf:Description>'
    b'</rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)
NAMED_PLAN = factories.make_pdf(
    {"/Author": "Ana Applicant", "/Creator": "Ana's laptop", "/Producer": "AnaWriter 1.0", "/Title": "Ana's plan"},
    xmp=XMP,
)


def assigned(call: Any, applicant: Any, reviewer: Any, secretariat: Any) -> tuple[Any, ReviewAssignment]:
    application = factories.filled_application(call, applicant)
    application.plan_file = store_upload(
        upload=factories.pdf("ana-applicant-plan.pdf", NAMED_PLAN), owner=applicant, purpose="fellowships.plan_file"
    )
    application.save()
    services.submit_application(application=application, actor=applicant)
    report = services.assign_reviewers(applications=[application], reviewers=[reviewer], actor=secretariat)
    return application, report.created[0]


def test_blind_reviewer_gets_the_plan_without_metadata_and_the_rubric(
    states: None, applicant: Any, reviewer: Any, secretariat: Any, login: Any
) -> None:
    call = factories.CallFactory(blind=True)
    application, assignment = assigned(call, applicant, reviewer, secretariat)
    client = login(reviewer)
    page = client.get(reverse("fellowships:review_form", args=[assignment.pk])).text
    assert "Research plan (PDF)" in page and "author and other metadata were removed" in page
    assert "CV (PDF)" not in page and "Reference letter" not in page
    for rubric in ("Excellence", "50 %", "Impact", "30 %", "Implementation", "20 %", "threshold is 70.0 %"):
        assert rubric in page, rubric

    served = client.get(reverse("fellowships:review_plan", args=[assignment.pk]))
    assert served.status_code == 200 and served["X-Content-Type-Options"] == "nosniff"
    body = served.content
    for identifying in (b"Ana", b"/Author", b"/Creator", b"/Producer", b"/Metadata", b"xmpmeta"):
        assert identifying not in body, identifying
    reader = PdfReader(io.BytesIO(body))
    assert len(reader.pages) == 1 and not reader.metadata and reader.xmp_metadata is None
    # The stored original is untouched (staff see what was uploaded).
    assert hashlib.sha256(NAMED_PLAN).hexdigest() == application.plan_file.sha256


def test_open_reviewer_gets_every_document_as_uploaded(
    call: Any, applicant: Any, reviewer: Any, secretariat: Any, login: Any
) -> None:
    _application, assignment = assigned(call, applicant, reviewer, secretariat)
    client = login(reviewer)
    page = client.get(reverse("fellowships:review_form", args=[assignment.pk])).text
    assert "CV (PDF)" in page and "How to score" in page
    assert client.get(reverse("fellowships:review_plan", args=[assignment.pk])).getvalue() == NAMED_PLAN


def test_applicant_is_told_to_anonymise_in_a_blind_call(states: None, applicant: Any, login: Any) -> None:
    call = factories.CallFactory(blind=True)
    application = factories.filled_application(call, applicant)
    client = login(applicant)
    for step in (2, 4):
        page = client.get(reverse("fellowships:application_step", args=[application.pk, step])).text
        assert "This call is reviewed blind" in page and "its content is yours to anonymise" in page
    open_call = factories.CallFactory()
    other = factories.filled_application(open_call, applicant)
    assert "reviewed blind" not in client.get(reverse("fellowships:application_step", args=[other.pk, 2])).text
