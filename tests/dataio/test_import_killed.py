"""An import killed mid-way (issue 25, item 8): a real `manage.py import_book` process, SIGKILLed while it writes
a 2,500-row file, leaves nothing behind; the same file imported again gives each client once.

The process shares the test's database (tests/shared_database.py: on SQLite, a file copied from it).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from tests.dataio.test_large_imports import big_file
from tests.factories import make_user
from tests.shared_database import SharedDatabase

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parent.parent.parent
ROWS = 2_500
KILL_AFTER = 1_000  # rows written (not committed) when the process is killed: 40 % through the file


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
    shared = SharedDatabase(tmp_path)
    url, scalar = shared.url, shared.scalar
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
