"""The mailbox sync of a large mailbox against a real Dovecot (tests/capture/dovecot.py): time, peak memory
and queries per message, for the first sync, and for the second one (nothing new).

Run by `bench/run.py` in a child process so the peak memory is the sync's own. The mailbox: a client book of
50 clients; two thirds of the messages from or to them (threads of question and answer, in the inbox and the
sent folder), one third from strangers, which the privacy sieve drops.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def _messages(count: int, now: datetime) -> tuple[list[bytes], list[bytes]]:
    """Return (inbox, sent) raw messages, `count` in all, over the last 300 days."""
    from tests.capture.conftest import mail

    inbox, sent = [], []
    for n in range(count):
        at = now - timedelta(days=300) + timedelta(minutes=86 * n)
        # A question (even n) and its answer (the next n) are with the same client.
        pair = (n - n % 2) % 50
        client = f"contact{pair:02d}@client{pair:02d}.example"
        if n % 3 == 2:
            inbox.append(
                mail(f"news{n}@stranger.example", "me@freelance.example", f"Offer {n}", f"<s{n}@x>", at)
            )
        elif n % 2:
            sent.append(
                mail(
                    "me@freelance.example",
                    client,
                    f"Re: Q{n - 1}",
                    f"<m{n}@me>",
                    at,
                    in_reply_to=f"<m{n - 1}@c>",
                )
            )
        else:
            inbox.append(mail(client, "me@freelance.example", f"Q{n}", f"<m{n}@c>", at))
    return inbox, sent


def child(count: int) -> dict[str, Any]:
    """Build the book and the mailbox, sync twice; return the figures."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from bench.run import QueryCount, peak_rss_mb
    from clients.models import Client, Contact
    from crm.capture import sync
    from crm.capture.secrets import encrypt
    from crm.models import Interaction, Mailbox
    from tests.capture.dovecot import DOVECOT, Dovecot

    if DOVECOT is None:
        return {"skipped": "dovecot is not installed (make dovecot)"}
    root = Path(tempfile.mkdtemp(prefix="confiance-bench-dovecot-"))
    server = Dovecot(root)
    server.add_user("bench", "bench-password")
    server.start()
    try:
        owner = get_user_model().objects.create_user("capture_bench", "me@freelance.example", "x")
        clients = Client.objects.bulk_create(
            [
                Client(owner=owner, name=f"Client {i}", email=f"contact{i:02d}@client{i:02d}.example")
                for i in range(50)
            ]
        )
        # bulk_create skips Client.save, which gives a client with an address its primary contact.
        Contact.objects.bulk_create(
            [Contact(client=c, name=c.name, email=c.email, is_primary=True) for c in clients]
        )
        box = Mailbox.objects.create(
            owner=owner,
            imap_host=server.host,
            imap_port=server.port,
            imap_security="none",
            imap_user="bench",
            imap_secret=encrypt("bench-password"),
            address="me@freelance.example",
        )
        inbox, sent = _messages(count, datetime.now(UTC))
        started = time.perf_counter()
        with server.imap("bench") as imap:
            for folder, batch in (("INBOX", inbox), ("Sent", sent)):
                for start in range(0, len(batch), 500):
                    imap.multiappend(folder, batch[start : start + 500])
        fill_s = time.perf_counter() - started
        baseline = peak_rss_mb()
        first_queries, second_queries = QueryCount(), QueryCount()
        with connection.execute_wrapper(first_queries):
            started = time.perf_counter()
            outcome = sync.sync_mailbox(box.pk)
            first_s = time.perf_counter() - started
        with connection.execute_wrapper(second_queries):
            started = time.perf_counter()
            sync.sync_mailbox(box.pk)
            second_s = time.perf_counter() - started
        logged = Interaction.objects.filter(client__owner=owner).count()
        return {
            "messages": count,
            "outcome": outcome,
            "logged": logged,
            "answers_linked": Interaction.objects.filter(client__owner=owner, answers__isnull=False).count(),
            "fill_s": fill_s,
            "first_sync_s": first_s,
            "per_message_ms": first_s / count * 1000,
            "queries": first_queries.count,
            "queries_per_message": first_queries.count / count,
            "second_sync_s": second_s,
            "second_sync_queries": second_queries.count,
            "peak_mb": peak_rss_mb(),
            "growth_mb": peak_rss_mb() - baseline,
        }
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    import os
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    print(json.dumps(child(int(sys.argv[1]))))
