#!/usr/bin/env python
"""`make bench`: build large books in a separate database, measure every page against the floor, print a table.

The floor is an authenticated request to a view that renders a one-line template: what Django itself costs per
request here. Each row is timed interleaved with the floor (`Bench.measure`: floor and row alternate in short
blocks), so its "x floor" is a median of per-block ratios with their p10-p90 spread, and a busy machine slows both
sides alike. Issue 23's targets are printed beside the figures (`Target`). Every figure is also written to
bench/results.json (`ratio_to_floor`, `queries`, `ratio_p10`, `ratio_p90` per row). `--small` is the CI mode
(about a minute); `--pages` measures the main book's pages, API and writes only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results.json"


def use_separate_database() -> None:
    """Point DATABASE_URL at a bench database: var/bench.sqlite3, or `<name>_bench` on PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        base, _, name = url.rpartition("/")
        bench_name = f"{name or 'postgres'}_bench"
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{bench_name}"')
            conn.execute(f'CREATE DATABASE "{bench_name}"')
        os.environ["DATABASE_URL"] = f"{base}/{bench_name}"
    else:
        path = ROOT / "var" / "bench.sqlite3"
        path.parent.mkdir(exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    (ROOT / "var" / "bench-broker.sqlite3").unlink(missing_ok=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"


@contextmanager
def items_not_drawn() -> Iterator[None]:
    """Draw every journal item and client row as a constant while inside (`crm.web.fragments`)."""
    from crm.web import fragments

    draw = fragments._render
    fragments._render = lambda partial, item, *rest: f"<!-- {partial} -->"
    try:
        yield
    finally:
        fragments._render = draw


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def summarize(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": statistics.median(ordered) * 1000, "p95_ms": p95 * 1000, "n": len(ordered)}


def percentile(values: list[float], fraction: float) -> float:
    """Return the `fraction` percentile of `values`, interpolated between the two nearest ranks."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# Requests per block: the floor and the row alternate in blocks this short, so whatever else the machine does
# in those few milliseconds weighs on both; each block gives one ratio, and the row's figure is their median.
# Even, because on a busy machine request times were seen to alternate slow, fast, slow (another process's
# time slices): a block of 3 then drew the floor's median from the slow ones in one block, the fast in the next.
BLOCK = 2


@dataclass(frozen=True)
class Target:
    """What issue 23 asks of a row: at most `ratio` × the interleaved floor, `queries` queries, `ms` milliseconds
    (each optional). The targets are stated for a book of 2,000 clients (the full bench)."""

    ratio: float | None = None
    queries: int | None = None
    ms: float | None = None

    def label(self) -> str:
        parts = [f"≤{self.ratio:g}×" if self.ratio is not None else ""]
        parts += [f"≤{self.queries}q" if self.queries is not None else ""]
        parts += [f"≤{self.ms:g}ms" if self.ms is not None else ""]
        return " ".join(part for part in parts if part)

    def met(self, row: dict[str, Any]) -> bool:
        return (
            (self.ratio is None or row["ratio_to_floor"] <= self.ratio)
            and (self.queries is None or row["queries"] <= self.queries)
            and (self.ms is None or row["median_ms"] <= self.ms)
        )


class Bench:
    def __init__(self, small: bool) -> None:
        self.small = small
        self.results: dict[str, Any] = {
            "mode": "small" if small else "full",
            "pages": {},
            "dashboard_growth": {},
        }
        self.targets: dict[str, Target] = {}
        self._floor: Callable[[], Any] | None = None

    # -- building books -------------------------------------------------------------------------------------

    def seed(self, username: str, clients: int, events: int) -> float:
        from django.core.management import call_command

        seconds = timed(
            lambda: call_command(
                "seed_demo", clients=clients, events_per_client=events, username=username, verbosity=0
            )
        )
        print(f"  seeded {username}: {clients} clients x {events} events in {seconds:.1f} s", flush=True)
        self.results.setdefault("seed_seconds", {})[username] = round(seconds, 2)
        return seconds

    def analyze(self) -> None:
        """Give PostgreSQL's planner the statistics of the books just written, as its autovacuum would in a running
        deployment: without them it guesses one row per table and sorts or hashes whole books."""
        from django.db import connection

        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")

    def grow_timeline(self, client: Any, events: int) -> None:
        """Give one client a long timeline (mostly interactions, some promises and invoices)."""
        from datetime import timedelta
        from decimal import Decimal

        from django.utils import timezone

        from crm.models import Interaction, Invoice, Promise
        from crm.trust.health import recompute_client

        now = timezone.now()
        interactions = [
            Interaction(
                client=client,
                kind=Interaction.Kind.EMAIL if i % 7 else Interaction.Kind.STATUS_UPDATE,
                direction=Interaction.Direction.TO_CLIENT if i % 2 else Interaction.Direction.FROM_CLIENT,
                happened_at=now - timedelta(hours=6 * i),
                summary=f"Échange {i}",
            )
            for i in range(int(events * 0.8))
        ]
        Interaction.objects.bulk_create(interactions, batch_size=1000)
        today = now.date()
        promises = [
            Promise(
                client=client,
                description=f"Livraison {i}",
                made_on=today - timedelta(days=i + 10),
                due_on=today - timedelta(days=i),
                state=Promise.State.KEPT,
                kept_on=today - timedelta(days=i),
            )
            for i in range(int(events * 0.15))
        ]
        Promise.objects.bulk_create(promises, batch_size=1000)
        invoices = [
            Invoice(
                owner=client.owner,
                client=client,
                number=f"BENCH-{client.pk}-{i}",
                amount=Decimal("950.00"),
                issued_on=today - timedelta(days=30 + i),
                due_on=today - timedelta(days=i),
                paid_on=today - timedelta(days=i),
            )
            for i in range(events - len(interactions) - len(promises))
        ]
        Invoice.objects.bulk_create(invoices, batch_size=1000)
        recompute_client(client.pk)

    def give_written_trace(self, client_id: int) -> None:
        """Give one client what issue 26 writes down: a project with scope changes (one accepted by both, one
        waiting for the client, one declined), recaps of calls with two lines each (confirmed, corrected, or not
        answered), check-ins (one withdrawn) and concerns raised on their page (one withdrawn)."""
        from datetime import timedelta
        from decimal import Decimal

        from django.utils import timezone

        from clients.models import Client, Project
        from conflicts.models import ConflictSignal
        from crm.models import CheckIn, Interaction, Promise, Recap, RecapLine, ScopeChange
        from crm.trust.door import journal_changed

        client = Client.objects.get(pk=client_id)
        now = timezone.now()
        today = timezone.localdate()
        project = Project.objects.create(
            client=client,
            title="Refonte",
            goals="Vendre en ligne",
            deliverables="Catalogue\nPaiement",
            budget=Decimal("4000"),
            due_on=today + timedelta(days=60),
        )
        for i, (price, client_accepts) in enumerate([(Decimal("800"), True), (None, None), (None, False)]):
            change = ScopeChange(
                client=client,
                project=project,
                asked_on=today - timedelta(days=10 - i),
                asked_by=ScopeChange.Side.FREELANCER,
                description=f"Changement {i}",
                price_change=price,
                deadline_change_days=7,
            )
            change.ask(now)
            change.save()
            if client_accepts is not None:
                change.decide(ScopeChange.Side.CLIENT, client_accepts, now)
        for i in range(3):
            call = Interaction.objects.create(
                client=client,
                kind=Interaction.Kind.CALL,
                happened_at=now - timedelta(days=7 * i),
                summary="Point",
            )
            recap = Recap.objects.create(client=client, interaction=call, decided=f"Décision {i}")
            lines = [
                RecapLine.objects.create(
                    recap=recap,
                    client=client,
                    position=position,
                    promise=Promise.objects.create(
                        client=client,
                        promisor=promisor,
                        description=f"Ligne {i}.{position}",
                        made_on=today,
                        due_on=today + timedelta(days=7),
                    ),
                )
                for position, promisor in ((1, "freelancer"), (2, "client"))
            ]
            if i == 0:
                recap.confirm(now)
            elif i == 1:
                lines[0].confirm(now)
                lines[1].correct("Plutôt vendredi", now)
        for i, level in enumerate(["good", "mixed", "good", "poor"]):
            check_in = CheckIn.objects.create(
                client=client, level=level, note=f"Note {i}", answered_at=now - timedelta(days=14 * i)
            )
            if i == 3:
                check_in.withdraw(now)
        for i, kind in enumerate(["ideas", "payment"]):
            concern = ConflictSignal.objects.create(
                client=client,
                kind=kind,
                observed_on=today - timedelta(days=i),
                description=f"Ce qui me gêne {i}",
                raised_by=ConflictSignal.RaisedBy.CLIENT,
            )
            if i == 1:
                concern.withdraw(today, now)
        journal_changed([client_id])

    # -- measuring requests ---------------------------------------------------------------------------------

    def user(self, username: str) -> Any:
        from django.contrib.auth import get_user_model

        return get_user_model().objects.get(username=username)

    def login(self, username: str) -> Any:
        from django.test import Client as HttpClient

        http = HttpClient()
        http.force_login(self.user(username))
        return http

    def floor_request(self) -> Callable[[], Any]:
        """Return the floor: an authenticated GET of a view that renders a one-line template (bench/urls.py)."""
        if self._floor is None:
            from django.contrib.auth import get_user_model
            from django.test import Client as HttpClient
            from django.urls import reverse

            http = HttpClient()
            http.force_login(get_user_model().objects.order_by("pk").first())
            url = reverse("bench_floor")
            self._floor = lambda: http.get(url)
        return self._floor

    def measure(
        self,
        name: str,
        request: Callable[[], Any],
        repeat: int,
        expect: tuple[int, ...] = (200,),
        cold: bool = False,
        before: Callable[[], Any] | None = None,
        target: Target | None = None,
    ) -> dict[str, Any]:
        """Time `request` interleaved with the floor; `cold` empties the cache before each one, `before` runs
        first (both untimed). Add a row by calling this with a name (kept in bench/results.json) and its target.

        The floor and the row alternate in blocks of `BLOCK` requests; each block's ratio is the row's median over
        the floor's median in that block. The row's `ratio_to_floor` is the median of those ratios, with their
        10th and 90th percentiles as its spread: a busy machine slows both sides of a block alike.
        """
        from django.core.cache import cache
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        prepare = cache.clear if cold else before or (lambda: None)
        floor = self.floor_request()
        floor()
        prepare()
        response = request()  # warm templates (and, unless cold, the caches)
        if response.status_code not in expect:
            raise SystemExit(f"{name}: HTTP {response.status_code}")
        prepare()
        with CaptureQueriesContext(connection) as queries:
            request()
        # Count now: the captured list is read from the connection's log, which the next request clears.
        query_count = len(queries)
        samples: list[float] = []
        floor_samples: list[float] = []
        ratios: list[float] = []
        for block in range(max(5, repeat // BLOCK)):
            floors, rows = [], []
            for side in (0, 1) if block % 2 else (1, 0):  # which side goes first alternates too
                for _ in range(BLOCK):
                    if side:
                        floors.append(timed(floor))
                    else:
                        prepare()
                        rows.append(timed(request))
            ratios.append(statistics.median(rows) / statistics.median(floors))
            samples += rows
            floor_samples += floors
        row = {
            **summarize(samples),
            "queries": query_count,
            "ratio_to_floor": round(statistics.median(ratios), 2),
            "ratio_p10": round(percentile(ratios, 0.1), 2),
            "ratio_p90": round(percentile(ratios, 0.9), 2),
            "floor_median_ms": statistics.median(floor_samples) * 1000,
        }
        if target is not None:
            row["target"] = {key: value for key, value in asdict(target).items() if value is not None}
            row["target_met"] = target.met(row)
            self.targets[name] = target
        self.results["pages"][name] = row
        return row

    def pages(self, username: str, workspace_client_id: int) -> None:
        from django.urls import NoReverseMatch, reverse

        from clients.models import Client

        http = self.login(username)
        repeat = 10 if self.small else 60
        get = lambda url: lambda: http.get(url)  # noqa: E731
        # Clients of the book as seeded (about 100 events each), beside the one with the long timeline: one
        # for the reads and the log, one for the edits and the one-click actions, one for the trash.
        typical = (
            Client.objects.filter(owner__username=username).exclude(pk=workspace_client_id).order_by("pk")
        )
        middle = typical.count() // 2
        typical_id, edited_id, trashed_id = typical.values_list("pk", flat=True)[middle : middle + 3]
        workspace = reverse("web:client", args=[workspace_client_id])
        warm = Target(ratio=5)  # "every warm page ≤ 5× as today"
        self.measure("floor", self.floor_request(), repeat)
        self.measure("dashboard", get(reverse("web:dashboard")), repeat, target=warm)
        self.measure(
            "dashboard, cold caches",
            get(reverse("web:dashboard")),
            repeat,
            cold=True,
            target=Target(ratio=10),
        )
        # What a freelancer meets after an action: one promise of the week changed and the journal's door run, as
        # every path that changes a journal does (its client rescored, the book version moved), everything else as
        # cached. (A bare save no longer rescores anything: it would measure a warm dashboard.)
        from crm.models import Promise
        from crm.trust.door import journal_changed

        promise = Promise.objects.for_owner(self.user(username)).open().order_by("due_on").first()
        edits = iter(range(10**9))

        def change_one_promise() -> None:
            promise.description = f"Livraison {next(edits)}"
            promise.save()
            journal_changed([promise.client_id])

        self.measure(
            "dashboard after one change",
            get(reverse("web:dashboard")),
            repeat,
            before=change_one_promise,
            target=Target(ratio=5),
        )
        self.measure("client workspace (5,000-event timeline)", get(workspace), repeat, target=warm)
        self.measure("client workspace (5,000 events), cold caches", get(workspace), repeat, cold=True)
        typical_workspace = reverse("web:client", args=[typical_id])
        self.measure("client workspace (typical client)", get(typical_workspace), repeat, target=warm)
        self.measure(
            "client workspace (typical client), cold caches",
            get(typical_workspace),
            repeat,
            cold=True,
            target=Target(ratio=8),
        )
        # What the two cold pages cost without their items (the week's work, the ranked clients, the timeline):
        # the same requests with each item drawn as a constant. What is left is the reads and the page around the
        # items, a bound no way of drawing items can go under (docs/performance.md, issue 23's sixth session).
        with items_not_drawn():
            self.measure(
                "dashboard, cold caches, items not drawn", get(reverse("web:dashboard")), repeat, cold=True
            )
            self.measure(
                "workspace (typical client), cold, items not drawn",
                get(typical_workspace),
                repeat,
                cold=True,
            )
        # The page a freelancer comes back to after logging something on a client's page: its score panel and
        # timeline drawn again (each item from the cache unless it changed).
        their_promise = Promise.objects.filter(client_id=typical_id).order_by("pk").first()

        def change_one_of_its_promises() -> None:
            their_promise.description = f"Maquette {next(edits)}"
            their_promise.save()
            journal_changed([typical_id])

        self.measure(
            "client workspace after one change (typical client)",
            get(typical_workspace),
            repeat,
            before=change_one_of_its_promises,
        )
        # The client's page of the client with the long timeline, as the client opens it (no login) and as the
        # freelancer previews it; the rate limit of token pages (60/m) is lifted for the bench's repeats.
        from django.test import Client as HttpClient
        from django.test import override_settings

        from crm.models import ClientPage

        client_page, _created = ClientPage.objects.get_or_create(client_id=workspace_client_id)
        with override_settings(RATE_LIMIT_TOKEN_PAGES="1000000/s"):
            anonymous = HttpClient()
            self.measure(
                "client's page (5,000-event client)",
                lambda: anonymous.get(reverse("portal:page", args=[client_page.token])),
                repeat,
            )
            # A typical client who wrote on their page (issue 26): check-ins, concerns, recaps with their lines
            # answered or not, scope changes to decide; the client's page reads all of them.
            voice_id = typical.values_list("pk", flat=True)[middle + 3]
            voice_page, _created = ClientPage.objects.get_or_create(client_id=voice_id)
            self.give_written_trace(voice_id)
            self.measure(
                "client's page (with check-ins and recaps)",
                lambda: anonymous.get(reverse("portal:page", args=[voice_page.token])),
                repeat,
            )
        self.measure(
            "client's page preview",
            get(reverse("web:client_page_preview", args=[workspace_client_id])),
            repeat,
        )
        for name, url_name in [
            ("clients list", "web:clients"),
            ("promises list", "web:promises"),
            ("invoices list", "web:invoices"),
            ("conflicts list", "web:conflicts"),
            ("payment reminders to approve", "web:payment_reminders"),
        ]:
            try:
                url = reverse(url_name)
            except NoReverseMatch:
                print(f"  (no {url_name} page to measure)")
                continue
            self.measure(name, get(url), repeat, target=warm)
        # The lists' other tabs, latest first: the kept promises are most of a book's (16,000 here), on the third
        # page as a freelancer paging back through them.
        self.measure(
            "promises list, Kept tab, third page", get(f"{reverse('web:promises')}?show=kept&page=3"), repeat
        )
        self.measure("invoices list, Paid tab", get(f"{reverse('web:invoices')}?show=paid"), repeat)
        # "Log something: an interaction" from the dashboard: the form offers every client, project and contact.
        self.measure(
            "new interaction form (the whole book offered)", get(reverse("web:interaction_new")), repeat
        )

        # The payment follow-up's planner, which every sweep runs over every freelancer's overdue invoices: the
        # first run prepares the reminders due, the next ones find nothing new (the every-minute cost).
        from django.utils import timezone

        from crm.reminders import payment_follow_up

        def plan_once() -> Any:
            payment_follow_up.plan(timezone.now())
            return SimpleNamespace(status_code=200)  # measure() checks an answer: the planner has none

        self.measure("payment reminders planned (each sweep)", plan_once, repeat)
        self.writes(http, typical_id, edited_id, trashed_id, workspace_client_id)

    def writes(
        self, http: Any, typical_id: int, edited_id: int, trashed_id: int, workspace_client_id: int
    ) -> None:
        """The writes a freelancer makes, each a real request through its view (no-JS redirects)."""
        from django.urls import reverse

        from clients.forms import ClientForm
        from clients.models import Client
        from crm.models import Promise, TrashItem, Undo

        repeat = 10 if self.small else 60
        owner = Client.objects.get(pk=typical_id).owner
        url = reverse("web:interaction_new")
        counter = iter(range(10**9))

        def post(path: str, data: Any = None) -> Any:
            # A browser follows the redirect and shows the message it carries; the bench does not follow it, so it
            # drops the message: else messages pile up in the cookie, then in the session (a write more per post).
            http.cookies.pop("messages", None)
            return http.post(path, data)

        def log_interaction(client_id: int) -> Callable[[], Any]:
            return lambda: post(
                url,
                {
                    "client": client_id,
                    "kind": "call",
                    "direction": "from_client",
                    "happened_at": "2026-01-05T10:00",
                    "summary": f"Appel {next(counter)}",
                },
            )

        log_target = Target(ratio=4, queries=12)
        self.measure(
            "log interaction, typical client (POST + recompute)",
            log_interaction(typical_id),
            repeat,
            (302,),
            target=log_target,
        )
        self.measure(
            "log interaction, 5,000-event client (POST + recompute)",
            log_interaction(workspace_client_id),
            repeat,
            (302,),
        )

        # Edit a client as its form posts it (a new one-time token, the values as drawn), the name changed: a
        # field no score reads.
        edit_url = reverse("web:client_edit", args=[edited_id])
        posted: dict[str, Any] = {}

        def draw_client_form() -> None:
            form = ClientForm(instance=Client.objects.get(pk=edited_id))
            posted.clear()
            for field in form:
                value = field.value()
                if value is None or value is False:
                    continue
                posted[field.html_name] = "on" if value is True else value
            posted["name"] = f"Client modifié {next(counter)}"

        self.measure(
            "edit a client, its name (POST)",
            lambda: post(edit_url, posted),
            repeat,
            (302,),
            before=draw_client_form,
            target=Target(ratio=4, queries=10),
        )

        # A promise made through the API by a script (a write token), as JSON.
        from datetime import timedelta

        from django.conf import settings
        from django.test import Client as HttpClient
        from django.utils import timezone

        from clients.models import AccessToken

        settings.RATE_LIMIT_API = "1000000/m"  # the bench measures the request, not the limit's 429
        _token, raw = AccessToken.issue(owner, "bench writes", AccessToken.Scope.WRITE)
        api = HttpClient(headers={"Authorization": f"Bearer {raw}"})
        due = (timezone.localdate() + timedelta(days=10)).isoformat()
        self.measure(
            "API create (promise)",
            lambda: api.post(
                "/api/promises",
                json.dumps(
                    {"client_id": edited_id, "description": f"Maquette {next(counter)}", "due_on": due}
                ),
                content_type="application/json",
            ),
            repeat,
            (201,),
            target=Target(ratio=4),
        )

        # One click: a promise marked kept (reopened untimed before each), and the undo of a click.
        promise = Promise.objects.create(
            client_id=edited_id,
            description="Tenue à la main",
            made_on=timezone.localdate() - timedelta(days=5),
            due_on=timezone.localdate() + timedelta(days=5),
        )
        keep_url = reverse("web:promise_keep", args=[promise.pk])
        reopen_url = reverse("web:promise_reopen", args=[promise.pk])
        self.measure(
            "mark a promise kept (POST)",
            lambda: post(keep_url),
            repeat,
            (302,),
            before=lambda: post(reopen_url),
            target=Target(ratio=4),
        )
        undone: dict[str, str] = {}

        def keep_then_find_its_undo() -> None:
            post(reopen_url)
            post(keep_url)
            undo = Undo.objects.filter(owner=owner).order_by("-pk").values_list("pk", flat=True).first()
            undone["url"] = reverse("web:undo", args=[undo])

        self.measure(
            "undo (the promise kept)",
            lambda: post(undone["url"]),
            repeat,
            (302,),
            before=keep_then_find_its_undo,
            target=Target(ratio=4),
        )

        # A seeded client (about 100 events in the full bench) to the trash, and back.
        delete_url = reverse("web:client_delete", args=[trashed_id])

        def restore_url() -> str:
            item = TrashItem.objects.filter(owner=owner).order_by("-pk").values_list("pk", flat=True).first()
            return reverse("web:trash_restore", args=[item])

        def restore_if_trashed() -> None:
            if not Client.objects.filter(pk=trashed_id).exists():
                post(restore_url())

        def trash_if_present() -> None:
            if Client.objects.filter(pk=trashed_id).exists():
                post(delete_url)
            undone["restore"] = restore_url()

        self.measure(
            "a seeded client to the trash (POST)",
            lambda: post(delete_url),
            repeat,
            (302,),
            before=restore_if_trashed,
        )
        self.measure(
            "restore it from the trash (POST)",
            lambda: post(undone["restore"]),
            repeat,
            (302,),
            before=trash_if_present,
        )
        restore_if_trashed()

    def api(self, username: str, client_id: int) -> None:
        """One list and one detail request of the REST API (crm/api), with a bearer token, as a script sends them."""
        from django.conf import settings
        from django.test import Client as HttpClient

        from clients.models import AccessToken

        settings.RATE_LIMIT_API = "1000000/m"  # the bench measures the request, not the limit's 429
        _token, raw = AccessToken.issue(self.user(username), "bench", AccessToken.Scope.READ)
        http = HttpClient(headers={"Authorization": f"Bearer {raw}"})
        repeat = 10 if self.small else 60
        get = lambda url: lambda: http.get(url)  # noqa: E731
        self.measure("API list: clients, 50 per page", get("/api/clients?limit=50"), repeat)
        self.measure("API list: promises, 200 per page", get("/api/promises?limit=200"), repeat)
        self.measure("API detail: one client", get(f"/api/clients/{client_id}"), repeat)
        self.measure("API detail: a client's trust health", get(f"/api/clients/{client_id}/health"), repeat)

    def dashboard_growth(self, sizes: list[tuple[str, int]]) -> None:
        from django.urls import reverse

        repeat = 10 if self.small else 40
        for username, clients in sizes:
            http = self.login(username)
            dashboard = lambda h=http: h.get(reverse("web:dashboard"))  # noqa: E731
            self.results["dashboard_growth"][clients] = self.measure(
                f"dashboard @ {clients} clients", dashboard, repeat
            )
            self.results.setdefault("dashboard_growth_cold", {})[clients] = self.measure(
                f"dashboard @ {clients} clients, cold caches", dashboard, repeat, cold=True
            )

    # -- bulk recompute ---------------------------------------------------------------------------------------

    def recompute(self, username: str, clients: int) -> None:
        """Run the bulk recompute and the read floor in a child process, so peak memory is its own."""
        out = subprocess.run(
            [sys.executable, __file__, "--recompute-child", username],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
            check=True,
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        row["ratio_to_read_floor"] = round(row["recompute_s"] / row["read_floor_s"], 2)
        self.results.setdefault("bulk_recompute", {})[clients] = row

    # -- import and export (crm/dataio) ----------------------------------------------------------------------

    def dataio(self, rows: int, export_username: str, clients: int) -> None:
        """Import a CSV of `rows` rows, then export a book of `clients` clients (ZIP and JSON), each in a child
        process so its peak memory is its own."""
        for args, key in [
            (["--import-child", str(rows)], ("import_csv", rows)),
            (["--export-child", export_username], ("export", clients)),
        ]:
            out = subprocess.run(
                [sys.executable, __file__, *args],
                capture_output=True,
                text=True,
                env=os.environ.copy(),
                check=True,
            )
            self.results.setdefault(key[0], {})[key[1]] = json.loads(out.stdout.strip().splitlines()[-1])

    # -- the evidence pack (crm/evidence) ----------------------------------------------------------------------

    def evidence_pack(self, client_id: int) -> None:
        """Build the evidence pack of the client with the long timeline in a child process (its PDF laid out by
        WeasyPrint, its ZIP written), so the time and the peak memory are the worker's own."""
        out = subprocess.run(
            [sys.executable, __file__, "--evidence-child", str(client_id)],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
            check=True,
        )
        self.results["evidence_pack"] = json.loads(out.stdout.strip().splitlines()[-1])

    # -- digests through a real worker ------------------------------------------------------------------------

    def digests(self, freelancers: int) -> None:
        from bench.digests import build_population, measure

        build_population(freelancers)
        self.results["digests"] = measure(freelancers, ROOT)

    # -- mailbox sync against a real Dovecot --------------------------------------------------------------------

    def capture(self, messages: int) -> None:
        """Sync a mailbox of `messages` messages in a child process (bench/capture.py), its memory its own."""
        out = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "capture.py"), str(messages)],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
            check=True,
        )
        self.results["capture"] = json.loads(out.stdout.strip().splitlines()[-1])

    # -- HTTP throughput under gunicorn -----------------------------------------------------------------------

    def http_throughput(self, username: str) -> None:
        wrk = shutil.which("wrk")
        if not wrk:
            print("  (wrk is not installed: `apt-get install wrk`; skipping HTTP throughput)")
            self.results["http"] = "wrk missing"
            return
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.contrib.sessions.backends.db import SessionStore

        user = get_user_model().objects.get(username=username)
        session = SessionStore()
        session["_auth_user_id"] = str(user.pk)
        session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
        session["_auth_user_hash"] = user.get_session_auth_hash()
        session.create()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "bench.wsgi",
                "-w",
                "2",
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
        )
        try:
            # Ready when both workers answer a real request (a bound socket alone says the master is up, not
            # that the workers have finished importing Django), and warm.
            cookie = {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}"}
            answered, deadline = 0, time.monotonic() + 60
            while answered < 20 and time.monotonic() < deadline:
                for path in ("/bench/floor/", "/"):
                    try:
                        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=cookie)
                        with urllib.request.urlopen(request, timeout=5) as response:
                            answered += response.status == 200
                    except OSError:
                        time.sleep(0.2)
            script = Path(tempfile.mkdtemp()) / "p95.lua"
            script.write_text(
                "done = function(summary, latency, requests)\n"
                '  io.write(string.format("P95_US %d\\nERRORS %d\\n", latency:percentile(95),\n'
                "    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status +"
                " summary.errors.timeout))\nend\n"
            )
            duration = "3s" if self.small else "15s"
            for name, path in [("floor", "/bench/floor/"), ("dashboard", "/")]:
                out = subprocess.run(
                    [
                        wrk,
                        "-t2",
                        "-c8",
                        f"-d{duration}",
                        "-s",
                        str(script),
                        "-H",
                        f"Cookie: {settings.SESSION_COOKIE_NAME}={session.session_key}",
                        f"http://127.0.0.1:{port}{path}",
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
                self.results.setdefault("http", {})[name] = {
                    "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
                    "p95_ms": int(re.search(r"P95_US (\d+)", out).group(1)) / 1000,
                    "errors": int(re.search(r"ERRORS (\d+)", out).group(1)),
                    "non_2xx": int(m.group(1))
                    if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out))
                    else 0,
                }
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=20)

    # -- report -------------------------------------------------------------------------------------------------

    def report(self) -> None:
        pages = self.results["pages"]
        print()
        if self.small:
            print("(small books: the targets are stated for 2,000 clients, `make bench` without SMALL)")
        print(
            f"{'request':56} {'median ms':>10} {'x floor':>8} {'p10-p90':>11} {'queries':>8}  {'target':<14}"
        )
        for name, row in pages.items():
            target = self.targets.get(name)
            verdict = f"{target.label():<12} {'✓' if row.get('target_met') else '✗'}" if target else ""
            # Rows timed in their own loop (the sweeps, bench/sweeps.py) have no per-block spread.
            spread = f"{row['ratio_p10']:.1f}-{row['ratio_p90']:.1f}" if "ratio_p10" in row else "-"
            print(
                f"{name:56} {row['median_ms']:10.2f} {row['ratio_to_floor']:8.2f} {spread:>11}"
                f" {row['queries']:8d}  {verdict}"
            )
        for key, label in [
            ("dashboard_growth", "dashboard"),
            ("dashboard_growth_cold", "dashboard, cold caches"),
        ]:
            growth = self.results.get(key, {})
            if len(growth) >= 2:
                sizes = sorted(growth)
                ratio = round(growth[sizes[-1]]["median_ms"] / growth[sizes[-2]]["median_ms"], 2)
                self.results[f"{key}_ratio"] = ratio
                print(
                    f"\n{label} growth: " + ", ".join(f"{s}: {growth[s]['median_ms']:.1f} ms" for s in sizes)
                )
                print(f"  largest / previous = {ratio}")
        for clients, row in self.results.get("bulk_recompute", {}).items():
            print(
                f"\nbulk recompute {clients} clients: {row['recompute_s']:.2f} s, read floor {row['read_floor_s']:.2f} s,"
                f" ratio {row['ratio_to_read_floor']}, peak memory {row['peak_mb']:.0f} MB, queries {row['queries']}"
            )
        for rows, row in self.results.get("import_csv", {}).items():
            print(
                f"\nimport of a {rows}-row CSV: {row['check_s']:.2f} s to read and check, {row['import_s']:.2f} s to"
                f" write (all in one transaction), peak memory {row['peak_mb']:.0f} MB (+{row['growth_mb']:.0f} MB)"
            )
        for clients, row in self.results.get("export", {}).items():
            print(
                f"\nexport of a {clients}-client book: ZIP {row['zip_s']:.2f} s ({row['zip_mb']:.1f} MB), JSON"
                f" {row['json_s']:.2f} s ({row['json_mb']:.1f} MB), streamed; peak memory {row['peak_mb']:.0f} MB"
                f" (+{row['growth_mb']:.0f} MB)"
            )
        pack = self.results.get("evidence_pack")
        if isinstance(pack, dict):
            print(
                f"\nevidence pack of a {pack['events']}-event client: {pack['build_s']:.2f} s (PDF {pack['pdf_pages']}"
                f" pages, {pack['pdf_mb']:.2f} MB; ZIP {pack['zip_mb']:.2f} MB), peak memory {pack['peak_mb']:.0f} MB"
                f" (+{pack['growth_mb']:.0f} MB), {pack['queries']} queries"
            )
        if isinstance(self.results.get("digests"), dict):
            d = self.results["digests"]
            worker_cpu = f"{d['worker_cpu_ms']:.1f} ms" if d.get("worker_cpu_ms") is not None else "n/a"
            print(
                f"\ndigests: {d['freelancers']} freelancers in {d['total_s']:.2f} s by one worker"
                f" ({d['per_digest_ms']:.1f} ms each, wall); inside the task {d['task_cpu_median_ms']:.1f} ms CPU"
                f" (median), {d['task_wall_median_ms']:.1f} ms wall; worker process CPU {worker_cpu} per digest"
                f" incl. broker; {d['queries_per_digest']} queries per digest, emails {d['emails']}"
            )
        capture = self.results.get("capture")
        if isinstance(capture, dict) and "skipped" in capture:
            print(f"\nmailbox sync: skipped, {capture['skipped']}")
        elif isinstance(capture, dict):
            print(
                f"\nmailbox sync of {capture['messages']} messages (real Dovecot): {capture['first_sync_s']:.2f} s"
                f" ({capture['per_message_ms']:.2f} ms per message), peak memory {capture['peak_mb']:.0f} MB"
                f" (+{capture['growth_mb']:.0f} MB during the sync), {capture['queries_per_message']:.2f} queries per"
                f" message; {capture['logged']} logged, {capture['answers_linked']} answers linked; second sync"
                f" {capture['second_sync_s']:.2f} s, {capture['second_sync_queries']} queries"
            )
        if isinstance(self.results.get("http"), dict):
            for name, row in self.results["http"].items():
                print(
                    f"\nHTTP {name} (gunicorn -w 2, wrk -c8): {row['requests_per_s']:.0f} req/s, p95 {row['p95_ms']:.1f} ms,"
                    f" errors {row['errors']}, non-2xx {row['non_2xx']}"
                )
        RESULTS.write_text(json.dumps(self.results, indent=2, default=str))
        print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


