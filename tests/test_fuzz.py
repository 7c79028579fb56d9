"""Fuzz every form and every search or filter of the app with hypothesis, as alice (or anonymously for the
account pages): whatever is posted (NUL, control and combining characters, huge strings, odd numbers, odd dates
as strings), the answer is never a 500, and a refused post stores nothing.

The number of examples comes from a hypothesis profile named by FUZZ_PROFILE: `dev` (the default, a short run)
or `ci` (.ci/run: 160 per form or search, over 5,000 requests per database, so SQLite and PostgreSQL together pass 10,000).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.models import Client, FormSubmission, Profile, Project
from conflicts.models import ConflictSignal
from crm.models import Interaction, Invoice, Promise
from tests.factories import PASSWORD, make_client, make_conflict, make_invoice, make_project, make_promise

settings.register_profile(
    "dev",
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=160,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PROFILE = settings.get_profile(os.environ.get("FUZZ_PROFILE", "dev"))

# What the run did, reported at the end of the session (see tests/conftest.py): requests and answers by status.
REQUESTS: Counter[str] = Counter()
STATUSES: Counter[int] = Counter()


# -- what is thrown at the forms ----------------------------------------------------------------------------

ODD_CHARACTERS = (
    "\x00\x01\x07\x08\x0b\x0c\x1b\x7f\u0085\u00a0\u200b\u200d\u2028\u202e\ufeff\ufffd\u0301\u0308\u20dd"
)
ODD_NUMBERS = [
    "-1", "0", "1e309", "-1e309", "NaN", "Infinity", "99999999999999999999999", "1_000", " 7 ", "０７",
    "0x10", "1,5", "1.999999999999999999", "-0", "+3", "٣", "12.345.678", "",
]  # fmt: skip
ODD_DATES = [
    "2024-02-30", "1969-12-31", "2100-01-01", "0000-00-00", "31/12/2024", "2024-13-01", "2024-06-01T25:61",
    "2024-06-01T08:30", "2024-06-01 08:30:00+14:00", "2024-W01", "yesterday", "2024-6-1", "１９９９-０１-０１",
    "1970-01-01", "2038-01-19T03:14:08", "",
]  # fmt: skip

odd_text = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(ODD_CHARACTERS)), max_size=60
)
combining = st.builds(
    lambda base, n: (base or "e") * 1 + "\u0301" * n, st.text(max_size=3), st.integers(1, 600)
)
huge = st.builds(
    lambda chunk, n: (chunk or "x") * n, st.text(min_size=1, max_size=5), st.integers(200, 20_000)
)
fuzz_value = st.one_of(
    odd_text,
    combining,
    huge,
    st.sampled_from(ODD_NUMBERS),
    st.sampled_from(ODD_DATES),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@dataclass
class Book:
    alice: Any
    rita: Client
    project: Project
    promise: Promise
    invoice: Invoice
    signal: ConflictSignal


@dataclass
class Target:
    """One form or page: where it is, what a valid post looks like, and whether it needs alice logged in."""

    name: str
    url: Callable[[Book], str]
    valid: Callable[[Book], dict[str, str]] = field(default=lambda book: {})
    method: str = "post"
    anonymous: bool = False


def _today(offset: int = 0) -> str:
    return (timezone.localdate() + timedelta(days=offset)).isoformat()


def _entry(kind: str, book: Book) -> dict[str, str]:
    return {
        "interaction": {"kind": "call", "direction": "from_client", "happened_at": f"{_today()}T08:30",
                        "summary": "Call", "project": str(book.project.pk)},
        "promise": {"promisor": "freelancer", "description": "Quote", "made_on": _today(), "due_on": _today(9),
                    "project": str(book.project.pk)},
        "invoice": {"number": "F-9", "amount": "450.00", "currency": "EUR", "issued_on": _today(),
                    "due_on": _today(30), "project": str(book.project.pk)},
        "conflict": {"kind": "posture", "severity": "2", "observed_on": _today(), "description": "Tense"},
    }[kind] | {"client": str(book.rita.pk)}  # fmt: skip


CLIENT = {"name": "Atelier", "company": "Nord", "email": "a@example.com", "phone": "06", "language": "fr",
          "status": "active", "cadence_days": "7", "notes": "n"}  # fmt: skip
PROJECT = {"title": "Refonte", "goals": "g", "status": "active", "start_on": "", "due_on": "", "budget": "1200",
           "currency": "EUR"}  # fmt: skip
FILTERS = {"q": "a", "band": "at_risk", "status": "active", "page": "1", "sort": "name", "show": "open",
           "next": "/"}  # fmt: skip

TARGETS = [
    Target("client_new", lambda b: reverse("web:client_new"), lambda b: CLIENT),
    Target("client_edit", lambda b: reverse("web:client_edit", args=[b.rita.pk]), lambda b: CLIENT),
    Target(
        "project_new",
        lambda b: reverse("web:project_new", args=[b.rita.pk]),
        lambda b: PROJECT | {"client": str(b.rita.pk)},
    ),
    Target(
        "project_edit",
        lambda b: reverse("web:project_edit", args=[b.project.pk]),
        lambda b: PROJECT | {"client": str(b.rita.pk)},
    ),
    *[
        Target(
            f"{kind}_new",
            lambda b, k=kind: reverse(f"web:client_{k}_new", args=[b.rita.pk]),
            lambda b, k=kind: _entry(k, b),
        )
        for kind in ("interaction", "promise", "invoice", "conflict")
    ],  # fmt: skip
    *[
        Target(
            f"{kind}_new_anywhere", lambda b, k=kind: reverse(f"web:{k}_new"), lambda b, k=kind: _entry(k, b)
        )
        for kind in ("interaction", "promise", "invoice", "conflict")
    ],
    Target(
        "promise_explain",
        lambda b: reverse("web:promise_explain", args=[b.promise.pk]),
        lambda b: {"clarification": "Told them"},
    ),
    Target(
        "invoice_renegotiate",
        lambda b: reverse("web:invoice_renegotiate", args=[b.invoice.pk]),
        lambda b: {"renegotiated_due_on": _today(40)},
    ),
    Target(
        "conflict_resolve",
        lambda b: reverse("web:conflict_resolve", args=[b.signal.pk]),
        lambda b: {"resolved_on": _today(), "resolution": "Talked"},
    ),
    Target(
        "status_update_sent",
        lambda b: reverse("web:status_update_mark_sent", args=[b.rita.pk]),
        lambda b: {"form_token": "t"},
    ),
    Target(
        "mark_status_update_sent",
        lambda b: reverse("web:status_update_draft_mark_sent", args=[b.rita.pk]),
        lambda b: {"subject": "Point", "body": "Bonjour"},
    ),
    Target(
        "profile",
        lambda b: reverse("profile"),
        lambda b: {
            "display_name": "Alice",
            "language": "en",
            "time_zone": "Europe/Paris",
            "digest_weekday": "0",
            "digest_hour": "8",
            "digest_enabled": "on",
        },
    ),  # fmt: skip
    Target(
        "mailbox",
        lambda b: reverse("web:mailbox"),
        lambda b: {
            "address": "alice@example.com",
            "imap_host": "imap.example.com",
            "imap_port": "993",
            "imap_security": "tls",
            "imap_user": "alice",
            "password": "app password",
            "smtp_host": "smtp.example.com",
            "smtp_port": "465",
            "smtp_security": "tls",
            "excluded": "compta@example.com",
            "status_keyword": "Point",
        },
    ),
    Target(
        "status_update_send",
        lambda b: reverse("web:status_update_send", args=[b.rita.pk]),
        lambda b: {"subject": "Point", "body": "Bonjour"},
    ),
    Target(
        "password_change",
        lambda b: reverse("password_change"),
        lambda b: {
            "old_password": PASSWORD,
            "new_password1": "another fine pass 43",
            "new_password2": "another fine pass 43",
        },
    ),  # fmt: skip
    # One-click actions read nothing but where to go back to.
    Target(
        "promise_keep", lambda b: reverse("web:promise_keep", args=[b.promise.pk]), lambda b: {"next": "/"}
    ),
    Target(
        "invoice_paid",
        lambda b: reverse("web:invoice_mark_paid", args=[b.invoice.pk]),
        lambda b: {"next": "/"},
    ),
    Target(
        "email_preferences",
        lambda b: _preferences_url(b),
        lambda b: {"digest_enabled": "on", "nudges_enabled": "on"},
        anonymous=True,
    ),
    # The client's page: its one answer (anonymous, by the link) and the freelancer's choices of what it shows.
    Target(
        "client_page_payment_date",
        lambda b: _client_page_url(b),
        lambda b: {"invoice": str(b.invoice.pk), "new_due_on": _today(5)},
        anonymous=True,
    ),
    Target(
        "client_page_choices",
        lambda b: _client_page_panel_url(b),
        lambda b: {
            "show_projects": "on",
            "show_status_updates": "on",
            "show_promises": "on",
            "show_invoices": "",
        },
    ),
    Target(
        "login", lambda b: reverse("login"), lambda b: {"username": "alice", "password": "x"}, anonymous=True
    ),
    Target(
        "signup",
        lambda b: reverse("signup"),
        lambda b: {
            "username": "zed",
            "email": "zed@example.com",
            "password1": "a fine long pass 42",
            "password2": "a fine long pass 42",
        },
        anonymous=True,
    ),  # fmt: skip
    Target(
        "password_reset",
        lambda b: reverse("password_reset"),
        lambda b: {"email": "alice@example.com"},
        anonymous=True,
    ),
    Target(
        "login_unlock_request",
        lambda b: reverse("login_unlock_request"),
        lambda b: {"username": "alice"},
        anonymous=True,
    ),
    # Searches and filters: every query string the pages read.
    *[
        Target(f"search_{name}", lambda b, n=name: reverse(n), lambda b: FILTERS, method="get")
        for name in ("web:dashboard", "web:clients", "web:promises", "web:invoices", "web:conflicts")
    ],
    Target(
        "search_workspace", lambda b: reverse("web:client", args=[b.rita.pk]), lambda b: FILTERS, method="get"
    ),
    Target(
        "search_status_update",
        lambda b: reverse("web:status_update_draft", args=[b.rita.pk]),
        lambda b: FILTERS,
        method="get",
    ),
]


def _client_page_url(book: Book) -> str:
    from crm.models import ClientPage

    page, _created = ClientPage.objects.get_or_create(client=book.rita)
    return reverse("portal:page", kwargs={"token": page.token})


def _client_page_panel_url(book: Book) -> str:
    """Return the panel of rita's page, the page made first (its choices are saved on it)."""
    _client_page_url(book)
    return reverse("web:client_page", args=[book.rita.pk])


