"""Reminders through a real Celery worker on a real broker: the embedded SQLite one and Redis.

The worker is `celery.contrib.testing`'s in-process worker thread; `django_db(transaction=True)` lets it
see the test's rows. Each test gets its own queue name so no other worker on the same broker steals its
messages, and the embedded broker is a temporary file.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.db import OperationalError
from django.utils import timezone
from kombu import pools

from config.celery import app as celery_app
from crm.models import Dispatch
from crm.reminders import outbox, tasks
from crm.reminders.tasks import send_dispatch, sweep_dispatches
from tests.conftest import require_service
from tests.factories import clear_of_local_midnight, make_client, make_promise, make_user
from tests.reminders.email_backends import FlakySMTPBackend

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]
WAIT = 30.0


def _reset_connections() -> None:
    """Forget the broker connections and queue declarations Celery cached for the previous broker."""
    pools.reset()  # kombu's process-wide pools, keyed by broker URL
    celery_app._pool = None
    amqp = celery_app.amqp
    amqp._producer_pool = None
    amqp._rtable = None
    for cached in ("queues", "default_queue", "router"):
        amqp.__dict__.pop(cached, None)


@contextmanager
def worker_on(broker_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Point the app at `broker_url` (on a queue of its own) and run a worker thread on it."""
    monkeypatch.setenv("CELERY_BROKER_URL", broker_url)  # Celery reads this variable before its settings
    monkeypatch.setattr(celery_app.conf, "broker_url", broker_url)
    monkeypatch.setattr(celery_app.conf, "task_default_queue", f"test-reminders-{uuid.uuid4().hex[:10]}")
    # Every task to that queue alone (not to the shared queues by kind of work, config/celery.py).
    monkeypatch.setattr(celery_app.conf, "task_routes", {})
    monkeypatch.setattr(celery_app.conf, "task_queues", None)
    options = {"visibility_timeout": 3600} if broker_url.startswith("redis") else {}
    monkeypatch.setattr(celery_app.conf, "broker_transport_options", options)
    _reset_connections()
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=WAIT, loglevel="WARNING"
        ) as worker:
            yield worker
    finally:
        _reset_connections()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not _holds(condition):
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}.")
        time.sleep(0.05)


def _holds(condition: Callable[[], bool]) -> bool:
    try:
        return condition()
    except OperationalError as exc:
        # The tests' in-memory SQLite (shared cache) refuses a read at once while the worker thread writes the
        # table, where a file database would wait (busy timeout): not yet, look again. PostgreSQL never gets here.
        if "locked" not in str(exc):
            raise
        return False


@pytest.fixture
def finished_tasks() -> Iterator[list[str]]:
    """The names of the tasks the worker finished, in order."""
    names: list[str] = []
    lock = threading.Lock()

    def record(sender: Any = None, **kwargs: Any) -> None:
        with lock:
            names.append(sender.name)

    task_postrun.connect(record, weak=False)
    yield names
    task_postrun.disconnect(record)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A redis-server of the test's own on a spare loopback port, without persistence (a restart loses
    every queued message, the worst case). Never the machine's shared server."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--appendonly", "no", "--dir", str(self.directory)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.answers, f"redis-server on port {self.port}", timeout=10)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    require_service(shutil.which("redis-server") is not None, "redis-server")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["embedded", "redis"])
def broker_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The embedded SQLAlchemy broker in a temporary file, and Redis: the configured one when
    CELERY_BROKER_URL is redis:// (as in CI), else a redis-server of the test's own."""
    if request.param == "embedded":
        yield f"sqla+sqlite:///{tmp_path / 'celery-broker.sqlite3'}"
        return
    configured = os.environ.get("CELERY_BROKER_URL", "")
    if configured.startswith("redis://"):
        import redis

        try:
            available = bool(redis.Redis.from_url(configured, socket_timeout=2).ping())
        except redis.RedisError:
            available = False
        require_service(available, f"Redis at {configured}")
        yield configured
        return
    require_service(shutil.which("redis-server") is not None, "redis-server")
    server = RedisServer(tmp_path)
    server.start()
    yield server.url
    server.stop()


