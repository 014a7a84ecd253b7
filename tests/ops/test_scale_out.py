"""T20: the documented process layout on one machine — two gunicorn instances, two Celery workers and
one beat — under load while an operator restarts each process in turn.

The load is what people and sites do: applicants sign in through the allauth form and submit their
applications (each enqueues a confirmation email), and a site posts sacct batches with its token
(each enqueues the accounting of its charges). A tiny round-robin balancer in the test plays the TLS
proxy: it alternates between the two web processes and, like nginx' ``proxy_next_upstream error``,
sends a request whose connection was *refused* to the other one (the request never reached a
server, so a retry is always safe). Anything else — a reset after the request was sent, a 5xx, an
unexpected status — is a failure the client could not safely retry, and there must be none.

The restarts are what an operator does in a rolling deploy: ``SIGHUP`` each gunicorn (new workers,
old ones finish their request), then take each web process out of the balancer, ``SIGTERM`` it
(in-flight requests finish), start it again and put it back; ``SIGTERM`` each Celery worker (warm
shutdown) while it has tasks in hand and more are queued, and start it again; the same for beat.
Afterwards every confirmation email was sent exactly once (stored outcome and the mail files the
workers wrote) by the message its submission enqueued (no sweeper had to repair a loss), and every
batch's charges are in the ledger exactly once.

Run alone: ``make test-scale-out`` (see the README, "Process layout").
"""

from __future__ import annotations

import ast
import contextlib
import itertools
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_string
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
from django.conf import settings
from django.db import connection
from django.db.models import Sum

from cernai.celery import app
from cernai.core.models import Notification
from compute import services as compute_services
from compute.models import Allocation, MonthlyUsage, UsageBatch
from fellowships.models import Application
from tests.celery_worker import ROOT, database_url_of_this_run, start_worker
from tests.compute import factories as compute_factories
from tests.factories import PASSWORD, UserFactory
from tests.fellowships.factories import filled_application

# The rehearsal takes about a minute on a quiet machine; the timeout only keeps a hung process from blocking the suite.
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True), pytest.mark.timeout(300)]

# The operator's steps: reload web a and b, restart web a and b, restart worker 1 and 2, restart beat.
STEPS = ("hup a", "hup b", "term a", "term b", "term w1", "term w2", "term beat")
APPLICANTS = 2 * len(STEPS)
BATCHES = 2 * len(STEPS)
JOBS_PER_BATCH = 3
GPU_SECONDS_PER_JOB = 4 * 9000  # the sacct factory's job: 4 GPUs for 9000 s
BIN = Path(sys.executable).parent


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def process_env(mail_dir: Path) -> dict[str, str]:
    """What every process of the layout shares: this run's test database, queue, cache and media,
    a real broker (not eager), and mail written to files the test can count."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cernai.settings.test",
        "TEST_RUN_ID": os.environ.get("TEST_RUN_ID", ""),
        "DATABASE_URL": database_url_of_this_run(),
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_URL": f"file://{mail_dir}",
        # JSON lines at INFO: each task's outcome with the request id of the request that enqueued it.
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
    }


def children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


@dataclass
class Web:
    """One gunicorn instance (master and its workers) on its own port."""

    name: str
    env: dict[str, str]
    log: Path
    workers: int = 2
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        command = [
            str(BIN / "gunicorn"),
            "cernai.wsgi:application",
            f"--bind=127.0.0.1:{self.port}",
            f"--workers={self.workers}",
            "--graceful-timeout=30",
            "--timeout=60",
            f"--name=t20-{self.name}",
            # Each instance its own control socket (the default path is shared by every gunicorn).
            f"--control-socket={self.log.with_suffix('.ctl')}",
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
            )

    def wait_ready(self) -> None:
        def answers() -> bool:
            assert self.process and self.process.poll() is None, f"{self.name} died: see {self.log}"
            try:
                return requests.get(f"{self.url}/healthz", timeout=5).status_code == 200
            except requests.RequestException:  # not listening yet, or its workers still booting
                return False

        wait_for(answers, 60, f"web {self.name} to answer")

    def reload(self) -> None:
        """SIGHUP: gunicorn starts new workers and lets the old ones finish what they serve."""
        assert self.process
        old = children(self.process.pid)
        self.process.send_signal(signal.SIGHUP)
        pid = self.process.pid
        wait_for(
            lambda: not (children(pid) & old) and len(children(pid)) == self.workers,
            60,
            f"web {self.name}'s workers to be replaced",
        )
        self.wait_ready()

    def stop(self) -> None:
        """SIGTERM: stop accepting, finish the requests in flight, exit."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            assert self.process.wait(timeout=60) == 0, f"{self.name} did not stop cleanly: see {self.log}"