def _preferences_url(book: Book) -> str:
    from crm.reminders.emails import preferences_token

    return reverse("web:email_preferences", kwargs={"token": preferences_token(book.alice.pk, "digest")})


@st.composite
def fuzzed(draw: Any, valid: dict[str, str]) -> dict[str, str]:
    """Return the valid fields with some of them (at least one) replaced by odd values, maybe an extra one."""
    names = sorted(valid) or ["q"]
    chosen = draw(st.sets(st.sampled_from(names), min_size=1))
    data = {name: (draw(fuzz_value) if name in chosen else valid.get(name, "")) for name in names}
    if draw(st.booleans()):
        data[draw(odd_text.filter(bool))] = draw(fuzz_value)
    return data


def _fingerprint(book: Book) -> tuple[Any, ...]:
    """What a refused post must leave as it was: every table's count, and the rows the forms edit."""
    counts = tuple(
        model.objects.count()
        for model in (Client, Project, Interaction, Promise, Invoice, ConflictSignal, get_user_model())
    )
    rows = (
        Client.objects.filter(pk=book.rita.pk).values().first(),
        Project.objects.filter(pk=book.project.pk).values().first(),
        Promise.objects.filter(pk=book.promise.pk).values().first(),
        Invoice.objects.filter(pk=book.invoice.pk).values().first(),
        ConflictSignal.objects.filter(pk=book.signal.pk).values().first(),
        Profile.objects.filter(user=book.alice).values().first(),
    )
    return counts, repr(rows)


