"""A worker killed (SIGKILL) in the middle of sending a digest, on both brokers: the digest is delivered exactly
once after a new worker starts (issue 25, item 8).

Real `celery worker` processes (prefork, as in production) on the embedded SQLite broker (a temporary file) and on
Redis (a redis-server of the test's own), sending to a real SMTP server (aiosmtpd) in this process that keeps the
first worker waiting for its reply to RCPT TO: the worker is mid-send when the whole process group is killed, so
nothing acknowledges the message and the row stays `sending`. The way back is the sweep's (docs/reminders.md):
ten minutes later (the row's `queued_at` moved back by as much) it hands the row over again, and the new worker
sends it. On Redis, the killed worker's unacknowledged message also comes back by itself (its visibility timeout,
aged here by as much): the claim refuses it. The processes share the test's database (tests/shared_database.py:
on SQLite, a file copied from it), so this runs on both databases.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import suppress
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from crm.reminders.tasks import sweep_dispatches
from tests.reminders.smtp_server import MailServer
from tests.reminders.test_reminders_worker import (  # noqa: F401 (own_redis is a fixture)
    _reset_connections,
    freelancer_due_now,
    own_redis,
    wait_for,
)
from tests.shared_database import SharedDatabase

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent.parent
WAIT = 60.0


class Worker:
    """A `celery worker` process in its own process group, its output in a log file."""

    def __init__(self, name: str, env: dict[str, str], logs: Path) -> None:
        self.log = logs / f"{name}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            "--concurrency=1",
        ]
        command += ["-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def kill(self) -> None:
        """SIGKILL the whole group (the main process and its pool's child): no warm or cold shutdown."""
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    def sends(self) -> list[str]:
        """What each `crm.send_dispatch` this worker finished returned ("''" when the claim refused it)."""
        return re.findall(
            r"Task crm\.send_dispatch\[[^\]]+\] succeeded in [\d.]+s: (.*)",
            self.log.read_text(errors="replace"),
        )


@pytest.fixture(params=["embedded", "redis"])
def broker(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The broker's URL, this process's Celery app pointed at it (to send the sweeps beat would send)."""
    if request.param == "embedded":
        url = f"sqla+sqlite:///{tmp_path / 'celery-broker.sqlite3'}"
    else:
        server = request.getfixturevalue("own_redis")
        url = server.url
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.setattr(celery_app.conf, "broker_url", url)
    options = {"visibility_timeout": 3600} if url.startswith("redis") else {}
    monkeypatch.setattr(celery_app.conf, "broker_transport_options", options)
    _reset_connections()
    yield url
    _reset_connections()


def _age_unacked_redis_messages(url: str, by: float) -> int:
    """Move the unacknowledged messages' delivery time back by `by` seconds: as if that long had passed."""
    import redis

    client = redis.Redis.from_url(url)
    aged = 0
    for tag, score in client.zrange("unacked_index", 0, -1, withscores=True):
        client.zadd("unacked_index", {tag: score - by})
        aged += 1
    return aged


def test_a_worker_killed_mid_send_delivers_the_digest_once_after_a_new_worker_starts(
    broker: str, tmp_path: Path
) -> None:
    alice = freelancer_due_now()
    shared = SharedDatabase(tmp_path)

    def digest() -> tuple[int, str, int]:
        [row] = shared.execute(
            "SELECT id, state, attempts FROM crm_dispatch WHERE owner_id = %s AND kind = %s",
            (alice.pk, "digest"),
        )
        return row

    smtp = MailServer()
    smtp.hold.set()
    smtp.start()
    logs = tmp_path / "logs"
    logs.mkdir()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CONFIANCE_ENV": "development",
        "DATABASE_URL": shared.url,
        "CELERY_BROKER_URL": broker,
        "CACHE_URL": "locmem://",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}",
        "VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(ROOT),
    }
    workers: list[Worker] = []
    try:
        workers.append(Worker("first", env, logs))
        sweep_dispatches.delay()  # what beat sends every minute
        wait_for(lambda: smtp.held == 1, "the first worker to be mid-send", timeout=WAIT)
        pk, state, attempts = digest()
        assert (state, attempts) == ("sending", 1)

        workers[0].kill()
        smtp.hold.clear()
        assert smtp.received == []

        workers.append(Worker("second", env, logs))
        redelivered = 0
        if broker.startswith("redis"):
            # An hour later Redis hands the killed worker's unacknowledged message out again: the claim refuses
            # it while the row is still `sending`.
            redelivered = _age_unacked_redis_messages(broker, by=3700)
            assert redelivered == 1
            wait_for(lambda: workers[1].sends() == ["''"], "the redelivered message, refused", timeout=WAIT)
        # Ten minutes later the sweep finds the row stuck in `sending` and hands it over again.
        shared.execute(
            "UPDATE crm_dispatch SET queued_at = %s WHERE id = %s",
            (shared.moment(timezone.now() - timedelta(minutes=11)), pk),
        )
        sweep_dispatches.delay()
        wait_for(lambda: len(smtp.received) >= 1, "the digest after the kill", timeout=WAIT)
        time.sleep(3)  # room for a duplicate to show up, if any were coming
    finally:
        for worker in workers:
            worker.stop()
        smtp.hold.clear()
        smtp.stop()

    _pk, state, attempts = digest()
    assert workers[1].sends() == (["''"] if redelivered else []) + ["'sent'"]
    duplicates = len(smtp.received) - 1
    print(  # noqa: T201 (the figures of the closing note, shown with -s)
        f"\nworker killed mid-send ({broker.split(':')[0]}, {connection.vendor}): attempts {attempts}, "
        f"deliveries {len(smtp.received)}, duplicates {duplicates}, messages redelivered by the broker {redelivered}"
    )
    assert [m["To"] for m in smtp.received] == ["alice@example.com"]
    assert (state, attempts) == ("sent", 2)
