"""Digests for many freelancers, built and sent by one real Celery worker (locmem email backend)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

PREFIX = "digest"
# The worker writes its per-task times to the file this variable names (see `run_worker`).
TASK_TIMES = "BENCH_DIGEST_TASK_TIMES"


def build_population(freelancers: int, clients_each: int = 3) -> None:
    """Create `freelancers` accounts, each with a few clients, promises and an overdue invoice (bulk inserts)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from clients.models import Client, Profile
    from crm.models import Invoice, Promise
    from crm.trust.health import recompute_book

    User = get_user_model()
    password = make_password("bench")
    today = timezone.localdate()
    with transaction.atomic():
        users = User.objects.bulk_create(
            [
                User(username=f"{PREFIX}{i}", email=f"{PREFIX}{i}@example.com", password=password)
                for i in range(freelancers)
            ]
        )
        users = list(User.objects.filter(username__startswith=PREFIX).order_by("pk"))
        Profile.objects.bulk_create(
            [Profile(user=u, language="fr" if i % 2 else "en") for i, u in enumerate(users)],
            ignore_conflicts=True,
        )
        Client.objects.bulk_create(
            [
                Client(owner=u, name=f"Client {i}-{j}")
                for i, u in enumerate(users)
                for j in range(clients_each)
            ]
        )
        clients = list(Client.objects.filter(owner__username__startswith=PREFIX))
        Promise.objects.bulk_create(
            [
                Promise(
                    client=c,
                    description=text,
                    made_on=today - timedelta(days=20),
                    due_on=today + timedelta(days=delta),
                )
                for c in clients
                for text, delta in (("Livrer la maquette", 3), ("Envoyer le devis", -2))
            ]
        )
        Invoice.objects.bulk_create(
            [
                Invoice(
                    owner_id=c.owner_id,
                    client=c,
                    number=f"D-{c.pk}",
                    amount=Decimal("800.00"),
                    issued_on=today - timedelta(days=60),
                    due_on=today - timedelta(days=30),
                )
                for c in clients
            ]
        )
    recompute_book()


def _due_rows(period: str) -> list[int]:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from crm.models import Dispatch

    now = timezone.now()
    owners = get_user_model().objects.filter(username__startswith=PREFIX).values_list("pk", flat=True)
    Dispatch.objects.bulk_create(
        [Dispatch(owner_id=pk, kind=Dispatch.Kind.DIGEST, period=period, due_at=now) for pk in owners]
    )
    return list(Dispatch.objects.filter(period=period).values_list("pk", flat=True))


def queries_per_digest() -> dict[str, int]:
    """Queries to build and send one digest, for a freelancer with 3 clients and one with 30 (constant?)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from clients.models import Client
    from crm.models import Dispatch
    from crm.reminders.outbox import deliver

    small, large = (
        get_user_model().objects.filter(username__in=[f"{PREFIX}0", f"{PREFIX}1"]).order_by("username")
    )
    Client.objects.bulk_create([Client(owner=large, name=f"Extra {i}") for i in range(27)])
    counts = {}
    for label, owner in (("3 clients", small), ("30 clients", large)):
        row = Dispatch.objects.create(
            owner=owner, kind=Dispatch.Kind.DIGEST, period=f"q-{label}", due_at=timezone.now()
        )
        with CaptureQueriesContext(connection) as queries:
            deliver(row.pk)
        counts[label] = len(queries)
    return counts


def _wait_until_done(ids: list[int], timeout: float = 600) -> None:
    from crm.models import Dispatch

    pending = Dispatch.objects.filter(pk__in=ids, state__in=[Dispatch.State.QUEUED, Dispatch.State.SENDING])
    deadline = time.perf_counter() + timeout
    while pending.exists():
        if time.perf_counter() > deadline:
            raise SystemExit(f"digests: {pending.count()} still unsent after {timeout:.0f} s")
        time.sleep(0.1)


def _cpu_seconds(pid: int) -> float | None:
    """Return the user + system CPU time the process `pid` has used so far; None without Linux's /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except FileNotFoundError:
        return None
    # After the command name: utime and stime are the 12th and 13th fields, in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_worker() -> None:
    """Run one solo worker, as `celery worker` does, and record each task's CPU and wall time for `measure`.

    task_prerun and task_postrun bracket the task as Celery runs it (`deliver` and the task's wrapper: claim,
    build, render, send, record). Fetching the message from the broker and acknowledging it happen outside
    them, so they only show in the process's CPU time. The times are written when the worker shuts down.
    """
    from celery.signals import task_postrun, task_prerun, worker_shutdown

    from config.celery import app

    started: dict[str, tuple[float, float]] = {}
    times: dict[int, tuple[float, float]] = {}

    @task_prerun.connect(weak=False)
    def start(task_id: str, **kwargs: Any) -> None:
        started[task_id] = (time.process_time(), time.perf_counter())

    @task_postrun.connect(weak=False)
    def stop(task_id: str, args: tuple[Any, ...], **kwargs: Any) -> None:
        cpu, wall = started.pop(task_id)
        times[args[0]] = (time.process_time() - cpu, time.perf_counter() - wall)

    @worker_shutdown.connect(weak=False)
    def dump(**kwargs: Any) -> None:
        Path(os.environ[TASK_TIMES]).write_text(json.dumps(times))

    app.worker_main(["worker", "--pool=solo", "--loglevel=WARNING"])


