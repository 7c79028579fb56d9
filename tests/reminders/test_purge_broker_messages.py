"""The embedded broker keeps delivered messages forever; the hourly purge deletes them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from kombu import Connection

from crm.reminders.outbox import purge_acknowledged_broker_messages


def test_purge_deletes_delivered_messages_and_keeps_waiting_ones(settings: Any, tmp_path: Path) -> None:
    settings.CELERY_BROKER_URL = f"sqla+sqlite:///{tmp_path / 'broker.sqlite3'}"
    with Connection(settings.CELERY_BROKER_URL) as connection:
        queue = connection.SimpleQueue("reminders-test")
        queue.put({"n": 1})
        queue.put({"n": 2})
        queue.get(timeout=2).ack()  # delivered: kombu only marks it invisible
        queue.close()
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'broker.sqlite3'}")

    def rows() -> list[tuple[bool]]:
        with engine.connect() as db:
            return [tuple(r) for r in db.execute(sqlalchemy.text("SELECT visible FROM kombu_message"))]

    assert sorted(rows()) == [(False,), (True,)]
    assert purge_acknowledged_broker_messages(older_than=timedelta(hours=1)) == 0  # too recent
    assert purge_acknowledged_broker_messages(older_than=timedelta(0)) == 1
    assert rows() == [(True,)]
    engine.dispose()


def test_purge_does_nothing_on_redis(settings: Any) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    assert purge_acknowledged_broker_messages(older_than=timedelta(0)) == 0
