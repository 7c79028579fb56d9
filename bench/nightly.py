"""Time the nightly trust run through real Celery workers: `crm.snapshot_all_trust_health` sent once, its
chunks shared by N worker processes, until the run's `JobRun` is closed (snapshots written).

    DATABASE_URL=postgres://... CELERY_BROKER_URL=redis://... CACHE_URL=redis://... \
        .venv/bin/python bench/nightly.py --workers 1    # then --workers 2

Runs against the database the environment names (build a book first, e.g.
`manage.py seed_demo --clients 20000 --events-per-client 100 --username big --no-health`). Every worker it
starts is stopped at the end.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="Worker processes (each --concurrency=1).")
    parser.add_argument("--timeout", type=float, default=900.0)
    args = parser.parse_args()

    import django

    django.setup()
    from django.utils import timezone

    from clients.models import Client
    from config.celery import app
    from crm.models import JobRun
    from crm.trust.tasks import snapshot_all_trust_health

    if not app.conf.broker_url.startswith("redis"):
        sys.exit("Set CELERY_BROKER_URL to a redis:// broker (the workers must share it).")
    clients = Client.objects.count()
    celery = [str(Path(sys.executable).parent / "celery"), "-A", "config", "worker", "--concurrency=1"]
    workers = [
        subprocess.Popen(
            [*celery, "-n", f"nightly{n}@%h", "--loglevel=WARNING", "--without-gossip", "--without-mingle"],
            cwd=ROOT,
            start_new_session=True,
        )
        for n in range(1, args.workers + 1)
    ]
    try:
        deadline = time.monotonic() + 60
        while len(app.control.ping(timeout=1.0) or []) < args.workers:
            if time.monotonic() > deadline:
                sys.exit("The workers did not answer within a minute.")
        sent_at = timezone.now()
        started = time.perf_counter()
        snapshot_all_trust_health.delay()
        run = None
        while time.perf_counter() - started < args.timeout:
            run = JobRun.objects.filter(job=JobRun.Job.TRUST_NIGHTLY, started_at__gte=sent_at).first()
            if run is not None and run.processed + run.failed > 0:
                break
            time.sleep(0.2)
        elapsed = time.perf_counter() - started
        if run is None or run.processed + run.failed == 0:
            sys.exit(f"The run did not finish within {args.timeout:.0f} s.")
        print(
            f"{clients} clients, {args.workers} worker(s): {elapsed:.1f} s "
            f"({run.chunks} chunks; {run.processed} recomputed, {run.failed} failed, {run.snapshots} snapshots; "
            f"run {run.started_at:%H:%M:%S.%f} to {run.finished_at:%H:%M:%S.%f})"
        )
    finally:
        for worker in workers:
            with suppress(ProcessLookupError):
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(worker.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