def _refused(response: Any) -> bool:
    if response.status_code >= 400:
        return True
    if response.status_code != 200:
        return False
    text = response.content.decode(errors="replace")
    return 'class="errorlist' in text or 'class="errors"' in text


@pytest.fixture
def book(alice: Any, settings: Any) -> Book:
    # The fuzz is about input, not about the rate limits and lockouts (tested on their own).
    settings.RATE_LIMIT_SIGNUP = settings.RATE_LIMIT_PASSWORD_RESET = settings.RATE_LIMIT_TOKEN_PAGES = (
        "100000/s"
    )
    settings.LOGIN_FAILURES_PER_ACCOUNT_AND_IP = settings.LOGIN_FAILURES_PER_IP = 100_000
    settings.LOGIN_SLOWDOWN_AFTER = 100_000
    rita = make_client(alice, name="Rita", email="rita@example.com")
    project = make_project(rita, title="Site")
    promise = make_promise(
        rita, made_on=timezone.localdate() - timedelta(days=20), due_on=timezone.localdate()
    )
    invoice = make_invoice(rita, number="F-1")
    signal = make_conflict(rita)
    return Book(alice, rita, project, promise, invoice, signal)


@pytest.mark.parametrize("target", TARGETS, ids=lambda target: target.name)
def test_no_input_makes_a_500_or_stores_a_refused_post(target: Target, book: Book) -> None:
    logged_in = HttpClient(raise_request_exception=False)
    logged_in.force_login(book.alice)

    @settings(PROFILE)
    @given(data=fuzzed(target.valid(book)))
    def run(data: dict[str, str]) -> None:
        http = HttpClient(raise_request_exception=False) if target.anonymous else logged_in
        before = _fingerprint(book)
        if target.method == "get":
            response = http.get(target.url(book), data)
        else:
            response = http.post(
                target.url(book), data, headers={"HX-Request": "true"} if len(data) % 2 else {}
            )
        REQUESTS[target.name] += 1
        STATUSES[response.status_code] += 1
        assert response.status_code < 500, f"{target.name}: {response.status_code} for {data!r}"
        if target.method == "post" and _refused(response):
            assert _fingerprint(book) == before, f"{target.name} stored a refused post: {data!r}"

    run()
    FormSubmission.objects.all().delete()