def read_floor(owner: Any) -> None:
    """The cheapest honest read of a book: one aggregate pass per table, grouped by client."""
    from django.db.models import Count, Max

    from conflicts.models import ConflictSignal
    from crm.models import Interaction, Invoice, Promise

    for model, latest in [
        (Interaction, "happened_at"),
        (Promise, "due_on"),
        (Invoice, "due_on"),
        (ConflictSignal, "observed_on"),
    ]:
        list(
            model.objects.filter(client__owner=owner)
            .values("client_id")
            .annotate(n=Count("pk"), latest=Max(latest))
            .order_by()
        )


class QueryCount:
    """An execute wrapper that counts the queries run through it, without keeping their SQL (as
    CaptureQueriesContext would: a bulk run holds every statement then)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def _own_kb() -> int | None:
    """Return this process's own resident pages now (anonymous and shared memory) in kB; None without /proc."""
    try:
        with open("/proc/self/status") as status:
            return sum(int(line.split()[1]) for line in status if line.startswith(("RssAnon:", "RssShmem:")))
    except OSError:
        return None


_own_peak_kb = 0


def _watch_own_memory(every: float = 0.005) -> None:
    """Keep `_own_peak_kb`, the highest of `_own_kb`, from a daemon thread sampling it every `every` seconds."""
    import threading

    def watch() -> None:
        global _own_peak_kb
        while True:
            _own_peak_kb = max(_own_peak_kb, _own_kb() or 0)
            time.sleep(every)

    threading.Thread(target=watch, name="own-memory", daemon=True).start()