@dataclass
class Worker:
    """One Celery worker (main process and its prefork children), or beat."""

    name: str
    env: dict[str, str]
    log: Path
    beat_schedule: Path | None = None
    process: subprocess.Popen[bytes] | None = None
    hostname: str = ""

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        if self.beat_schedule:
            command = [str(BIN / "celery"), "-A", "cernai", "beat", f"--schedule={self.beat_schedule}"]
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    command, cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True
                )
            return
        self.hostname = f"{self.name}-{uuid.uuid4().hex[:8]}@t20"
        with self.log.open("ab") as log:
            self.process = start_worker(
                "--concurrency=2",
                f"--hostname={self.hostname}",
                "--loglevel=INFO",
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def wait_ready(self) -> None:
        """A worker is ready when it answers a ping (beat has no such question; it just runs)."""
        if self.beat_schedule:
            assert self.process and self.process.poll() is None, f"beat died: see {self.log}"
            return
        wait_for(
            lambda: bool(app.control.ping(destination=[self.hostname], timeout=0.5)),
            60,
            f"worker {self.name} to answer a ping",
        )

    def consume(self, on: bool) -> None:
        """Stop or resume taking messages from the queue (``celery control cancel_consumer``/``add_consumer``)."""
        queue_name = settings.CELERY_TASK_DEFAULT_QUEUE
        control = app.control.add_consumer if on else app.control.cancel_consumer
        assert control(queue_name, destination=[self.hostname], reply=True, timeout=5), f"{self.name} did not answer"

    def terminate(self) -> None:
        """SIGTERM to the main process only (as ``kill -TERM $MAINPID``): a warm shutdown."""
        assert self.process and self.process.poll() is None
        self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self) -> None:
        assert self.process
        assert self.process.wait(timeout=60) == 0, f"{self.name} did not stop cleanly: see {self.log}"

    def stop(self) -> None:
        self.terminate()
        self.wait_stopped()

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


def refused(exc: BaseException) -> bool:
    """Was the connection refused (nothing was sent, so the request can go elsewhere)?"""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError) or "Connection refused" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class Balancer:
    """Round-robin over the web processes; a refused connection goes to the next one."""

    def __init__(self, webs: list[Web]) -> None:
        self.webs = webs
        self.drained: set[str] = set()
        self.lock = threading.Lock()
        self.turn = 0
        self.retried = 0
        self.served: Counter[str] = Counter()
        self.inflight: Counter[str] = Counter()  # requests on their way to each web process
        self.failures: list[str] = []

    def pick(self) -> list[Web]:
        with self.lock:
            self.turn += 1
            order = self.webs[self.turn % len(self.webs) :] + self.webs[: self.turn % len(self.webs)]
        return [w for w in order if w.name not in self.drained]

    def request(self, session: requests.Session, method: str, path: str, **kwargs: Any) -> requests.Response | None:
        for web in self.pick():
            with self.lock:  # a process drained meanwhile gets nothing new (drain() waits for the rest)
                if web.name in self.drained:
                    continue
                self.inflight[web.name] += 1
            try:
                response = session.request(method, web.url + path, timeout=60, allow_redirects=False, **kwargs)
            except requests.ConnectionError as exc:
                if refused(exc):
                    with self.lock:
                        self.retried += 1
                    continue
                self.fail(f"{method} {path} on {web.name}: {exc!r}")
                return None
            finally:
                with self.lock:
                    self.inflight[web.name] -= 1
            with self.lock:
                self.served[web.name] += 1
            if response.status_code >= 500:
                self.fail(f"{method} {path} on {web.name}: {response.status_code}")
                return None
            return response
        self.fail(f"{method} {path}: every web process refused the connection")
        return None

    def drain(self, web: Web) -> None:
        """Take ``web`` out of the rotation and wait for the requests already on their way to it, as a
        proxy's connection draining does before the operator stops the process: a connection that
        reached its listen queue after the SIGTERM would be reset unserved."""
        with self.lock:
            self.drained.add(web.name)
        wait_for(lambda: self.inflight[web.name] == 0, 60, f"requests on their way to {web.name}")

    def fail(self, what: str) -> None:
        with self.lock:
            self.failures.append(what)


