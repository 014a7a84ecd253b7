"""The notifications bus: kinds, rendering in the recipient's language, the in-app list, idempotent
notify, the email task's claim, retries with backoff, final failure, and the sweeper."""

from __future__ import annotations

import re
import smtplib
import threading
from datetime import timedelta
from typing import Any, ClassVar

import pytest
from celery.signals import task_retry
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test import Client
from django.utils import formats, timezone

from cernai.core import notifications
from cernai.core.models import Notification, TaskFailure
from cernai.core.notifications import notify, register_kind
from cernai.core.tasks import EMAIL_MAX_RETRIES, send_notification_email, sweep_notifications
from tests import factories


@pytest.fixture
def french(db: Any) -> Any:
    return factories.UserFactory(email="francoise@example.org", name="Françoise Fournier", language="fr")


@pytest.fixture
def english(db: Any) -> Any:
    return factories.UserFactory(email="oliver@example.org", name="Oliver O'Brien & Sons", language="en")


def welcome(recipients: list[Any], key: str = "welcome-1", **kwargs: Any) -> None:
    notify(kind="core.welcome", recipients=recipients, dedupe_key=key, **kwargs)


# --- kinds and rendering --------------------------------------------------------------------------
def test_an_unregistered_kind_is_refused(english: Any) -> None:
    with pytest.raises(ValueError, match=r"unknown notification kind 'core\.nope'"):
        notify(kind="core.nope", recipients=[english], dedupe_key="x")
    assert not Notification.objects.exists()


def test_registered_kinds_are_listed_once() -> None:
    kind = register_kind("core.test", "A test message sent by staff from the status page.")
    assert notifications.KINDS["core.test"] is kind
    assert {"core.welcome", "core.test"} <= set(notifications.KINDS)


