"""T18: Redis (cache and broker) down: sign-in with a second factor, voting, applying and the API keep
working, because sessions and security counters do not live only in Redis; the work that could not
be queued is re-driven once Redis is back, and sent once.

The shared Redis is never stopped (other test runs use it): this run's cache and Celery broker are
pointed at a port where nothing listens, which is what a client sees of a dead Redis. The
broker-and-worker half of recovery with a real worker is T11 (tests/fellowships/test_outage.py).
"""

from __future__ import annotations

import copy
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from cernai.celery import app
from cernai.core.demo import current_totp_code, demo_totp_secret
from cernai.core.models import Notification
from cernai.core.tasks import sweep_notifications
from compute import services as compute_services
from fellowships.models import Application
from tests.compute.factories import make_site
from tests.fellowships import factories as fellowship_factories

DEAD_PORT = 6390
DEAD = f"redis://127.0.0.1:{DEAD_PORT}/0"


def reset_broker_pools() -> None:
    from kombu import pools

    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


@pytest.fixture
def redis_down(settings: Any) -> Iterator[None]:
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", DEAD_PORT)) != 0, "something listens on the 'dead' port"
    caches = copy.deepcopy(settings.CACHES)
    caches["redis"]["LOCATION"] = DEAD
    settings.CACHES = caches
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = DEAD, False
    reset_broker_pools()
    try:
        yield
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved
        reset_broker_pools()


def redis_back(settings: Any, original_caches: dict[str, Any]) -> None:
    settings.CACHES = original_caches
    app.conf.task_always_eager = True  # tasks now run in-process as soon as they are sent


@pytest.mark.django_db
def test_t18_with_redis_down_people_sign_in_vote_apply_and_use_the_api(
    settings: Any,
    make_ballot: Any,
    delegate_fr_sci: Any,
    call: Any,
    applicant: Any,
    form_login: Any,
    django_capture_on_commit_callbacks: Any,
    request: Any,
) -> None:
    original_caches = copy.deepcopy(settings.CACHES)
    ballot = make_ballot()
    application = fellowship_factories.filled_application(call, applicant)
    site = make_site("flagship", {"alps": "Europe/Zurich"})
    token = compute_services.create_site_token(site=site, label="t18")[1]
    request.getfixturevalue("redis_down")

    # Sign-in with password and second factor.
    delegate = Client()
    response = form_login(delegate, delegate_fr_sci.email)
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    code = current_totp_code(demo_totp_secret(delegate_fr_sci.email))
    assert delegate.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 302
    assert delegate.get("/dashboard/").status_code == 200
    # The used code is remembered in PostgreSQL: replaying it is refused even now.
    replay = Client()
    form_login(replay, delegate_fr_sci.email)
    assert replay.post("/accounts/2fa/authenticate/", {"code": code}).status_code == 200
    assert "_auth_user_id" not in replay.session

    # Voting.
    assert delegate.get(f"/governance/ballots/{ballot.pk}/").status_code == 200
    assert delegate.post(f"/governance/ballots/{ballot.pk}/confirm/", {"choice": "yes"}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        done = delegate.post(f"/governance/ballots/{ballot.pk}/vote/", {"choice": "yes", "confirmed": "1"})
    assert done.status_code == 200 and ballot.votes.get().receipt in done.text

    # Applying.
    fellow = Client()
    assert form_login(fellow, applicant.email).status_code == 302
    assert fellow.get(f"/fellowships/applications/{application.pk}/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        submitted = fellow.post(f"/fellowships/applications/{application.pk}/submit/", {"confirm": "on"})
    assert submitted.status_code == 302
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED

    # The machine-to-machine API.
    api = Client().get("/api/v1/compute/sites/flagship/limits/", HTTP_AUTHORIZATION=f"Token {token}")
    assert api.status_code == 200 and api.json()["site"] == "flagship"

    # Nothing could be queued: the emails wait in PostgreSQL.
    waiting = Notification.objects.filter(email_status=Notification.EmailStatus.PENDING)
    assert waiting.filter(recipient=applicant).exists()
    assert mail.outbox == []
    due = waiting.count()

    redis_back(settings, original_caches)
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
        for _ in range(2):  # beat runs the sweeper every minute; twice must not send twice
            with django_capture_on_commit_callbacks(execute=True):
                sweep_notifications.apply()
    assert len(mail.outbox) == due
    assert len({(m.to[0], m.subject) for m in mail.outbox}) == due
    assert not Notification.objects.filter(email_status=Notification.EmailStatus.PENDING).exists()
