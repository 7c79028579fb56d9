"""Queues by kind of work (issue 27): a capture worker held by an IMAP server that never answers delays no
digest. The workers are real subprocesses started with deploy/compose.yaml's own commands (their `-Q` and
concurrency), on Redis and PostgreSQL; the digests go to a real SMTP server (aiosmtpd) in this process.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.utils import timezone

from config.celery import QUEUES
from config.celery import app as celery_app
from crm.capture.secrets import encrypt
from crm.capture.tasks import sync_mailbox
from crm.models import Dispatch, Mailbox
from crm.reminders.tasks import sweep_dispatches
from tests import processes
from tests.factories import clear_of_local_midnight, make_client, make_promise, make_user
from tests.reminders.smtp_server import MailServer
from tests.test_topology import _database_url, _redis_url, _wait

ROOT = Path(__file__).resolve().parent.parent
FREELANCERS = 3


class SilentIMAPServer:
    """A TCP server on loopback that accepts every connection and never says a word (not even the greeting):
    an IMAP client waits until its own timeout. `open` counts the connections it holds right now."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.held.append(conn)
            self.accepted += 1

    @property
    def open(self) -> int:
        """The connections whose client has not hung up (it would after its timeout)."""
        alive = 0
        for conn in self.held:
            try:
                conn.setblocking(False)
                alive += conn.recv(1, socket.MSG_PEEK) != b""
            except BlockingIOError:
                alive += 1
            except OSError:
                pass
        return alive

    def __enter__(self) -> SilentIMAPServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for conn in self.held:
            conn.close()
        self.sock.close()


def deployed_workers() -> dict[str, list[str]]:
    """Return {service: command} for compose.yaml's Celery workers, as deployed."""
    services = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())["services"]
    return {
        name: service["command"]
        for name, service in services.items()
        if isinstance(service.get("command"), list) and service["command"][3:4] == ["worker"]
    }


def _queues(command: list[str]) -> set[str]:
    return set(command[command.index("-Q") + 1].split(","))


def test_every_queue_has_a_deployed_worker_and_every_task_a_queue() -> None:
    consumed = set().union(*(_queues(c) for c in deployed_workers().values()))
    assert consumed == set(QUEUES)
    routes = celery_app.conf.task_routes
    celery_app.loader.import_default_modules()
    for name in (n for n in celery_app.tasks if n.startswith("crm.")):
        assert routes.get(name, {"queue": celery_app.conf.task_default_queue})["queue"] in QUEUES, name
    # The mail worker consumes nothing that waits on an outside server but its own SMTP.
    assert any(_queues(c) == {"mail"} for c in deployed_workers().values())


@pytest.mark.worker
@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_a_silent_imap_server_fills_the_capture_worker_and_digests_still_leave(tmp_path: Path) -> None:
    database_url, redis_url = _database_url(), _redis_url()
    import redis

    broker = redis.Redis.from_url(redis_url)
    broker.delete(*QUEUES)  # nothing left over from an earlier run
    clear_of_local_midnight()  # swept later by the workers: the same week
    local = timezone.localtime(timezone.now(), timezone.get_default_timezone())
    workers = {n: c for n, c in deployed_workers().items() if _queues(c) & {"mail", "capture"}}
    capture = next(c for c in workers.values() if "capture" in _queues(c))
    capture_processes = int(next(a for a in capture if a.startswith("--concurrency=")).split("=")[1])
    smtp = MailServer()
    logs = tmp_path / "logs"
    logs.mkdir()
    with ExitStack() as stack, SilentIMAPServer() as imap:
        stack.callback(broker.delete, *QUEUES)  # the syncs left waiting, after the workers stopped
        people: list[Any] = []
        for i in range(FREELANCERS):
            user = make_user(
                f"queued{i}", digest_weekday=local.weekday(), digest_hour=local.hour, nudges_enabled=False
            )
            make_promise(make_client(user, name=f"Client of queued{i}"), description="Already promised")
            people.append(user)
        # Twice as many mailboxes as the capture worker has processes: every one of them waits on silence.
        # They get no digest: with the default schedule (Monday, 8:00), a run at that hour would send them one.
        owners = [make_user(f"mailbox{i}", digest_enabled=False) for i in range(2 * capture_processes)]
        for owner in owners:
            box = Mailbox.objects.create(
                owner=owner,
                imap_host="127.0.0.1",
                imap_port=imap.port,
                imap_security="none",
                imap_user=owner.username,
                imap_secret=encrypt("secret"),
                address=owner.email,
            )
            sync_mailbox.delay(box.pk)

        smtp.start()
        stack.callback(smtp.stop)
        # The mailbox passwords were encrypted here, with this process's key.
        env = {
            **processes.environment(database_url, redis_url, settings.SECRET_KEY, tmp_path / "var"),
            "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        }
        for name, command in workers.items():
            command = [str(processes.BIN / "celery"), *command[1:], "--without-gossip", "--without-mingle"]
            processes.start(stack, name, command, env, logs)
        until = time.monotonic() + 60
        _wait(lambda: imap.open >= capture_processes, "the capture worker held by silence", until, logs)

        sent_at = time.monotonic()
        sweep_dispatches.delay()

        def all_digests_handed_to_smtp() -> bool:
            return len(smtp.received) >= FREELANCERS

        _wait(all_digests_handed_to_smtp, "the digests", sent_at + 20, logs)
        took = time.monotonic() - sent_at
        still_held = imap.open
        time.sleep(0.5)  # room for a duplicate

    print(f"\nqueues: {FREELANCERS} digests sent in {took:.1f} s while capture held {still_held} syncs")  # noqa: T201
    # Capture was still full when the last digest left: the digests did not wait for it.
    assert still_held >= capture_processes
    assert sorted(m["To"] for m in smtp.received) == sorted(u.email for u in people)
    assert set(Dispatch.objects.filter(owner__in=people).values_list("state", flat=True)) == {"sent"}
    assert imap.accepted >= capture_processes
