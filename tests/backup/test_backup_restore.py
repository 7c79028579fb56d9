"""Backups that restore (issue 25, item 7): a running book backed up, restored into another, empty database and
compared table by table, row by row, and by its trust health; on whichever database the suite runs on (CI runs
SQLite in one pass and PostgreSQL in the other, where pg_dump and pg_restore must be installed)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from io import StringIO
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.utils import ConnectionHandler
from django.utils import timezone

from clients.models import Client
from crm.backup import dumps
from crm.backup.tasks import backup_database
from crm.models import ClientHealth
from tests.conftest import require_service
from tests.factories import (
    clear_of_local_midnight,
    make_client,
    make_interaction,
    make_invoice,
    make_promise,
    make_user,
)

ROOT = Path(__file__).resolve().parent.parent.parent


def _a_book_with_history() -> None:
    """The demo book, and two freelancers of the factories with kept, broken and open promises, edits, invoices."""
    call_command("seed_demo", stdout=StringIO())
    for name in ("alice", "bob"):
        owner = make_user(name)
        for n in range(3):
            client = make_client(owner, name=f"{name} client {n}")
            make_interaction(client, summary=f"Kick-off {n}")
            kept = make_promise(client, description="Send the mock-up", made_on=date(2026, 11, 2))
            kept.keep(date(2026, 11, 3))
            broken = make_promise(
                client, description="Call back", made_on=date(2026, 11, 2), due_on=date(2026, 11, 4)
            )
            broken.break_(date(2026, 11, 5))
            make_promise(client, description="Deliver the logo", made_on=date(2026, 11, 20))
            invoice = make_invoice(client, number=f"{name}-{n}")
            invoice.amount += 10  # an edit: one more history row
            invoice.save()


def _postgres_tools() -> None:
    for program in ("pg_dump", "pg_restore"):
        require_service(shutil.which(program) is not None, f"{program} (Debian: postgresql-client)")


@pytest.fixture
def elsewhere(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The settings of another, empty database of the same kind: a new SQLite file, or a new PostgreSQL database."""
    if connection.vendor == "sqlite":
        yield {**connection.settings_dict, "NAME": str(tmp_path / "restored.sqlite3")}
        return
    _postgres_tools()
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield {**connection.settings_dict, "NAME": name}
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _url(database: dict[str, Any]) -> str:
    if database["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{database['NAME']}"
    auth = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    return (
        f"postgres://{auth}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}"
    )


def _manage(database: dict[str, Any], tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run manage.py in its own process on `database`, as an operator would."""
    env = {
        **os.environ,
        "DATABASE_URL": _url(database),
        "VAR_DIR": str(tmp_path / "var"),
        "CACHE_URL": "locmem://",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _every_row(db: Any) -> dict[str, list[str]]:
    """Every table's rows, each as its repr, in a stable order (PostgreSQL returns them in no set order)."""
    rows = {}
    with db.cursor() as cursor:
        for table in db.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {db.ops.quote_name(table)}")
            rows[table] = sorted(repr(row) for row in cursor.fetchall())
    return rows


@pytest.mark.django_db(transaction=True)
def test_a_running_book_backed_up_and_restored_elsewhere_is_the_same_book(
    tmp_path: Path, elsewhere: dict[str, Any]
) -> None:
    clear_of_local_midnight(60)  # the restored book is reported by another process: the same day
    _a_book_with_history()
    report = StringIO()
    call_command("trust_report", "--format", "json", stdout=report)  # (it moves the book's version)
    before = _every_row(connection)

    out = StringIO()
    call_command("backup", "--dir", str(tmp_path / "backups"), "--keep", "3", stdout=out)
    [path] = dumps.backups_in(tmp_path / "backups")
    assert str(path) in out.getvalue()
    assert path.stat().st_mode & 0o777 == 0o600  # the whole book: for its owner's eyes only

    restored = _manage(elsewhere, tmp_path, "restore", str(path))
    assert restored.returncode == 0, restored.stderr
    assert "Restored" in restored.stdout

    target = ConnectionHandler({"default": elsewhere})["default"]
    try:
        after = _every_row(target)
    finally:
        target.close()
    assert sorted(after) == sorted(before)
    for table, rows in before.items():
        assert after[table] == rows, table
    # What was compared: several freelancers, their journal, its history and trust health, nothing left empty.
    assert {"crm_promise", "crm_historicalpromise", "crm_clienthealth", "auth_user"} <= set(before)
    assert len(before["auth_user"]) >= 3
    assert len(before["crm_clienthealth"]) == ClientHealth.objects.count() >= 6
    assert len(before["crm_historicalpromise"]) > len(before["crm_promise"])
    print(
        f"\nbackup round trip ({connection.vendor}): {len(before)} tables, {sum(map(len, before.values()))} rows"
    )

    # The restored book is a working one: trust health recomputed from its journal is the health stored at the
    # backup (only the moment of computing differs).
    restored_report = _manage(elsewhere, tmp_path, "trust_report", "--format", "json")
    assert restored_report.returncode == 0, restored_report.stderr
    restored_health, health = json.loads(restored_report.stdout), json.loads(report.getvalue())
    assert restored_health.pop("generated_at") >= health.pop("generated_at")
    for freelancer in (*restored_health["freelancers"], *health["freelancers"]):
        for client in freelancer["clients"]:
            client.pop("computed_at")
    assert [f["username"] for f in health["freelancers"]] == ["alice", "bob", "demo"]
    assert restored_health == health


@pytest.mark.django_db(transaction=True)
def test_a_restore_into_a_database_that_holds_tables_is_refused(tmp_path: Path) -> None:
    if connection.vendor == "postgresql":
        _postgres_tools()
    make_client(make_user("alice"), name="Atelier Dupont")
    path = dumps.backup(connection, tmp_path, keep=1, now=timezone.now())
    with pytest.raises(
        CommandError, match=r"is not empty: it holds \d+ tables .* Restore only into an empty"
    ):
        call_command("restore", str(path))
    assert Client.objects.get().name == "Atelier Dupont"  # the book is untouched


def test_a_file_that_is_no_backup_or_of_the_other_database_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a backup")
    with pytest.raises(CommandError, match="is not a Confiance backup"):
        call_command("restore", str(text))
    other = tmp_path / "confiance-20261206T000000000000Z.other"
    other.write_bytes(dumps.MAGIC["postgresql" if connection.vendor == "sqlite" else "sqlite"] + b"\0" * 32)
    with pytest.raises(CommandError, match=f"backup, and this database is {connection.vendor}"):
        call_command("restore", str(other))
    with pytest.raises(CommandError, match="No file"):
        call_command("restore", str(tmp_path / "missing.sqlite3"))


@pytest.mark.django_db(transaction=True)
def test_rotation_keeps_the_newest_backups_and_nothing_else_is_touched(tmp_path: Path) -> None:
    if connection.vendor == "postgresql":
        _postgres_tools()
    (tmp_path / "README").write_text("the operator's own file")
    (tmp_path / "confiance-20200101T000000000000Z.sqlite3.partial").write_text("a crashed copy")
    now = timezone.now()
    made = [dumps.backup(connection, tmp_path, keep=2, now=now + timedelta(minutes=n)) for n in range(4)]
    assert dumps.backups_in(tmp_path) == made[-2:]
    assert (tmp_path / "README").exists()
    assert (tmp_path / "confiance-20200101T000000000000Z.sqlite3.partial").exists()
    with pytest.raises(dumps.BackupError, match="Keep at least one"):
        dumps.backup(connection, tmp_path, keep=0, now=now)


@pytest.mark.django_db(transaction=True)
def test_beat_backs_up_every_night_into_the_configured_folder(tmp_path: Path, settings: Any) -> None:
    if connection.vendor == "postgresql":
        _postgres_tools()
    entry = settings.CELERY_BEAT_SCHEDULE["backup-database-nightly"]
    assert entry["task"] == backup_database.name == "crm.backup_database"
    assert entry["schedule"].hour == {1} and entry["schedule"].minute == {45}
    # A worker finds the task by itself (config/celery.py's autodiscovery), in a process that never imported it.
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from config.celery import app; "
            "app.loader.import_default_modules(); print('crm.backup_database' in app.tasks)",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "VAR_DIR": str(tmp_path / "var")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert found.stdout.strip() == "True", found.stderr
    settings.BACKUP_DIR, settings.BACKUP_KEEP = tmp_path / "nightly", 2
    made = [Path(backup_database()) for _ in range(3)]
    assert dumps.backups_in(tmp_path / "nightly") == made[1:]
    assert dumps.kind_of(made[-1]) == connection.vendor


WRITER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=20, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
n = 0
while True:
    n += 1
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO ledger (amount) VALUES (?)", (n,))
    db.execute("INSERT INTO ledger (amount) VALUES (?)", (-n,))
    db.execute("COMMIT")
"""


def test_a_sqlite_backup_taken_while_another_process_writes_is_one_consistent_state(
    tmp_path: Path, django_db_blocker: Any
) -> None:
    """The app keeps writing during the backup (here another process, two rows per transaction, in WAL mode as
    configured): each backup holds whole transactions only, and later backups hold more of them."""
    path = tmp_path / "live.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount INTEGER NOT NULL)")
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)])
    live = ConnectionHandler(
        {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path), "OPTIONS": {"timeout": 20}}}
    )["default"]
    states = []
    try:
        _wait_for_a_commit(path)
        with django_db_blocker.unblock():
            for n in range(5):
                time.sleep(0.2)  # the writer goes on between backups
                copy = dumps.backup(
                    live, tmp_path / "backups", keep=5, now=timezone.now() + timedelta(seconds=n)
                )
                with sqlite3.connect(copy) as db:
                    states.append(db.execute("SELECT COUNT(*), SUM(amount) FROM ledger").fetchone())
        assert writer.poll() is None, "the writer stopped: the backup blocked it"
    finally:
        live.close()
        writer.kill()
        writer.wait()
    assert all(count % 2 == 0 and total == 0 for count, total in states), states
    counts = [count for count, _ in states]
    assert counts == sorted(counts) and counts[0] < counts[-1], states


def _wait_for_a_commit(path: Path) -> None:
    """Wait until the writer process (a fresh interpreter: slow to start on a busy machine) has committed once."""
    deadline = time.monotonic() + 30
    with sqlite3.connect(path, timeout=20) as db:
        while not db.execute("SELECT COUNT(*) FROM ledger").fetchone()[0]:
            assert time.monotonic() < deadline, "the writer never committed"
            time.sleep(0.02)


def test_a_failed_pg_dump_says_why_and_leaves_no_file_that_looks_like_a_backup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = SimpleNamespace(
        vendor="postgresql",
        settings_dict={"NAME": "no_such_database_here", "USER": "postgres", "HOST": "127.0.0.1", "PORT": 1},
    )
    if shutil.which("pg_dump"):
        # Nothing listens on port 1: pg_dump fails, and its own words are passed on.
        with pytest.raises(dumps.BackupError, match="pg_dump failed: .*(port 1|Connection refused)"):
            dumps.backup(server, tmp_path, keep=2, now=timezone.now())
        assert list(tmp_path.iterdir()) == []  # the .partial went with it
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(dumps.BackupError, match="pg_dump is not installed: .*postgresql-client"):
        dumps.backup(server, tmp_path, keep=2, now=timezone.now())
    assert dumps.backups_in(tmp_path) == []


@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_is_refused_and_the_database_stays_empty(
    tmp_path: Path, elsewhere: dict[str, Any]
) -> None:
    make_client(make_user("alice"), name="Atelier Dupont")
    path = dumps.backup(connection, tmp_path, keep=1, now=timezone.now())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # a copy cut short (a full disk, an interrupted transfer)

    target = ConnectionHandler({"default": elsewhere})["default"]
    try:
        with pytest.raises(dumps.BackupError, match=r"(damaged|cannot be restored|pg_restore failed)"):
            dumps.restore(target, path)
        assert target.introspection.table_names() == []
    finally:
        target.close()