def expect(response: requests.Response | None, status: int, location: str, balancer: Balancer, what: str) -> bool:
    if response is None:
        return False
    if response.status_code != status or not re.search(location, response.headers.get("Location", "")):
        balancer.fail(f"{what}: {response.status_code} {response.headers.get('Location')}")
        return False
    return True


def applicant_journey(balancer: Balancer, email: str, application_id: int) -> None:
    """Sign in through the allauth form and submit the application, as the browser would."""
    session = requests.Session()
    page = balancer.request(session, "GET", "/accounts/login/")
    if page is None or not expect(page, 200, "", balancer, f"login page for {email}"):
        return
    token = session.cookies.get("csrftoken", "")
    signed_in = balancer.request(
        session,
        "POST",
        "/accounts/login/",
        data={"login": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    if not expect(signed_in, 302, "/dashboard/", balancer, f"sign-in of {email}"):
        return
    status = balancer.request(session, "GET", f"/fellowships/applications/{application_id}/step/5/")
    if not expect(status, 200, "", balancer, f"last step of {email}'s application"):
        return
    submitted = balancer.request(
        session,
        "POST",
        f"/fellowships/applications/{application_id}/submit/",
        data={"confirm": "on"},
        headers={"X-CSRFToken": session.cookies.get("csrftoken", ""), "X-Request-ID": f"t20-submit-{application_id}"},
    )
    expect(submitted, 302, f"/fellowships/applications/{application_id}/$", balancer, f"submission of {email}")


def people(balancer: Balancer, journeys: queue.Queue[tuple[str, int]], done: threading.Event) -> None:
    """Applicants as they come; between them, someone reads the public list of calls."""
    while True:
        try:
            email, application_id = journeys.get(timeout=0.2)
        except queue.Empty:
            if done.is_set():
                return
            page = balancer.request(requests.Session(), "GET", "/fellowships/")
            expect(page, 200, "", balancer, "the list of calls")
            continue
        applicant_journey(balancer, email, application_id)


def site(
    balancer: Balancer,
    token: str,
    reports: queue.Queue[list[dict[str, str]]],
    done: threading.Event,
    batch_requests: dict[int, str],
) -> None:
    """The flagship's accounting export: a batch of sacct records whenever one is ready."""
    session = requests.Session()
    session.headers["Authorization"] = f"Token {token}"
    for n in itertools.count():
        try:
            records = reports.get(timeout=0.2)
        except queue.Empty:
            if done.is_set():
                return
            continue
        rid = f"t20-usage-{n}"
        reply = balancer.request(
            session, "POST", "/api/v1/compute/usage/", json={"records": records}, headers={"X-Request-ID": rid}
        )
        if reply is None:
            continue
        if reply.status_code != 200 or reply.json().get("rejected"):
            balancer.fail(f"usage batch: {reply.status_code} {reply.text[:300]}")
            continue
        batch_requests[reply.json()["batch"]] = rid


def sent_mail(mail_dir: Path) -> Counter[tuple[str, str]]:
    """(recipient, subject) of every message the workers' file email backend wrote."""
    sent: Counter[tuple[str, str]] = Counter()
    for path in mail_dir.iterdir():
        for raw in path.read_text().split("-" * 79):
            if raw.strip():
                message = message_from_string(raw.strip())
                sent[(str(message["To"]), str(message["Subject"]))] += 1
    return sent


def task_outcomes(logs: Path, task: str) -> list[tuple[int, str, str]]:
    """(first argument, return value, request id) of every successful run of ``task`` the workers logged."""
    outcomes = []
    for path in logs.glob("w*.log"):
        for line in path.read_text().splitlines():
            if not line.startswith("{"):
                continue
            record = json.loads(line)
            data = record.get("data") or {}
            if record.get("logger") == "celery.app.trace" and data.get("name") == task and "return_value" in data:
                outcomes.append((ast.literal_eval(data["args"])[0], data["return_value"], record["request_id"]))
    return outcomes


def queue_length() -> int:
    return int(redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(settings.CELERY_TASK_DEFAULT_QUEUE))


@contextlib.contextmanager
def layout_of_one_machine(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """Two web processes, two workers and beat of this run, all stopped (and if need be killed) after."""
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = process_env(mail_dir)
    app.control.purge()
    webs = [Web(name, env, tmp_path / f"web-{name}.log") for name in ("a", "b")]
    workers = [Worker(name, env, tmp_path / f"{name}.log") for name in ("w1", "w2")]
    beat = Worker("beat", env, tmp_path / "beat.log", beat_schedule=tmp_path / "celerybeat-schedule")
    every: list[Web | Worker] = [*webs, *workers, beat]
    try:
        for process in every:  # all boot at once, as on a machine coming up
            process.launch()
        for process in every:
            process.wait_ready()
        yield {"webs": webs, "workers": workers, "beat": beat, "mail_dir": mail_dir, "logs": tmp_path}
    finally:
        running = [p.process for p in every if p.process and p.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
        for process in every:  # nothing of the layout outlives the test (a stray child, say)
            with contextlib.suppress(ProcessLookupError, TypeError):
                os.killpg(process.process.pid, signal.SIGKILL)  # type: ignore[union-attr]
        app.control.purge()
        connection.close()


def test_t20_restarting_each_web_process_and_worker_under_load_fails_no_request_and_loses_no_task(
    states: None, call: Any, project: Any, gpu_period: Any, secretariat: Any, flagship: Any, tmp_path: Path
) -> None:
    # Data the load needs, committed before any process starts.
    applicants = [UserFactory(email=f"t20-{i}@example.org") for i in range(APPLICANTS)]
    applications = [filled_application(call, user) for user in applicants]
    allocation = compute_factories.grant(project, gpu_period, 50_000, actor=secretariat)
    token = compute_services.create_site_token(site=flagship, label="t20")[1]
    batches = [compute_factories.jobs(JOBS_PER_BATCH, start_id=500_000 + b * JOBS_PER_BATCH) for b in range(BATCHES)]
    before = list(Notification.objects.values_list("pk", flat=True))
    connection.close()

    with layout_of_one_machine(tmp_path) as layout:
        webs, workers, beat = layout["webs"], layout["workers"], layout["beat"]
        balancer = Balancer(webs)

        journeys: queue.Queue[tuple[str, int]] = queue.Queue()
        reports: queue.Queue[list[dict[str, str]]] = queue.Queue()
        done = threading.Event()
        batch_requests: dict[int, str] = {}
        load = [
            *(threading.Thread(target=people, args=(balancer, journeys, done)) for _ in range(3)),
            threading.Thread(target=site, args=(balancer, token, reports, done, batch_requests)),
        ]
        for thread in load:
            thread.start()
        waves = iter(range(len(STEPS)))

        def wave() -> None:
            """Hand the load its next share of submissions and batches just before a restart."""
            step = next(waves)
            for user, application in list(zip(applicants, applications, strict=True))[step :: len(STEPS)]:
                journeys.put((user.email, application.pk))
            for records in batches[step :: len(STEPS)]:
                reports.put(records)

        # The rolling restart, while the load runs (STEPS names them in order).
        for web in webs:
            wave()
            web.reload()
        for web in webs:
            wave()
            balancer.drain(web)
            web.stop()
            web.start()
            balancer.drained.discard(web.name)
        for worker, other in ((workers[0], workers[1]), (workers[1], workers[0])):
            # The wave's messages wait in the queue, then this worker alone takes from it: the
            # SIGTERM comes as soon as it took its first ones (prefetch 1 per process: at most 2 in
            # hand), so it shuts down with tasks running or reserved and more still queued.
            worker.consume(False)
            other.consume(False)
            wave()
            wait_for(lambda: queue_length() >= 4, 60, "the wave's tasks to be queued")
            queued = queue_length()
            worker.consume(True)
            wait_for(lambda q=queued: queue_length() < q, 60, f"worker {worker.name} to take a task")
            worker.terminate()
            other.consume(True)
            worker.wait_stopped()
            worker.start()
        wave()
        beat.stop()
        beat.start()

        done.set()
        for thread in load:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in load), "the load did not finish"

        submitted = Application.objects.filter(pk__in=[a.pk for a in applications], status="submitted")
        confirmations = Notification.objects.exclude(pk__in=before)
        wait_for(
            lambda: (
                confirmations.exclude(email_status=Notification.EmailStatus.SENT).count() == 0
                and not UsageBatch.objects.filter(processed_at__isnull=True).exists()
                and queue_length() == 0
            ),
            60,
            "every email sent and every batch accounted",
        )

    # 0 failed requests a client could not safely retry; both web processes served.
    assert balancer.failures == []
    assert set(balancer.served) == {"a", "b"}
    assert submitted.count() == APPLICANTS

    # 0 lost or doubled tasks: one confirmation per applicant, each sent once (stored outcome) …
    kinds = Counter(confirmations.values_list("kind", "recipient__email"))
    assert kinds == Counter({("fellowships.application_submitted", u.email): 1 for u in applicants})
    assert set(confirmations.values_list("email_status", "email_attempts")) == {("sent", 1)}
    # … and one message per notification in the mail the workers wrote.
    sent = sent_mail(layout["mail_dir"])
    assert sorted(to for to, _ in sent.elements()) == sorted(u.email for u in applicants)
    assert set(sent.values()) == {1}

    # No sweeper had to repair a lost message: each email was sent by the run of the message its
    # submission enqueued (the request id travels with it), and runs of a redelivered message found
    # the email already sent.
    emails = task_outcomes(layout["logs"], "core.send_notification_email")
    application_of = {a.applicant.email: a.pk for a in applications}
    by_notification = {n.pk: f"t20-submit-{application_of[n.recipient.email]}" for n in confirmations}
    sent_by = sorted((n, rid) for n, result, rid in emails if result == "'sent'")
    assert sent_by == sorted(by_notification.items())
    assert {result for _, result, _ in emails} <= {"'sent'", "'not due'"}
    accounted = {(batch, rid) for batch, _, rid in task_outcomes(layout["logs"], "compute.account_batch")}
    assert set(batch_requests.items()) <= accounted
    assert len(batch_requests) == BATCHES

    # Every batch's charges are in the ledger exactly once.
    assert UsageBatch.objects.filter(site=flagship, processed_at__isnull=False).count() == BATCHES
    expected = BATCHES * JOBS_PER_BATCH * GPU_SECONDS_PER_JOB
    assert MonthlyUsage.objects.aggregate(gpu=Sum("gpu_seconds"))["gpu"] == expected
    assert MonthlyUsage.objects.aggregate(jobs=Sum("jobs"))["jobs"] == BATCHES * JOBS_PER_BATCH
    assert Allocation.objects.get(pk=allocation.pk).used_seconds == expected