def peak_rss_mb() -> float:
    """Return this process's own peak memory in MB, from the first call on (a child's baseline).

    Its own pages: anonymous and shared memory, sampled every 5 ms. Not VmHWM, which counts file pages too: SQLite
    reads the database through a memory map (config/settings.py), and every page of it a child reads would count,
    though those are the OS's page cache, shared and dropped at will (a bulk recompute of 20,000 clients touched
    600 MB of them). Not ru_maxrss either: Linux carries it across fork and exec, so a child started by a 600 MB
    parent reports 600 MB before it does anything. Without /proc, ru_maxrss is all there is.
    """
    global _own_peak_kb
    now = _own_kb()
    if now is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if not _own_peak_kb:
        _watch_own_memory()
    _own_peak_kb = max(_own_peak_kb, now)
    return _own_peak_kb / 1024


def recompute_child(username: str) -> None:
    """Measure the bulk recompute of one book and the aggregate read floor over the same tables."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from crm.trust.health import recompute_book

    owner = get_user_model().objects.get(username=username)
    read_floor_s = min(timed(lambda: read_floor(owner)) for _ in range(3))
    baseline = peak_rss_mb()
    queries = QueryCount()
    with connection.execute_wrapper(queries):
        first_s = timed(lambda: recompute_book(owner=owner))
    peak = peak_rss_mb()
    # The best of three, like the floor: one run alone moves by a tenth with whatever else the machine does.
    recompute_s = min(first_s, *(timed(lambda: recompute_book(owner=owner)) for _ in range(2)))
    print(
        json.dumps(
            {
                "recompute_s": recompute_s,
                "first_run_s": first_s,
                "read_floor_s": read_floor_s,
                "peak_mb": peak,
                "growth_mb": peak - baseline,
                "queries": queries.count,
            }
        )
    )


def import_child(rows: int) -> None:
    """Time the check and the import of a `rows`-row clients CSV into a new book; report peak memory."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from crm.dataio import imports

    owner = get_user_model().objects.create_user(f"importer{time.time_ns()}")
    lines = ["Client;Société;Contact;E-mail;Téléphone;Fonction"]
    lines += [
        f"Client {n};Société {n};Contact {n};c{n}@client{n}.fr;06 00 {n:06d};Gérant" for n in range(rows)
    ]
    data = ("\n".join(lines) + "\n").encode()
    baseline = peak_rss_mb()
    book_import = imports.receive(owner, "clients", "bench.csv", data)
    check_s = timed(lambda: imports.check(book_import))
    import_s = timed(lambda: imports.run(book_import, progress=lambda done: None))
    assert book_import.state == "done", book_import.error
    peak = peak_rss_mb()
    print(
        json.dumps({"check_s": check_s, "import_s": import_s, "peak_mb": peak, "growth_mb": peak - baseline})
    )


