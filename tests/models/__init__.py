"""Tests of the data itself: constraints, generated columns and data migrations on SQLite and PostgreSQL."""
