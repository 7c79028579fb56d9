"""The test's database, reachable by other processes (a worker, a management command) and read back from here.

On PostgreSQL it is the test database itself. SQLite's test database lives in this process's memory, so other
processes get a file copied from it by the backup (crm/backup/dumps.py) once the test's rows are in, and the test
reads and writes that file with plain SQL (`%s` placeholders on both).
"""

from __future__ import annotations

import sqlite3
from datetime import UTC
from pathlib import Path
from typing import Any

from django.db import connection
from django.utils import timezone

from crm.backup import dumps


class SharedDatabase:
    def __init__(self, tmp_path: Path) -> None:
        self.path: Path | None = None
        if connection.vendor == "sqlite":
            self.path = dumps.backup(connection, tmp_path / "shared-db", keep=1, now=timezone.now())
            self.url = f"sqlite:///{self.path}"
            return
        db = connection.settings_dict
        auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
        self.url = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (committed at once); return its rows."""
        if self.path is None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        with sqlite3.connect(self.path, timeout=20) as db:
            return db.execute(sql.replace("%s", "?"), params).fetchall()

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self.execute(sql, params)[0][0]

    def moment(self, value: Any) -> Any:
        """A date-time as a parameter: aware for PostgreSQL, Django's UTC text for SQLite."""
        if self.path is None:
            return value
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