def measure(freelancers: int, root: Path) -> dict[str, Any]:
    """Enqueue one digest per freelancer, let one worker process send them all; return the timings.

    Three clocks, because the wall clock also counts the broker's polling, the queue's latency and the other
    processes on the machine: wall time over the run; the worker process's CPU time (/proc: the broker and
    Celery's own overhead included); and each task's CPU and wall time, recorded inside the worker.
    """
    import statistics
    import tempfile

    from django.conf import settings

    from crm.models import Dispatch
    from crm.reminders.tasks import send_dispatch

    queries = queries_per_digest()
    ids = _due_rows("bench-week")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "bench.settings"),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    times_file = Path(tempfile.mkstemp(prefix="digest-task-times-", suffix=".json")[1])
    env[TASK_TIMES] = str(times_file)
    worker = subprocess.Popen(
        [sys.executable, "-c", "from bench.digests import run_worker; run_worker()"], cwd=root, env=env
    )
    try:
        Dispatch.objects.filter(pk__in=ids).update(state=Dispatch.State.QUEUED)
        # The first digest warms the worker up (start-up, imports, templates); the clocks start after it.
        warm_up, ids = ids[0], ids[1:]
        send_dispatch.delay(warm_up)
        _wait_until_done([warm_up])
        cpu_before = _cpu_seconds(worker.pid)
        start = time.perf_counter()
        for pk in ids:
            send_dispatch.delay(pk)
        _wait_until_done(ids)
        total = time.perf_counter() - start
        cpu_after = _cpu_seconds(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    sent = Dispatch.objects.filter(pk__in=ids, state=Dispatch.State.SENT).count()
    recorded = json.loads(times_file.read_text() or "{}")
    times_file.unlink()
    measured = [recorded[str(pk)] for pk in ids if str(pk) in recorded] or [(0.0, 0.0)]
    task_cpu = [cpu * 1000 for cpu, _ in measured]
    task_wall = [wall * 1000 for _, wall in measured]
    return {
        "freelancers": len(ids),
        "total_s": round(total, 2),
        "per_digest_ms": round(total / len(ids) * 1000, 2),
        "worker_cpu_ms": (
            round((cpu_after - cpu_before) / len(ids) * 1000, 2)
            if cpu_before is not None and cpu_after is not None
            else None
        ),
        "task_cpu_median_ms": round(statistics.median(task_cpu), 2),
        "task_cpu_mean_ms": round(statistics.fmean(task_cpu), 2),
        "task_wall_median_ms": round(statistics.median(task_wall), 2),
        "tasks_timed": len(measured),
        "queries_per_digest": queries,
        "emails": sent,
        "failed": Dispatch.objects.filter(pk__in=ids, state=Dispatch.State.FAILED).count(),
    }