def test_each_recipient_gets_the_event_in_their_own_language(
    english: Any, french: Any, mailoutbox: list, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        welcome([english, french], url="/dashboard/")
    en = Notification.objects.get(recipient=english)
    fr = Notification.objects.get(recipient=french)
    assert en.subject == "Your cernai account is ready"
    assert fr.subject == "Votre compte cernai est prêt"
    assert "your cernai account is ready" in en.body_text
    assert "votre compte cernai est prêt" in fr.body_text
    assert "Open in cernai" in en.body_html
    assert '<html lang="fr">' in fr.body_html and '<html lang="en">' in en.body_html
    sent = {m.to[0]: m for m in mailoutbox}
    assert sent[french.email].subject == "Votre compte cernai est prêt"
    assert sent[english.email].alternatives[0][1] == "text/html"


def test_plain_text_parts_are_not_html_escaped_but_the_html_part_is(english: Any) -> None:
    welcome([english])
    notification = Notification.objects.get(recipient=english)
    assert "Hello Oliver O'Brien & Sons," in notification.body_text
    assert "&amp;" not in notification.body_text and "&#x27;" not in notification.body_text
    assert "O&#x27;Brien &amp; Sons" in notification.body_html


# --- idempotency and the email task -----------------------------------------------------------------
def test_the_same_event_twice_is_stored_and_emailed_once(
    english: Any, mailoutbox: list, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        welcome([english, english])
    with django_capture_on_commit_callbacks(execute=True):
        welcome([english])
    assert Notification.objects.filter(recipient=english).count() == 1
    assert len(mailoutbox) == 1
    assert Notification.objects.get(recipient=english).email_status == Notification.EmailStatus.SENT


def test_no_email_is_sent_before_the_transaction_commits(english: Any, mailoutbox: list) -> None:
    welcome([english])
    assert mailoutbox == []
    assert Notification.objects.get(recipient=english).email_status == Notification.EmailStatus.PENDING


def test_a_kind_without_email_is_only_shown_in_the_app(
    english: Any, mailoutbox: list, django_capture_on_commit_callbacks: Any
) -> None:
    original = notifications.KINDS["core.test"]
    register_kind("core.test", original.description, email=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            notify(kind="core.test", recipients=[english], dedupe_key="k")
    finally:
        notifications.KINDS["core.test"] = original
    assert Notification.objects.get(recipient=english).email_status == Notification.EmailStatus.NONE
    assert mailoutbox == []


def test_running_the_email_task_twice_sends_once(english: Any, mailoutbox: list) -> None:
    welcome([english])
    notification = Notification.objects.get()
    assert send_notification_email.apply(args=[notification.pk]).get() == "sent"
    assert send_notification_email.apply(args=[notification.pk]).get() == "not due"
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.email_attempts == 1 and notification.email_sent_at is not None


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_of_the_email_task_send_once(mailoutbox: list) -> None:
    user = factories.UserFactory(email="concurrent@example.org", language="en")
    # A committed, pending row (notify would already have sent it on commit: tasks are eager here).
    notification_id = Notification.objects.create(
        recipient=user, kind="core.welcome", dedupe_key="k", subject="Hello", body_text="Hello"
    ).pk
    runs = 8
    barrier = threading.Barrier(runs)
    results: list[str] = []

    def run() -> None:
        try:
            barrier.wait()
            # The eager result's value, read without .get(): Celery refuses .get() where it thinks
            # it runs inside a task, and a thread of this process may look like one.
            results.append(send_notification_email.apply(args=[notification_id]).result)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # What a recipient and the staff would see: one email, one claim, the row marked sent.
    assert len(mail.outbox) == 1
    notification = Notification.objects.get(pk=notification_id)
    assert notification.email_status == Notification.EmailStatus.SENT
    assert notification.email_attempts == 1
    assert sorted(results) == ["not due"] * (runs - 1) + ["sent"]


class FlakySMTP(BaseEmailBackend):
    """An SMTP server that refuses the first ``failures`` messages (set by the test)."""

    failures = 0
    attempts = 0
    delivered: ClassVar[list[Any]] = []

    def send_messages(self, messages: Any) -> int:
        type(self).attempts += 1
        if type(self).attempts <= type(self).failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        type(self).delivered.extend(messages)
        return len(messages)


@pytest.fixture
def flaky_smtp(settings: Any, monkeypatch: Any) -> type[FlakySMTP]:
    settings.EMAIL_BACKEND = f"{__name__}.FlakySMTP"
    # Eager retries re-apply the task in-process; let them run their course as a worker would.
    monkeypatch.setitem(send_notification_email.app.conf, "task_eager_propagates", False)
    FlakySMTP.attempts, FlakySMTP.failures, FlakySMTP.delivered = 0, 0, []
    return FlakySMTP


@pytest.fixture
def retries() -> Any:
    seen: list[Any] = []

    def on_retry(request: Any = None, reason: Any = None, **kwargs: Any) -> None:
        seen.append(reason.when)

    task_retry.connect(on_retry, weak=False)
    yield seen
    task_retry.disconnect(on_retry)


def test_a_failing_smtp_server_is_retried_with_backoff_until_it_delivers(
    english: Any, flaky_smtp: type[FlakySMTP], retries: list
) -> None:
    flaky_smtp.failures = 3
    welcome([english])
    notification = Notification.objects.get()
    assert send_notification_email.apply(args=[notification.pk], throw=False).get() == "sent"
    assert retries == [30, 60, 120]
    assert len(flaky_smtp.delivered) == 1
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.SENT
    assert notification.email_attempts == 4
    assert notification.email_error == ""


def test_after_all_retries_the_failure_is_recorded_and_shown_to_staff(
    english: Any, flaky_smtp: type[FlakySMTP], retries: list, secretariat: Any, login: Any
) -> None:
    flaky_smtp.failures = 10**6
    welcome([english])
    notification = Notification.objects.get()
    result = send_notification_email.apply(args=[notification.pk], throw=False)
    assert result.failed()
    assert isinstance(result.result, smtplib.SMTPServerDisconnected)
    assert retries == [30, 60, 120, 240, 480]
    assert flaky_smtp.attempts == EMAIL_MAX_RETRIES + 1
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.FAILED
    assert "Connection unexpectedly closed" in notification.email_error
    failure = TaskFailure.objects.get()
    assert failure.task_name == "core.send_notification_email" and failure.args == [notification.pk]

    page = login(secretariat).get("/status/").text
    assert "0 waiting to be sent, 1 failed for good." in page
    assert "core.send_notification_email" in page and "Connection unexpectedly closed" in page
    # The sweeper does not retry what failed for good.
    assert sweep_notifications.apply().get() == 0


# --- the sweeper ------------------------------------------------------------------------------
def _age(notification_ids: list[int], seconds: int) -> None:
    Notification.objects.filter(pk__in=notification_ids).update(created_at=timezone.now() - timedelta(seconds=seconds))


def test_the_sweeper_re_drives_pending_emails_whose_message_was_lost(
    english: Any, french: Any, mailoutbox: list, django_capture_on_commit_callbacks: Any
) -> None:
    welcome([english, french])  # committed rows, but the enqueued messages never ran (lost)
    ids = list(Notification.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_notifications.apply().get() == 0  # too fresh: its own message may still come
    _age(ids, 60)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_notifications.apply().get() == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted([english.email, french.email])
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_notifications.apply().get() == 0
    assert len(mailoutbox) == 2


def test_the_sweeper_re_drives_a_claim_abandoned_by_a_dead_worker(
    english: Any, mailoutbox: list, django_capture_on_commit_callbacks: Any
) -> None:
    welcome([english])
    notification = Notification.objects.get()
    Notification.objects.filter(pk=notification.pk).update(
        email_status=Notification.EmailStatus.SENDING, email_claimed_at=timezone.now() - timedelta(minutes=1)
    )
    _age([notification.pk], 3600)
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_notifications.apply().get() == 0  # a live worker may still be sending it
    Notification.objects.filter(pk=notification.pk).update(email_claimed_at=timezone.now() - timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_notifications.apply().get() == 1
    assert len(mailoutbox) == 1
    notification.refresh_from_db()
    assert notification.email_status == Notification.EmailStatus.SENT


# --- the in-app list ----------------------------------------------------------------------------
def unread_badge(html: str) -> int | None:
    found = re.search(r'class="badge">(\d+)<span class="visually-hidden"> unread', html)
    return int(found.group(1)) if found else None


def test_the_list_shows_my_notifications_with_the_unread_count(english: Any, french: Any, login: Any) -> None:
    for i in range(3):
        welcome([english], key=f"welcome-{i}", url="/profile/")
    welcome([french], key="welcome-fr")
    client = login(english)
    page = client.get("/notifications/").text
    assert page.count("Your cernai account is ready") == 3
    assert "Votre compte" not in page
    assert unread_badge(page) == 3
    first = Notification.objects.filter(recipient=english).first()
    shown = timezone.localtime(first.created_at)
    assert f'<time datetime="{shown.isoformat()}">{formats.date_format(shown, "DATETIME_FORMAT")}</time>' in page
    assert page.count('name="follow" value="1">Open</button>') == 3  # each has a link to open
    assert page.count(f'action="/notifications/{first.pk}/read/"') == 1

    response = client.post(f"/notifications/{first.pk}/read/")
    assert response.status_code == 302 and response["Location"] == "/notifications/"
    assert unread_badge(client.get("/dashboard/").text) == 2
    response = client.post(f"/notifications/{first.pk}/read/", {"follow": "1"})
    assert response["Location"] == "/profile/"

    response = client.post("/notifications/read-all/", follow=True)
    assert "All notifications marked as read." in response.text
    assert unread_badge(response.text) is None
    assert Notification.objects.filter(recipient=french, read_at__isnull=True).count() == 1


def test_nobody_can_mark_someone_elses_notification(english: Any, french: Any, login: Any) -> None:
    welcome([french], key="welcome-fr")
    theirs = Notification.objects.get(recipient=french)
    client = login(english)
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
    assert client.get(f"/notifications/{theirs.pk}/read/").status_code == 405
    assert Client().post(f"/notifications/{theirs.pk}/read/").status_code == 302
    theirs.refresh_from_db()
    assert theirs.read_at is None
