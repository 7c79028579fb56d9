"""Copy the database to a dated file and restore such a file into an empty database.

SQLite is copied with its online backup API (`sqlite3.Connection.backup`), in one step: one consistent state of
the database while the web processes and workers go on writing (WAL lets them). PostgreSQL is dumped by
`pg_dump --format=custom` (one snapshot transaction, so consistent as well) and restored by `pg_restore` in a
single transaction, all or nothing. The password travels in the child's environment, never on its command line.

1. The copy is written to `<name>.partial` and renamed when complete, so a crash never leaves half a file that
   looks like a backup (and rotation never counts one).
2. Rotation keeps the `keep` newest files of this naming only; nothing else in the folder is touched.
3. A restore goes only into an empty database (no table at all): merging a backup into live rows would mix two
   books, and failing half-way through a non-empty one would leave neither.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

PREFIX = "confiance-"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
# The first bytes of each kind of file: a backup is recognised by its content, whatever its name.
MAGIC = {"sqlite": b"SQLite format 3\x00", "postgresql": b"PGDMP"}


class BackupError(Exception):
    """A backup or a restore that cannot be done, said in words an operator can act on."""


def backup(connection: Any, directory: Path, keep: int, now: datetime) -> Path:
    """Copy the connection's database to `directory`, keep the `keep` newest backups; return the new file."""
    if keep < 1:
        raise BackupError("Keep at least one backup (BACKUP_KEEP or --keep).")
    vendor = _vendor(connection)
    directory.mkdir(parents=True, exist_ok=True)
    # Microseconds in the name: two backups in one second (a redelivered task) never overwrite each other.
    target = directory / f"{PREFIX}{now:%Y%m%dT%H%M%S%fZ}{SUFFIXES[vendor]}"
    partial = target.with_name(target.name + ".partial")
    try:
        # Readable by its owner only, from the start: a backup holds the whole book and every account.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        if vendor == "sqlite":
            _copy_sqlite(connection, partial)
        else:
            _run(["pg_dump", "--format=custom", f"--file={partial}"], connection.settings_dict)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    rotate(directory, keep)
    return target


def backups_in(directory: Path) -> list[Path]:
    """Return the backups in `directory`, oldest first (their names sort by time)."""
    if not directory.is_dir():
        return []
    return sorted(
        path
        for path in directory.iterdir()
        if path.name.startswith(PREFIX) and path.suffix in SUFFIXES.values() and path.is_file()
    )


def rotate(directory: Path, keep: int) -> list[Path]:
    """Delete all but the `keep` newest backups in `directory`; return those deleted."""
    old = backups_in(directory)[:-keep]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def kind_of(path: Path) -> str:
    """Return "sqlite" or "postgresql" from the file's first bytes."""
    if not path.is_file():
        raise BackupError(f"No file {path}.")
    with path.open("rb") as file:
        head = file.read(16)
    for kind, magic in MAGIC.items():
        if head.startswith(magic):
            return kind
    raise BackupError(
        f"{path} is not a Confiance backup (neither a SQLite database nor a pg_dump custom archive)."
    )


def restore(connection: Any, path: Path) -> int:
    """Restore the backup at `path` into the connection's database, which must be empty; return its tables."""
    vendor, kind = _vendor(connection), kind_of(path)
    if kind != vendor:
        raise BackupError(
            f"{path.name} is a {kind} backup, and this database is {vendor}: restore it into a {kind} one."
        )
    tables = connection.introspection.table_names()
    if tables:
        raise BackupError(
            f"The database {connection.settings_dict['NAME']} is not empty: it holds {len(tables)} tables "
            f"({', '.join(tables[:3])}, …). Restore only into an empty database: create a new one, point "
            "DATABASE_URL at it and run the restore again."
        )
    if vendor == "sqlite":
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            # A damaged file is refused before anything is written (the copy below is all or nothing too).
            [verdict] = source.execute("PRAGMA quick_check").fetchone()
            if verdict != "ok":
                raise BackupError(f"{path} is damaged: {verdict}")
            connection.ensure_connection()
            source.backup(connection.connection)
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{path} cannot be restored: {error}") from None
        finally:
            source.close()
    else:
        # No owner or grants of the old server: the restored objects belong to the user restoring them.
        _run(
            [
                "pg_restore",
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                str(path),
            ],
            connection.settings_dict,
            database_argument=True,
        )
    return len(connection.introspection.table_names())


def _vendor(connection: Any) -> str:
    if connection.vendor not in SUFFIXES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")
    return connection.vendor


def _copy_sqlite(connection: Any, path: Path) -> None:
    connection.ensure_connection()
    copy = sqlite3.connect(path)
    try:
        # pages=-1 (the default): the whole database in one step, so the copy is one consistent state.
        connection.connection.backup(copy)
        # One self-contained file (no -wal beside it), checked before it counts as a backup.
        copy.execute("PRAGMA journal_mode=DELETE")
        [verdict] = copy.execute("PRAGMA quick_check").fetchone()
        if verdict != "ok":
            raise BackupError(f"The copy failed SQLite's check: {verdict}")
    finally:
        copy.close()


def _run(command: list[str], database: dict[str, Any], database_argument: bool = False) -> None:
    """Run a PostgreSQL client program on the database, its connection in the environment (libpq's PG*)."""
    program = shutil.which(command[0])
    if program is None:
        raise BackupError(
            f"{command[0]} is not installed: install PostgreSQL's client programs (Debian: apt-get install "
            "postgresql-client), of the server's major version or newer."
        )
    environment = {
        **os.environ,
        "PGHOST": str(database.get("HOST") or "localhost"),
        "PGPORT": str(database.get("PORT") or 5432),
        "PGUSER": str(database.get("USER") or ""),
        "PGPASSWORD": str(database.get("PASSWORD") or ""),
        "PGDATABASE": str(database["NAME"]),
    }
    if sslmode := (database.get("OPTIONS") or {}).get("sslmode"):
        environment["PGSSLMODE"] = str(sslmode)
    # pg_restore reads the archive from its argument and connects only when given a database to restore into.
    arguments = [*command[1:], f"--dbname={database['NAME']}"] if database_argument else command[1:]
    done = subprocess.run([program, *arguments], env=environment, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-2000:]}")
