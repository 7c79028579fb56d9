#!/usr/bin/env python
"""Monday 08:00 on loopback (issue 27; not in CI): every freelancer's weekly digest falls due in the same minute.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/monday CELERY_BROKER_URL=redis://127.0.0.1:6379/6 \\
    CACHE_URL=redis://127.0.0.1:6379/7 .venv/bin/python bench/monday.py --freelancers 10000 --workers 1,2,4

Builds `<database>_bench` once (synthetic books: N freelancers in one time zone, 20 clients each, bulk inserts),
then for each number of worker processes: empties the outbox and the queues, starts that many `celery worker -Q
mail` processes (one process each, `--pool=solo`), one capture worker (`-Q capture`, 2 processes) syncing
MAILBOXES mailboxes against a real Dovecot (by default as a Monday finds them: synced through the night, each due
on its owner's phase of the cycle; `--mailbox-morning first-sync` makes them all new and due at once), one
gunicorn serving the dashboard, and a real SMTP sink (aiosmtpd) in this process; sends the every-minute sweeps as
beat would from 08:00, and measures: the time until the last digest is handed to SMTP, digests per second per
worker process, duplicates and lost digests, the dashboard's p50/p99 while it runs against idle, the queue depths
over time, and the cores each role used (from /proc). Results go to bench/monday-results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests import processes  # noqa: E402 (importable once the checkout is on the path)

PREFIX = "monday"
PASSWORD = "monday-bench-password"
SECRET_KEY = "monday-bench-secret-key-shared-by-every-process-0123456789abcdef"


def setup_environment(args: argparse.Namespace) -> dict[str, str]:
    """Point this process at the bench database and return the environment of the processes it starts."""
    url = os.environ.get("DATABASE_URL", "")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith(("postgres://", "postgresql://")) or not broker.startswith("redis://"):
        sys.exit("bench/monday.py needs PostgreSQL (DATABASE_URL) and Redis (CELERY_BROKER_URL).")
    base, _, name = url.rpartition("/")
    bench_url = f"{base}/{name}_bench"
    env = processes.environment(bench_url, broker, SECRET_KEY, ROOT / "var" / "monday")
    os.environ.update(env)
    return env


def create_database(rebuild: bool) -> None:
    """Create the bench database if missing (or asked to)."""
    import psycopg

    url = os.environ["DATABASE_URL"]
    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not rebuild:
            return
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def build_books(freelancers: int, clients_each: int, mailboxes: int, dovecot: Any) -> dict[str, float]:
    """Freelancers in one time zone whose digest is due this hour, 20 clients each, two promises and an overdue
    invoice each; the first `mailboxes` with a mailbox on the Dovecot. Bulk inserts; return the timings."""
    from datetime import timedelta
    from decimal import Decimal

    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from clients.models import Client, Profile
    from crm.models import Invoice, Promise

    timings = {}
    started = time.perf_counter()
    User = get_user_model()
    password = make_password(PASSWORD)
    today = timezone.localdate()
    User.objects.bulk_create(
        [
            User(username=f"{PREFIX}{i}", email=f"{PREFIX}{i}@example.com", password=password)
            for i in range(freelancers)
        ],
        batch_size=2000,
    )
    users = list(User.objects.filter(username__startswith=PREFIX).order_by("pk"))
    Profile.objects.bulk_create(
        [
            Profile(
                user=u, language="fr" if i % 2 else "en", time_zone=settings.TIME_ZONE, nudges_enabled=False
            )
            for i, u in enumerate(users)
        ],
        ignore_conflicts=True,
        batch_size=2000,
    )
    Profile.objects.filter(user__in=users).update(time_zone=settings.TIME_ZONE, nudges_enabled=False)
    for start in range(0, len(users), 500):
        Client.objects.bulk_create(
            [
                Client(owner=u, name=f"Client {j} of {u.username}")
                for u in users[start : start + 500]
                for j in range(clients_each)
            ],
            batch_size=5000,
        )
    first_clients = {}
    for pk, owner_id in Client.objects.filter(owner__in=users).order_by("pk").values_list("pk", "owner_id"):
        first_clients.setdefault(owner_id, pk)
    Promise.objects.bulk_create(
        [
            Promise(
                client_id=c,
                description=text,
                made_on=today - timedelta(days=20),
                due_on=today + timedelta(days=d),
            )
            for c in first_clients.values()
            for text, d in (("Livrer la maquette", 3), ("Envoyer le devis", -2))
        ],
        batch_size=5000,
    )
    Invoice.objects.bulk_create(
        [
            Invoice(
                owner_id=owner_id,
                client_id=c,
                number=f"M-{c}",
                amount=Decimal("800.00"),
                issued_on=today - timedelta(days=60),
                due_on=today - timedelta(days=30),
            )
            for owner_id, c in first_clients.items()
        ],
        batch_size=5000,
    )
    timings["books_s"] = time.perf_counter() - started
    started = time.perf_counter()
    add_mailboxes(users[:mailboxes], dovecot)
    timings["mailboxes_s"] = time.perf_counter() - started
    return timings


def add_mailboxes(users: list[Any], dovecot: Any) -> None:
    from crm.capture.secrets import encrypt
    from crm.models import Mailbox

    secret = encrypt("bench-imap-password")
    Mailbox.objects.bulk_create(
        [
            Mailbox(
                owner=u,
                imap_host="127.0.0.1",
                imap_port=dovecot.port,
                imap_security="none",
                imap_user=u.username,
                imap_secret=secret,
                address=u.email,
            )
            for u in users
        ]
    )


def start_dovecot(root: Path, users: int) -> Any:
    """A Dovecot with one IMAP user per mailbox (tests/capture/dovecot.py), each inbox holding two messages."""
    from tests.capture.conftest import mail
    from tests.capture.dovecot import Dovecot

    server = Dovecot(root)
    server.users = {f"{PREFIX}{i}": "bench-imap-password" for i in range(users)}
    lines = "".join(f"{name}:{{PLAIN}}{secret}::::::\n" for name, secret in server.users.items())
    (root / "passwd").write_text(lines)
    server.start()
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    for i in range(users):
        server.append(
            f"{PREFIX}{i}",
            "INBOX",
            [
                mail(
                    f"client{i}@example.org",
                    f"{PREFIX}{i}@example.com",
                    f"Devis {n}",
                    f"<m{i}-{n}@bench>",
                    now,
                )
                for n in range(2)
            ],
        )
    return server


class SMTPSink:
    """aiosmtpd on a spare port, recording when each recipient's message arrived."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        from tests.reminders.smtp_server import free_port

        self.port = free_port()
        self.arrivals: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                now = time.monotonic()
                with sink.lock:
                    sink.arrivals.extend((now, rcpt) for rcpt in envelope.rcpt_tos)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SMTPSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_snapshot(groups: dict[str, int]) -> dict[str, float]:
    """CPU seconds used so far, by role: the processes this bench started (each a session of its own: `groups`
    maps a role to a process-group id), PostgreSQL's backends, Dovecot, Redis, this process (the SMTP sink and the
    dashboard's sampler), and the whole machine's busy time (from /proc/stat)."""
    by_group = {pgid: role for role, pgid in groups.items()}
    seconds: Counter[str] = Counter()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as stat:
                raw = stat.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        # utime + stime, and the same of its children that ended (PostgreSQL's backends that closed)
        used = sum(int(value) for value in fields[11:15]) / TICKS
        pgrp = int(fields[2])
        if pgrp in by_group:
            seconds[by_group[pgrp]] += used
        elif comm.startswith("postgres"):
            seconds["postgresql"] += used
        elif comm.startswith(("dovecot", "imap", "auth", "anvil", "log", "config")):
            seconds["dovecot"] += used
        elif comm.startswith("redis-server"):
            seconds["redis"] += used
    own = os.times()
    seconds["bench (SMTP sink, sampler)"] = own.user + own.system
    with open("/proc/stat") as stat:
        cpu = [int(v) for v in stat.readline().split()[1:]]
    seconds["machine (busy)"] = (sum(cpu) - cpu[3] - cpu[4]) / TICKS  # all but idle and iowait
    return dict(seconds)


