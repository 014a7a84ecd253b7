"""Erasure and uploads as the applicant and the referee meet them: erasure removes the files on disk,
the referee letters and the person's data in the audit tables; replaced uploads are deleted; a referee
link takes a bounded number of uploads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.core.files.storage import default_storage
from django.urls import reverse

from cernai.core.files import STORAGE_DIR
from cernai.core.models import PrivateFile
from fellowships import services
from fellowships.models import Application, Referee
from tests.fellowships import factories

pytestmark = pytest.mark.django_db


def on_disk(private_file: PrivateFile) -> bool:
    return default_storage.exists(f"{STORAGE_DIR}/{private_file.stored_name}")


def test_a_replaced_cv_is_deleted(call: Any, applicant: Any, login: Any, commits: Any) -> None:
    application = factories.filled_application(call, applicant)
    first = application.cv
    assert on_disk(first)
    client = login(applicant)
    with commits(execute=True):
        client.post(reverse("fellowships:upload_documents", args=[application.pk]), {"doc-cv": factories.pdf("v2.pdf")})
    application.refresh_from_db()
    assert application.cv.original_name == "v2.pdf" and on_disk(application.cv)
    assert not PrivateFile.objects.filter(pk=first.pk).exists() and not on_disk(first)


def test_a_referee_link_takes_three_uploads_each_replacing_the_last(
    call: Any, applicant: Any, client: Any, commits: Any
) -> None:
    application = factories.filled_application(call, applicant)
    referee = services.invite_referee(application=application, actor=applicant, name="Prof. R", email="r@uni.example")
    url = reverse("fellowships:referee_upload", args=[services.referee_token(referee)])
    letters = []
    for n in range(3):
        with commits(execute=True):
            page = client.post(url, {"letter": factories.pdf(f"letter-{n}.pdf")}, follow=True)
        assert "Thank you: your letter was received." in page.text
        referee.refresh_from_db()
        letters.append(referee.letter)
    assert "This link takes no more uploads" in page.text
    refused = client.post(url, {"letter": factories.pdf("letter-3.pdf")})
    assert "This link takes no more uploads; the last letter received is kept." in refused.text
    referee.refresh_from_db()
    assert referee.letter == letters[-1] and on_disk(letters[-1])
    assert not any(on_disk(old) for old in letters[:2])
    assert PrivateFile.objects.filter(purpose="fellowships.letter").count() == 1


def test_erasure_removes_files_letters_and_the_audit_trails_personal_data(
    call: Any, applicant: Any, login: Any, commits: Any
) -> None:
    application = factories.filled_application(call, applicant, title="Ana's secret project")
    referee = services.invite_referee(
        application=application, actor=applicant, name="Prof. Rosa", email="rosa@uni.example"
    )
    services.upload_reference_letter(token=services.referee_token(referee), upload=factories.pdf("letter.pdf"))
    services.submit_application(application=application, actor=applicant)
    application.refresh_from_db()
    referee.refresh_from_db()
    files = [application.cv, referee.letter]
    client = login(applicant)
    client.post(reverse("fellowships:request_erasure"))
    erasure = apps.get_model("fellowships", "ErasureRequest").objects.get()
    from fellowships.tasks import sweep

    with time_machine.travel(erasure.due_at + timedelta(minutes=1)), commits(execute=True):
        sweep()
    application.refresh_from_db()
    assert application.erased_at is not None and application.title == "" and application.cv is None
    assert not Referee.objects.exists()
    assert not any(on_disk(f) for f in files)
    assert not PrivateFile.objects.filter(pk__in=[f.pk for f in files]).exists()
    # The audit trail keeps what happened, not who it was about.
    events = apps.get_model("fellowships", "ApplicationEvent").objects.filter(pgh_obj_id=application.pk)
    assert events.exists() and not events.exclude(title="").exists()
    assert not events.exclude(home_institution="").exists()
    referee_events = apps.get_model("fellowships", "RefereeEvent").objects.filter(application_id=application.pk)
    assert referee_events.exists() and not referee_events.exclude(email="").exists()
    assert not referee_events.exclude(name="").exists()
    # The trail is still append-only for everything else.
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic():
        events.update(title="rewritten")


def test_withdrawal_needs_a_confirmation_and_ends_the_review(
    submitted: Any, applicant: Any, reviewer: Any, secretariat: Any, login: Any
) -> None:
    services.assign_reviewers(applications=[submitted], reviewers=[reviewer], actor=secretariat)
    assert submitted.title in login(reviewer).get(reverse("fellowships:review_queue")).text
    client = login(applicant)
    url = reverse("fellowships:withdraw", args=[submitted.pk])
    page = client.post(url, follow=True)
    assert "Tick the box to confirm" in page.text and Application.objects.get().status == "submitted"
    page = client.post(url, {"confirm": "yes"}, follow=True)
    assert "Your application was withdrawn." in page.text
    assert Application.objects.get().status == "withdrawn"
    assert submitted.title not in login(reviewer).get(reverse("fellowships:review_queue")).text
    assert "Withdraw the application" not in page.text  # once is enough


def test_an_accepted_application_is_withdrawn_with_the_secretariat(
    submitted: Any, applicant: Any, secretariat: Any, login: Any
) -> None:
    factories.scored(submitted, factories.FUNDABLE, factories.FUNDABLE)
    services.decide(application=submitted, actor=secretariat, decision="accepted")
    page = login(applicant).post(reverse("fellowships:withdraw", args=[submitted.pk]), {"confirm": "yes"}, follow=True)
    assert "cannot be withdrawn here; write to the secretariat" in page.text
    assert Application.objects.get().status == "accepted"


def test_step_names_are_translated_on_french_pages(call: Any, applicant: Any, login: Any) -> None:
    application = factories.filled_application(call, applicant)
    applicant.language = "fr"  # her profile says French: the portal is read in French once signed in
    applicant.save(update_fields=["language"])
    client = login(applicant)
    page = client.get(reverse("fellowships:application_step", args=[application.pk, 5])).text
    for name in ("Détails", "Projet", "Carrière et séjours", "Documents et référents", "Vérifier et soumettre"):
        assert name in page, name
    client.post(reverse("set_language"), {"language": "en"})  # the header's language switch
    assert "Career and stays" in client.get(reverse("fellowships:application_step", args=[application.pk, 5])).text


def test_circulation_counts_associate_states_apart(states: None, secretariat: Any, client: Any) -> None:
    from fellowships.models import Placement
    from tests.factories import UserFactory

    call = factories.CallFactory(places=3)
    people = [
        UserFactory(nationality="PT", home_country="PT"),
        UserFactory(nationality="UA", home_country="UA"),
        UserFactory(nationality="FR", home_country="FR"),
    ]
    apps_ = [
        factories.scored(factories.submitted_application(call, p), factories.FUNDABLE, factories.FUNDABLE)
        for p in people
    ]
    services.decide_in_bulk(decisions={a.pk: "accepted" for a in apps_}, actor=secretariat)
    Placement.objects.update(status=Placement.Status.COMPLETED)
    placements = list(Placement.objects.order_by("application_id"))
    end = placements[0].end
    Placement.objects.filter(pk=placements[0].pk).update(returned_country="PT", returned_on=end + timedelta(days=30))
    Placement.objects.filter(pk=placements[1].pk).update(returned_country="UA", returned_on=end + timedelta(days=30))
    page = client.get(reverse("fellowships:circulation")).text
    assert "Ukraine (associate member state)" in page
    assert "33.3 % (1 of 3 completed placements)" in page  # the return to Ukraine is not a member state's
    assert "Returned to an associate member state within 12 months:</strong> 1" in page
