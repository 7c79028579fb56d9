"""Backups that restore: the whole database copied to a dated file in `BACKUP_DIR` while the app runs (SQLite's
online backup API, or `pg_dump --format=custom`), the oldest files past `BACKUP_KEEP` removed, and a file restored
into an empty database (docs/operations.md)."""