def cpu_between(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Cores used on average by each role over `seconds` (1.0 = one core busy all the time)."""
    return {role: round((after.get(role, 0.0) - before.get(role, 0.0)) / seconds, 2) for role in after}


class Dashboard:
    """A logged-in freelancer asking for the dashboard at a steady pace; latencies in seconds."""

    def __init__(self, port: int, username: str) -> None:
        self.port = port
        self.browser = processes.Browser()
        self.username = username

    def send(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, float]:
        """Send one request; return its status and how long its answer took."""
        started = time.perf_counter()
        status, _ = self.browser.send(self.port, method, path, form)
        return status, time.perf_counter() - started

    def log_in(self) -> None:
        self.send("GET", "/accounts/login/")
        status, _ = self.send("POST", "/accounts/login/", {"username": self.username, "password": PASSWORD})
        assert status == 302, f"login refused ({status})"

    def sample(self, stop: threading.Event, every: float = 0.25) -> list[float]:
        latencies = []
        while not stop.is_set():
            status, took = self.send("GET", "/")
            assert status == 200, status
            latencies.append(took)
            stop.wait(max(0.0, every - took))
        return latencies


def percentiles(values: list[float]) -> dict[str, float]:
    if len(values) < 2:
        return {"n": len(values)}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"n": len(values), "p50_ms": round(cuts[49] * 1000, 1), "p99_ms": round(cuts[98] * 1000, 1)}


def reset_run(redis_client: Any) -> None:
    """Forget the previous run: no dispatch, mailboxes never synced, empty queues, RedBeat's state gone."""
    from config.celery import QUEUES
    from crm.models import Dispatch, Mailbox, MailFolder

    Dispatch.objects.all().delete()
    MailFolder.objects.all().delete()
    Mailbox.objects.update(
        state=Mailbox.State.IDLE, next_attempt_at=None, locked_until=None, failures=0, last_sync_at=None
    )
    redis_client.delete(*QUEUES, "unacked", "unacked_index")


def make_due(freelancers: int) -> None:
    """Make the first `freelancers` digests due now: this weekday, this hour, in their one time zone (the
    others off: a database built for more freelancers runs a smaller morning)."""
    from django.utils import timezone

    from clients.models import Profile

    local = timezone.localtime()
    Profile.objects.filter(user__username__startswith=PREFIX).update(
        digest_weekday=local.weekday(), digest_hour=local.hour, digest_enabled=False, nudges_enabled=False
    )
    Profile.objects.filter(user__username__in=[f"{PREFIX}{i}" for i in range(freelancers)]).update(
        digest_enabled=True
    )


def warm_up_mailboxes(dovecot: Any, mailboxes: int, timeout: float) -> None:
    """Bring the mailboxes to a Monday's steady state (untimed): each synced once before 08:00, then one new
    message from the client in each inbox, waiting for the mailbox's next sync."""
    from crm.capture.tasks import sweep_mailboxes
    from crm.models import Mailbox

    sweep_mailboxes.delay()
    deadline = time.monotonic() + timeout
    while Mailbox.objects.filter(last_sync_at__isnull=True).exists():
        if time.monotonic() > deadline:
            sys.exit("the mailboxes' first sync did not end in time")
        time.sleep(1)
    from datetime import UTC, datetime

    from tests.capture.conftest import mail

    now = datetime.now(UTC)
    for i in range(mailboxes):
        dovecot.append(
            f"{PREFIX}{i}",
            "INBOX",
            mail(f"client{i}@example.org", f"{PREFIX}{i}@example.com", "Relance", f"<m{i}-new@bench>", now),
        )


def spread_mailboxes(start: float) -> None:
    """Each mailbox's next sync on its owner's phase of the cycle after `start` (a timestamp), as the syncs of
    the night left them: over a run of L seconds, about L / SYNC_EVERY of the mailboxes sync."""
    from datetime import UTC, datetime

    from crm.capture.sync import SYNC_EVERY
    from crm.models import Mailbox

    period = int(SYNC_EVERY.total_seconds())
    boxes = list(Mailbox.objects.only("pk", "owner_id"))
    for box in boxes:
        phase = (box.owner_id * 2654435761) % period
        box.next_attempt_at = datetime.fromtimestamp(start + (phase - start) % period, tz=UTC)
    Mailbox.objects.bulk_update(boxes, ["next_attempt_at"], batch_size=500)


def run_once(
    workers: int, env: dict[str, str], args: argparse.Namespace, port: int, tmp: Path
) -> dict[str, Any]:
    import redis
    from django.db import connection
    from django.utils import timezone

    from crm.capture.tasks import sweep_mailboxes
    from crm.models import Dispatch, Mailbox
    from crm.reminders.tasks import sweep_dispatches

    broker = redis.Redis.from_url(env["CELERY_BROKER_URL"])
    reset_run(broker)
    make_due(args.freelancers)
    connection.close()
    logs = tmp / f"logs-{workers}"
    logs.mkdir()
    result: dict[str, Any] = {"workers": workers}
    groups: dict[str, int] = {}
    with ExitStack() as stack, SMTPSink() as smtp:
        run_env = {**env, "EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}"}
        groups["gunicorn"] = processes.start(
            stack, "web", processes.gunicorn(port), run_env, logs, stop_within=20
        ).pid
        for n in range(workers):
            command = processes.celery_worker("-Q", "mail", "--pool=solo", "-n", f"mail{n}@%h")
            groups[f"mail worker {n + 1}"] = processes.start(
                stack, f"mail{n}", command, run_env, logs, stop_within=20
            ).pid
        if args.mailboxes:
            command = processes.celery_worker("-Q", "capture", "--concurrency=2", "-n", "capture@%h")
            groups["capture worker"] = processes.start(
                stack, "capture", command, run_env, logs, stop_within=20
            ).pid
        dashboard = Dashboard(port, f"{PREFIX}{args.freelancers - 1}")
        deadline = time.monotonic() + 120
        while True:
            try:
                dashboard.log_in()
                break
            except (OSError, AssertionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        # Workers ready: each answers a ping (the bench does not count their start-up).
        from config.celery import app

        deadline = time.monotonic() + 120
        expected = workers + (1 if args.mailboxes else 0)
        while len(app.control.ping(timeout=1.0) or []) < expected:
            if time.monotonic() > deadline:
                sys.exit(f"workers did not start: see {logs}")
        steady = args.mailboxes and args.mailbox_morning == "steady"
        if steady:
            warm_up_mailboxes(args.dovecot, args.mailboxes, args.timeout)
        for _ in range(10):  # warm: the first requests of each web process build its caches
            dashboard.send("GET", "/")
        stop = threading.Event()
        idle: list[float] = []
        sampler = threading.Thread(target=lambda: idle.extend(dashboard.sample(stop)))
        sampler.start()
        time.sleep(args.idle_seconds)
        stop.set()
        sampler.join()

        # 08:00: beat sends the two every-minute sweeps.
        during: list[float] = []
        stop = threading.Event()
        sampler = threading.Thread(target=lambda: during.extend(dashboard.sample(stop)))
        depths: list[tuple[float, int, int]] = []
        if steady:
            spread_mailboxes(time.time())
        cpu_before = cpu_snapshot(groups)
        started_at = timezone.now()
        t0 = time.monotonic()
        sweep_dispatches.delay()
        if args.mailboxes:
            sweep_mailboxes.delay()  # first-sync: every mailbox due now; steady: those on this minute's phase
        sampler.start()
        last_capture_sweep = time.monotonic()
        last_sample = 0.0
        while True:
            now = time.monotonic()
            if args.mailboxes and now - last_capture_sweep >= 60:
                sweep_mailboxes.delay()  # beat's every-minute sweep
                last_capture_sweep = now
            if now - last_sample >= 1.0:
                depths.append((round(now - t0, 1), broker.llen("mail"), broker.llen("capture")))
                last_sample = now
            if len({rcpt for _, rcpt in smtp.arrivals}) >= args.freelancers:
                break
            if now - t0 > args.timeout:
                break
            time.sleep(0.2)
        last = max((at for at, rcpt in smtp.arrivals if rcpt.startswith(PREFIX)), default=now) - t0
        cpu = cpu_between(cpu_before, cpu_snapshot(groups), time.monotonic() - t0)
        time.sleep(3)  # room for a duplicate to show up
        stop.set()
        sampler.join()
        synced = Mailbox.objects.filter(last_sync_at__gte=started_at).count()
    expected_to = {f"{PREFIX}{i}@example.com" for i in range(args.freelancers)}
    received = Counter(rcpt for _, rcpt in smtp.arrivals if rcpt in expected_to)
    states = Counter(Dispatch.objects.values_list("state", flat=True))
    result.update(
        {
            "digests_received": sum(received.values()),
            "duplicates": sum(c - 1 for c in received.values() if c > 1),
            "lost": len(expected_to - set(received)),
            "last_digest_s": round(last, 1),
            "digests_per_s": round(len(received) / last, 1) if last else None,
            "digests_per_s_per_worker": round(len(received) / last / workers, 1) if last else None,
            "dispatch_states": dict(states),
            "other_emails": len(smtp.arrivals) - sum(received.values()),
            "mailboxes_synced_during_run": synced,
            "dashboard_idle": percentiles(idle),
            "dashboard_during": percentiles(during),
            "cores_used": cpu,
            "queue_depths": depths[:: max(1, len(depths) // 30)],
        }
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--freelancers", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--mailboxes", type=int, default=1_000)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--idle-seconds", type=float, default=20.0)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument(
        "--mailbox-morning",
        choices=["steady", "first-sync"],
        default="steady",
        help="steady: the mailboxes synced through the night, each due on its phase of the cycle, one new message "
        "each (a Monday); first-sync: every mailbox new, all due at 08:00 (after a deploy that added them all)",
    )
    parser.add_argument("--rebuild", action="store_true", help="drop and rebuild the bench database")
    args = parser.parse_args()
    env = setup_environment(args)
    create_database(args.rebuild)

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    new = not get_user_model().objects.filter(username__startswith=PREFIX).exists()

    from tests.reminders.smtp_server import free_port

    tmp = Path(tempfile.mkdtemp(prefix="monday-"))
    tmp.chmod(0o755)  # Dovecot's unprivileged processes reach their sockets under it
    dovecot = None
    results: dict[str, Any] = {
        "freelancers": args.freelancers,
        "clients_each": args.clients,
        "mailboxes": args.mailboxes,
    }
    try:
        if args.mailboxes:
            dovecot = start_dovecot(tmp / "dovecot", args.mailboxes)
        if new:
            results["build"] = build_books(args.freelancers, args.clients, args.mailboxes, dovecot)
            print(f"built: {results['build']}", flush=True)  # noqa: T201
        elif dovecot is not None:
            from crm.models import Mailbox

            Mailbox.objects.update(imap_port=dovecot.port)
        args.dovecot = dovecot
        results["mailbox_morning"] = args.mailbox_morning
        port = free_port()
        results["runs"] = []
        for workers in [int(w) for w in args.workers.split(",")]:
            run = run_once(workers, env, args, port, tmp)
            results["runs"].append(run)
            print(json.dumps(run), flush=True)  # noqa: T201
    finally:
        if dovecot is not None:
            dovecot.stop()
    runs = {r["workers"]: r for r in results["runs"]}
    if 1 in runs and 2 in runs and runs[1].get("digests_per_s"):
        results["speedup_2_over_1"] = round(runs[2]["digests_per_s"] / runs[1]["digests_per_s"], 2)
    (ROOT / "bench" / "monday-results.json").write_text(json.dumps(results, indent=1) + "\n")
    print_table(results)


def print_table(results: dict[str, Any]) -> None:
    print(
        f"\nMonday 08:00: {results['freelancers']} freelancers x {results['clients_each']} clients, "  # noqa: T201
        f"{results['mailboxes']} mailboxes on Dovecot"
    )
    print(
        "workers | last digest (s) | digests/s | per worker | dup | lost | synced | dashboard p50/p99 idle -> during (ms)"
    )  # noqa: T201
    for r in results["runs"]:
        idle, during = r["dashboard_idle"], r["dashboard_during"]
        print(  # noqa: T201
            f"{r['workers']:>7} | {r['last_digest_s']:>15} | {r['digests_per_s']:>9} | {r['digests_per_s_per_worker']:>10} | "
            f"{r['duplicates']:>3} | {r['lost']:>4} | {r['mailboxes_synced_during_run']:>6} | "
            f"{idle.get('p50_ms')}/{idle.get('p99_ms')} -> {during.get('p50_ms')}/{during.get('p99_ms')}"
        )
    if "speedup_2_over_1" in results:
        print(f"2 workers / 1 worker: {results['speedup_2_over_1']}x")  # noqa: T201


if __name__ == "__main__":
    main()