def freelancer_due_now(username: str = "alice") -> Any:
    """A freelancer whose weekly digest is due this very hour, with something to report."""
    clear_of_local_midnight()  # swept later by a worker: the same week
    local = timezone.localtime(timezone.now(), timezone.get_default_timezone())
    owner = make_user(username, digest_weekday=local.weekday(), digest_hour=local.hour, nudges_enabled=False)
    make_promise(
        make_client(owner, name="Atelier Dupont"),
        description="Send the mock-up",
        made_on=local.date(),
        due_on=local.date() + timedelta(days=2),
    )
    return owner


def test_digest_goes_through_broker_and_worker_to_the_mailbox(
    broker_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = freelancer_due_now()
    with worker_on(broker_url, monkeypatch):
        sweep_dispatches.delay()
        wait_for(lambda: len(mail.outbox) == 1, "the digest")
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert "Send the mock-up" in message.body
    dispatch = Dispatch.objects.get(owner=alice, kind=Dispatch.Kind.DIGEST)
    assert (dispatch.state, dispatch.attempts) == ("sent", 1)


def test_same_week_triggered_twice_sends_one_digest(
    broker_url: str, monkeypatch: pytest.MonkeyPatch, finished_tasks: list[str]
) -> None:
    alice = freelancer_due_now()
    with worker_on(broker_url, monkeypatch):
        sweep_dispatches.delay()
        sweep_dispatches.delay()
        wait_for(lambda: finished_tasks.count("crm.send_dispatch") == 1, "the first send")
        # A redelivered message, or a task queued twice by hand: the claim refuses it.
        dispatch = Dispatch.objects.get(owner=alice, kind=Dispatch.Kind.DIGEST)
        send_dispatch.delay(dispatch.pk)
        sweep_dispatches.delay()
        wait_for(lambda: len(finished_tasks) == 5, "every task to finish")
    assert sorted(finished_tasks) == ["crm.send_dispatch"] * 2 + ["crm.sweep_dispatches"] * 3
    assert len(mail.outbox) == 1
    dispatch.refresh_from_db()
    assert (dispatch.state, dispatch.attempts) == ("sent", 1)


def test_two_smtp_failures_then_success_send_exactly_one_email(
    broker_url: str, monkeypatch: pytest.MonkeyPatch, settings: Any, finished_tasks: list[str]
) -> None:
    settings.EMAIL_BACKEND = "tests.reminders.email_backends.FlakySMTPBackend"
    FlakySMTPBackend.fail_next(2)
    alice = freelancer_due_now()
    with worker_on(broker_url, monkeypatch):
        sweep_dispatches.delay()
        for attempt in (1, 2):
            wait_for(lambda n=attempt: finished_tasks.count("crm.send_dispatch") == n, f"attempt {attempt}")
            dispatch = Dispatch.objects.get(owner=alice, kind=Dispatch.Kind.DIGEST)
            assert (dispatch.state, dispatch.attempts) == ("retrying", attempt)
            # The retry's time lives in the row; the every-minute sweep hands it over once it has come.
            Dispatch.objects.filter(pk=dispatch.pk).update(next_attempt_at=timezone.now())
            sweep_dispatches.delay()
        wait_for(lambda: len(mail.outbox) == 1, "the digest after two refusals")
    assert FlakySMTPBackend.attempts == 3
    assert len(mail.outbox) == 1
    dispatch = Dispatch.objects.get(owner=alice, kind=Dispatch.Kind.DIGEST)
    assert (dispatch.state, dispatch.attempts, dispatch.last_error) == ("sent", 3, "")


def test_redis_restarted_mid_run_loses_no_digest(
    own_redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = freelancer_due_now()
    with worker_on(own_redis.url, monkeypatch):
        own_redis.stop()
        # The sweep marks the digest queued, but its message cannot reach the broker.
        tasks.sweep()
        dispatch = Dispatch.objects.get(owner=alice, kind=Dispatch.Kind.DIGEST)
        assert dispatch.state == "queued"
        own_redis.start()  # empty: whatever Redis held is gone
        assert mail.outbox == []
        # A later sweep finds the row stuck in "queued" and hands it over again.
        later = timezone.now() + outbox.REQUEUE_AFTER + timedelta(seconds=1)
        assert tasks.sweep(later) == [dispatch.pk]
        wait_for(lambda: len(mail.outbox) == 1, "the digest after the restart")
    dispatch.refresh_from_db()
    assert dispatch.state == "sent"
    assert mail.outbox[0].to == ["alice@example.com"]
