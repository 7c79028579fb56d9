"""Confiance behind PgBouncer in transaction mode (issue 27): a real pgbouncer (Debian's), started here on a
spare loopback port in front of the test's PostgreSQL database, with two server connections for several
clients, so that consecutive transactions of one client land on different server connections.

A subprocess with the production settings for it (DATABASE_POOLER=pgbouncer) runs real ORM paths at once from
three threads: an iterator over a large queryset, transactions taking row locks (select_for_update), and the
outbox's sweep and claim, each query run often enough that psycopg would prepare it. Without the settings, the
iterator's server-side cursor breaks (`InvalidCursorName: cursor "_django_curs_..." does not exist`: its next
FETCH reached another server connection); that run is not kept in CI, where its timing decides.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from clients.models import Client
from tests.conftest import require_service
from tests.factories import clear_of_local_midnight, make_client, make_promise, make_user

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
CLIENTS = 1000

PATHS = r"""
import json, threading
import django
django.setup()
from django.db import connection, transaction
from django.utils import timezone
from clients.models import Client
from crm.reminders import outbox

results, errors = {}, []

def guarded(name, work):
    def run():
        try:
            results[name] = work()
        except Exception as exc:
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
        finally:
            connection.close()
    return threading.Thread(target=run)

def iterate():
    return sum(1 for _ in Client.objects.values_list("pk", "name").iterator(chunk_size=100))

def lock_rows():
    owner = Client.objects.values_list("owner_id", flat=True).first()
    for _ in range(30):
        with transaction.atomic():
            locked = list(Client.objects.select_for_update().filter(owner_id=owner).order_by("pk")[:5])
            Client.objects.filter(pk__in=[c.pk for c in locked]).update(notes="locked through pgbouncer")
    return len(locked)

def outbox_paths():
    now = timezone.now()
    for _ in range(8):
        outbox.create_due_dispatches(now)
    ids = outbox.queue_due_dispatches(now)
    return [outbox.deliver(pk) for pk in ids]

threads = [guarded("iterated", iterate), guarded("locked", lock_rows), guarded("delivered", outbox_paths)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps({"results": results, "errors": errors}))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def pgbouncer() -> Iterator[int]:
    """Start pgbouncer in transaction mode in front of the test database's server; yield its port."""
    require_service(connection.vendor == "postgresql", "PostgreSQL as DATABASE_URL")
    require_service(os.path.exists(PGBOUNCER), "pgbouncer (make pgbouncer)")
    db = connection.settings_dict
    port = _free_port()
    directory = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    (directory / "users.txt").write_text(f'"{db["USER"]}" "{db["PASSWORD"] or ""}"\n')
    (directory / "pgbouncer.ini").write_text(
        f"""[databases]
* = host={db["HOST"] or "127.0.0.1"} port={db["PORT"] or 5432}
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {directory / "users.txt"}
pool_mode = transaction
default_pool_size = 2
max_client_conn = 50
logfile = {directory / "pgbouncer.log"}
ignore_startup_parameters = extra_float_digits,options
"""
    )
    command = [PGBOUNCER, str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        shutil.chown(directory, "postgres")
        for path in directory.iterdir():
            shutil.chown(path, "postgres")
        command[1:1] = ["-u", "postgres"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    log = directory / "pgbouncer.log"
                    pytest.fail(f"pgbouncer did not start: {log.read_text() if log.exists() else ''}")
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


def _run_paths(port: int, pooler: str) -> dict[str, object]:
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"postgres://{auth}@127.0.0.1:{port}/{db['NAME']}",
        "DATABASE_POOLER": pooler,
        "EMAIL_URL": "locmem://",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", PATHS], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _book() -> None:
    clear_of_local_midnight()  # swept later: the same week
    local = timezone.localtime(timezone.now(), timezone.get_default_timezone())
    owner = make_user("bounced", digest_weekday=local.weekday(), digest_hour=local.hour, nudges_enabled=False)
    make_promise(make_client(owner, name="Bounced client"), description="Promised through pgbouncer")
    Client.objects.bulk_create(Client(owner=owner, name=f"Client {i}") for i in range(CLIENTS - 1))


def test_real_paths_work_through_pgbouncer_in_transaction_mode(pgbouncer: int) -> None:
    _book()
    outcome = _run_paths(pgbouncer, "pgbouncer")
    assert outcome["errors"] == []
    assert outcome["results"] == {"iterated": CLIENTS, "locked": 5, "delivered": ["sent"]}
    assert Client.objects.filter(notes="locked through pgbouncer").count() == 5
