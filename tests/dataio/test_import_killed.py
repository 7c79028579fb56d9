"""An import killed mid-way (issue 25, item 8): a real `manage.py import_book` process, SIGKILLed while it writes
a 10,000-row file, leaves nothing behind; the same file imported again gives each client once.

The process needs a database it can share with the test: on PostgreSQL the test's own; on SQLite (whose test
database lives in this process's memory) a file copied from it by the backup (crm/backup/dumps.py).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from crm.backup import dumps
from tests.dataio.test_large_imports import big_file
from tests.factories import make_user

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parent.parent.parent
ROWS = 2_500
KILL_AFTER = 1_000  # rows written (not committed) when the process is killed: 40 % through the file


def _shared_database(tmp_path: Path) -> tuple[str, Callable[[str], Any]]:
    """The URL another process reaches this test's database by, and a way to count in it from here."""
    if connection.vendor == "sqlite":
        path = dumps.backup(connection, tmp_path / "db", keep=1, now=timezone.now())

        def scalar(sql: str) -> Any:
            with sqlite3.connect(path) as db:
                return db.execute(sql).fetchone()[0]

        return f"sqlite:///{path}", scalar
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")

    def pg_scalar(sql: str) -> Any:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}", pg_scalar


def _import(path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_book", str(path), "--user", "alice", "-v", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_an_import_killed_mid_write_leaves_nothing_and_a_second_run_imports_each_row_once(
    tmp_path: Path,
) -> None:
    make_user("alice")
    url, scalar = _shared_database(tmp_path)
    file = tmp_path / "big.csv"
    file.write_bytes(big_file(rows=ROWS))
    env = {**os.environ, "DATABASE_URL": url, "VAR_DIR": str(tmp_path / "var"), "PYTHONUNBUFFERED": "1"}
    clients = "SELECT COUNT(*) FROM clients_client"

    process = _import(file, env)
    said = []
    started = time.monotonic()
    for line in process.stdout:  # type: ignore[union-attr] (stdout=PIPE)
        said.append(line.strip())
        if line.strip() == f"{KILL_AFTER} rows written":
            process.send_signal(signal.SIGKILL)  # mid-write: the transaction is open, thousands of rows in it
            break
        assert time.monotonic() - started < 120, said
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL, said
    assert said[-1] == f"{KILL_AFTER} rows written"
    # All or nothing: no client, contact, history row or import record of the killed run.
    left = {
        table: scalar(f"SELECT COUNT(*) FROM {table}")
        for table in ("clients_client", "clients_contact", "clients_historicalclient", "crm_bookimport")
    }
    assert left == dict.fromkeys(left, 0)

    again = subprocess.run(
        [sys.executable, "manage.py", "import_book", str(file), "--user", "alice"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stderr
    assert scalar(clients) == ROWS
    assert scalar("SELECT COUNT(DISTINCT name) FROM clients_client") == ROWS
    print(
        f"\nimport killed after {KILL_AFTER} of {ROWS} rows ({connection.vendor}): 0 rows left; the rerun: {ROWS}"
    )