def export_child(username: str) -> None:
    """Time the streamed ZIP and JSON exports of a book, reading the streams as a client would; report peak memory."""
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from crm.dataio import book

    owner = get_user_model().objects.select_related("profile").get(username=username)
    baseline = peak_rss_mb()
    sizes = {"zip": 0, "json": 0}

    def drain(kind: str, stream: Any) -> None:
        for chunk in stream:
            sizes[kind] += len(chunk)

    zip_s = timed(lambda: drain("zip", book.zip_of_csvs(owner)))
    json_s = timed(lambda: drain("json", (part.encode() for part in book.json_document(owner))))
    peak = peak_rss_mb()
    row = {"zip_s": zip_s, "json_s": json_s, "zip_mb": sizes["zip"] / 1e6, "json_mb": sizes["json"] / 1e6}
    print(json.dumps(row | {"peak_mb": peak, "growth_mb": peak - baseline}))


def evidence_child(client_id: int) -> None:
    """Build one client's evidence pack as the worker does; report its time, size, queries and peak memory."""
    import django

    django.setup()
    from django.db import connection

    from clients.models import Client
    from crm.evidence.build import build
    from crm.models import EvidencePack, Interaction, Invoice, Promise

    client = Client.objects.select_related("owner__profile").get(pk=client_id)
    events = sum(model.objects.filter(client=client).count() for model in (Interaction, Promise, Invoice))
    import weasyprint  # noqa: F401  (loaded before the baseline: Pango and the fonts are the process's, not the pack's)

    pack = EvidencePack.objects.create(client=client, language=client.owner.profile.language)
    baseline = peak_rss_mb()
    queries = QueryCount()
    with connection.execute_wrapper(queries):
        build_s = timed(lambda: build(pack, progress=lambda done: None))
    peak = peak_rss_mb()
    assert pack.state == EvidencePack.State.DONE, pack.error
    # poppler-utils' pdfinfo (make pdf) counts the pages; without it the row says -1.
    info = b""
    if shutil.which("pdfinfo"):
        info = subprocess.run(
            ["pdfinfo", "-"], input=bytes(pack.pdf), capture_output=True, check=False
        ).stdout
    pages = next(
        (int(line.split()[-1]) for line in info.decode().splitlines() if line.startswith("Pages:")), -1
    )
    row = {
        "events": events,
        "build_s": build_s,
        "pdf_mb": pack.pdf_bytes / 1e6,
        "pdf_pages": pages,
        "zip_mb": pack.archive_bytes / 1e6,
        "queries": queries.count,
    }
    print(json.dumps(row | {"peak_mb": peak, "growth_mb": peak - baseline}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", action="store_true", help="CI mode: small books, under a minute")
    parser.add_argument(
        "--pages",
        action="store_true",
        help="only the main book's pages, API and writes (the rows with targets): minutes, not the whole bench",
    )
    parser.add_argument("--recompute-child", metavar="USERNAME", help=argparse.SUPPRESS)
    parser.add_argument("--import-child", metavar="ROWS", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--export-child", metavar="USERNAME", help=argparse.SUPPRESS)
    parser.add_argument("--evidence-child", metavar="CLIENT_ID", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.evidence_child:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
        evidence_child(args.evidence_child)
        return
    if args.import_child or args.export_child:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
        import_child(args.import_child) if args.import_child else export_child(args.export_child)
        return
    if args.recompute_child:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
        recompute_child(args.recompute_child)
        return

    use_separate_database()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    bench = Bench(small=args.small)
    if args.small:
        book, small_book, big_book, events, big_events, freelancers = 200, 50, 400, 20, 20, 50
    else:
        book, small_book, big_book, events, big_events, freelancers = 2000, 200, 20000, 100, 100, 1000
    print(f"Building books in {os.environ['DATABASE_URL'].split('@')[-1]} ...", flush=True)
    bench.seed("book", book, events)
    from clients.models import Client

    workspace = Client.objects.filter(owner__username="book").order_by("pk").first()
    bench.grow_timeline(workspace, 500 if args.small else 5000)
    bench.analyze()
    if args.pages:
        print("Measuring pages ...", flush=True)
        bench.pages("book", workspace.pk)
        bench.api("book", workspace.pk)
        bench.report()
        return
    bench.seed("small_book", small_book, 10)
    bench.seed("big_book", big_book, big_events)
    bench.analyze()
    print("Measuring pages ...", flush=True)
    bench.pages("book", workspace.pk)
    bench.api("book", workspace.pk)
    bench.dashboard_growth([("small_book", small_book), ("book", book), ("big_book", big_book)])
    print("Measuring the sweep's planners ...", flush=True)
    from bench.sweeps import measure_sweeps

    # 20,000 clients take a minute to write: the full bench only (SMALL stays under a minute).
    measure_sweeps(
        bench, [2000] if args.small else [2000, 20000], 15 if args.small else 60, before=not args.small
    )
    print("Measuring bulk recompute ...", flush=True)
    bench.recompute("book", book)
    bench.recompute("big_book", big_book)
    print("Measuring import and export ...", flush=True)
    bench.dataio(1000 if args.small else 10_000, "big_book", big_book)
    print("Measuring the evidence pack of the client with the long timeline ...", flush=True)
    bench.evidence_pack(workspace.pk)
    print("Measuring digests through a real worker ...", flush=True)
    bench.digests(freelancers)
    print("Measuring a mailbox sync against a real Dovecot ...", flush=True)
    bench.capture(500 if args.small else 5000)
    print("Measuring HTTP throughput under gunicorn ...", flush=True)
    bench.http_throughput("book")
    bench.report()


if __name__ == "__main__":
    main()
