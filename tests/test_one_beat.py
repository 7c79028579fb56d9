"""One beat whatever the number of hosts (issue 27): two real `celery beat` processes on one Redis (a
redis-server of the test's own on a spare loopback port), the sweeps' period shortened to PERIOD seconds
(SWEEP_EVERY_SECONDS). RedBeat's lock keeps the second idle: each every-minute sweep is sent once per period,
by the first beat only; killed (SIGKILL, no goodbye), the first is replaced by the second within two periods.

No worker runs: the test reads the messages beat sends straight from the Redis queues, with the pid of the
beat that sent each (Celery's `origin` header).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, suppress
from pathlib import Path

import pytest
import redis

from tests.conftest import require_service
from tests.reminders.test_reminders_worker import RedisServer

pytestmark = [pytest.mark.worker, pytest.mark.postgresql]

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PERIOD = 2.0
SWEEPS = {"crm.sweep_dispatches": "mail", "crm.sweep_mailboxes": "capture"}


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    require_service(shutil.which("redis-server") is not None, "redis-server")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class Sent:
    """Every message beat sends to the sweeps' queues: (seconds since start, task, pid of the sending beat)."""

    def __init__(self, url: str) -> None:
        self.client = redis.Redis.from_url(url)
        self.messages: list[tuple[float, str, int]] = []
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            popped = self.client.blpop(list(set(SWEEPS.values())), timeout=0.2)
            if popped:
                headers = json.loads(popped[1])["headers"]
                pid = int(headers["origin"].split("@")[0].removeprefix("gen"))
                self.messages.append((time.monotonic() - self.started, headers["task"], pid))

    def now(self) -> float:
        return time.monotonic() - self.started

    def of(self, task: str, since: float = 0.0, until: float = float("inf")) -> list[tuple[float, int]]:
        return [(at, pid) for at, name, pid in self.messages if name == task and since <= at < until]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def _beat(stack: ExitStack, name: str, env: dict[str, str], tmp_path: Path) -> subprocess.Popen[bytes]:
    log = (tmp_path / f"{name}.log").open("wb")
    command = [str(BIN / "celery"), "-A", "config", "beat", "--loglevel=INFO"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def stop() -> None:
        with suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()

    stack.callback(stop)
    return process


def _wait_for(condition: object, what: str, timeout: float, tmp_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            logs = "\n".join(f"--- {p.name}\n{p.read_text()[-2000:]}" for p in tmp_path.glob("*.log"))
            pytest.fail(f"Timed out waiting for {what}.\n{logs}")
        time.sleep(0.05)


def _once_per_period(times: list[float]) -> None:
    """Consecutive sends of one task are one period apart (never two in a period, never a period skipped)."""
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps and all(0.5 * PERIOD <= gap <= 1.5 * PERIOD for gap in gaps), gaps


def test_a_second_beat_stays_idle_and_takes_over_within_two_periods(
    own_redis: RedisServer, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CELERY_BROKER_URL": own_redis.url,
        "SWEEP_EVERY_SECONDS": str(PERIOD),
        "VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(ROOT),
    }
    sent = Sent(own_redis.url)
    with ExitStack() as stack:
        stack.callback(sent.stop)
        # Both start at once, as on two hosts: whichever takes the lock first sends, the other waits.
        beats = {p.pid: p for p in (_beat(stack, name, env, tmp_path) for name in ("beat1", "beat2"))}
        _wait_for(
            lambda: all("Starting..." in (tmp_path / f"{n}.log").read_text() for n in ("beat1", "beat2")),
            "both beats",
            30,
            tmp_path,
        )
        _wait_for(lambda: len(sent.messages) >= 2, "the first sweeps", 30, tmp_path)
        first = beats.pop(sent.messages[0][2])
        [second] = beats.values()
        both_since = sent.now()
        time.sleep(2 * PERIOD)
        killed_at = sent.now()
        first.send_signal(signal.SIGKILL)  # no warm shutdown: its lock stays until it expires
        first.wait(timeout=5)
        _wait_for(
            lambda: all(sent.of(task, since=killed_at) for task in SWEEPS),
            "the takeover",
            6 * PERIOD,
            tmp_path,
        )
        time.sleep(2 * PERIOD)
        ended = sent.now()

    for task in SWEEPS:
        before = sent.of(task, until=killed_at)
        after = sent.of(task, since=killed_at)
        # While both ran, only the first sent, once per period.
        assert {pid for at, pid in before if at >= both_since} == {first.pid}, task
        _once_per_period([at for at, _ in before])
        # After the kill, only the second, the first send within two periods, then once per period.
        assert {pid for _, pid in after} == {second.pid}, task
        takeover = after[0][0] - killed_at
        assert takeover <= 2 * PERIOD, (task, takeover)
        _once_per_period([at for at, _ in after])
        assert len(after) >= (ended - killed_at - 2 * PERIOD) / PERIOD - 1
        print(f"\none beat: {task} {len(before)} + {len(after)} sends, takeover {takeover:.1f} s")  # noqa: T201
