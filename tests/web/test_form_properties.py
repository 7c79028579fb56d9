"""Property test: extreme and boundary values through every form never give a 500, and a refused form stores nothing.

Each example picks a form of the app and a language, fills the form with drawn values (dates of years 1, 1969,
1970, 2100, 2101 and 9999 and dates written the French way; huge, negative, odd and localized amounts; very long
and unicode text with combining marks and emoji), submits it as alice, then:
- the answer is never a server error (the test client re-raises any exception a view lets through);
- a refused submission stores nothing (the table's row count, or the edited row, is unchanged);
- after a stored change, the dashboard, the workspace, the four lists, the calendar feed and the weekly digest
  (text and HTML, from crm/reminders/) all render.

Size: the settings profile named by `FORMS_FUZZ_PROFILE` (`small`, the default: 100 examples, about 15 s here;
`medium`: 300; `large`: 2,000). NUL bytes are left to the input-normalisation tests of issue 12.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import models
from django.test import Client as Browser
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.models import Client, Profile, Project
from conflicts.models import ConflictSignal
from crm.core.dates import FIRST_DAY, LAST_DAY
from crm.models import Interaction, Invoice, Promise, Recap
from crm.reminders.calendar import calendar_for, feed_token
from crm.reminders.digest import digest_message
from crm.reminders.emails import preferences_token
from tests.factories import make_client, make_conflict, make_invoice, make_project, make_promise

for _name, _examples in [("small", 100), ("medium", 300), ("large", 2000)]:
    settings.register_profile(
        f"forms-{_name}",
        max_examples=_examples,
        deadline=None,
        derandomize=_name == "small",  # the default run is the same on every machine
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
PROFILE = settings.get_profile(f"forms-{os.environ.get('FORMS_FUZZ_PROFILE', 'small')}")

# -- values -----------------------------------------------------------------------------------------------------

BOUNDARY_DAYS = [
    date(1, 1, 1),
    date(1969, 12, 31),
    FIRST_DAY,
    date(2026, 9, 5),
    LAST_DAY,
    date(2101, 1, 1),
    date(9999, 12, 31),
]
TEXT = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))
COMBINING = st.sampled_from(["e\u0301", "\u0915\u094d\u0937", "👩\u200d💻", "🇫🇷", "Z\u0335\u0321\u0322", "ﷺ"])


def _day_text(day: date) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            day.isoformat(),
            f"{day.day:02d}/{day.month:02d}/{day.year:04d}",
            f"{day.year}-{day.month}-{day.day}",
        ]
    )


# Ordinary values too, weighted in, so that many examples are stored and the pages draw them.
recent_days = st.integers(-60, 60).map(lambda offset: (date.today() + timedelta(days=offset)).isoformat())
days = st.one_of(
    recent_days,
    recent_days,
    st.sampled_from(BOUNDARY_DAYS).flatmap(_day_text),
    st.dates().map(date.isoformat),
    st.sampled_from(["", "2026-02-30", "0000-01-01", "10000-01-01", "demain", "-1"]),
)
moments = st.one_of(
    st.integers(0, 60 * 24 * 30).map(
        lambda minutes: (timezone.localtime() - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M")
    ),
    st.sampled_from(BOUNDARY_DAYS).map(lambda day: f"{day.isoformat()}T00:00"),
    st.sampled_from(BOUNDARY_DAYS).map(lambda day: f"{day.isoformat()}T23:59"),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
        lambda moment: moment.strftime("%Y-%m-%dT%H:%M")
    ),
    st.sampled_from(["", "2026-09-05 10:00", "31/12/9999 23:59", "2026-03-29T02:30", "maintenant"]),
)
amounts = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**14), max_value=10**14).map(
        str
    ),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=0, max_value=10**11).map(
        lambda amount: f"{amount:,}".replace(",", " ").replace(".", ",")
    ),
    st.sampled_from(
        ["0", "-0", "0.001", "-5", "9" * 40, "1e400", "NaN", "Infinity", "1 234,56", "1,234.56", "١٢٣", ""]
    ),
)
texts = st.one_of(
    st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=40),
    st.text(TEXT, max_size=80),
    st.text(TEXT, min_size=190, max_size=700),
    st.lists(COMBINING, min_size=1, max_size=600).map("".join),
    st.sampled_from(["", " ", "<script>alert(1)</script>", "'; DROP TABLE x; --", "\r\n\r\n", "a" * 10_001]),
)
integers = st.one_of(st.integers(-(10**6), 10**6).map(str), st.sampled_from(["", "1.5", "1e3", "٧", "7 "]))


def choice(*valid: str) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(valid), st.sampled_from(["", "nope", "ÉTAT"]))


# -- the forms ----------------------------------------------------------------------------------------------------


@dataclass
class Book:
    user: Any
    client: Client
    project: Project
    promise: Promise
    invoice: Invoice
    signal: ConflictSignal


@dataclass(frozen=True)
class Form:
    """A form of the app: where it posts, what it writes, and how to draw its values."""

    name: str
    url: Callable[[Book], str]
    rows: Callable[[Book], models.QuerySet]
    values: Callable[[Book], st.SearchStrategy[dict[str, str]]]
    mode: str = "create"  # "create": one more row when stored; "edit": the row changes in place
    htmx: bool = False  # one-click actions answer errors in place only to htmx

    def stored(self, answer: Any) -> bool:
        """Tell from the answer whether the form was accepted."""
        if self.htmx:
            return 'class="errors"' not in answer.content.decode()
        if self.name == "email_preferences":
            return 'role="status"' in answer.content.decode()
        return answer.status_code == 302


def _fixed(**values: st.SearchStrategy[str]) -> Callable[[Book], st.SearchStrategy[dict[str, str]]]:
    return lambda book: st.fixed_dictionaries(values)


def _in_workspace(kind: str) -> Callable[[Book], str]:
    return lambda book: reverse(f"web:client_{kind}_new", kwargs={"client_id": book.client.pk})


def _client_fields(book: Book) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries(
        {
            "name": texts,
            "company": texts,
            "email": st.one_of(st.emails().map(str), texts),
            "phone": texts,
            "language": choice("fr", "en"),
            "status": choice("prospect", "active", "paused", "former"),
            "cadence_days": integers,
            "notes": texts,
        }
    )


def _project_fields(book: Book) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries(
        {
            "client": st.just(str(book.client.pk)),
            "title": texts,
            "goals": texts,
            "status": choice("proposed", "active", "delivered", "cancelled"),
            "start_on": days,
            "due_on": days,
            "budget": amounts,
            "currency": st.one_of(st.just("EUR"), texts),
        }
    )


FORMS = [
    Form(
        "client_new",
        lambda book: reverse("web:client_new"),
        lambda book: Client.objects.all(),
        _client_fields,
    ),
    Form(
        "client_edit",
        lambda book: reverse("web:client_edit", kwargs={"client_id": book.client.pk}),
        lambda book: Client.objects.filter(pk=book.client.pk),
        _client_fields,
        "edit",
    ),
    Form(
        "project_new",
        lambda book: reverse("web:project_new", kwargs={"client_id": book.client.pk}),
        lambda book: Project.objects.all(),
        _project_fields,
    ),
    Form(
        "project_edit",
        lambda book: reverse("web:project_edit", kwargs={"project_id": book.project.pk}),
        lambda book: Project.objects.filter(pk=book.project.pk),
        _project_fields,
        "edit",
    ),
    Form(
        "interaction",
        _in_workspace("interaction"),
        lambda book: Interaction.objects.all(),
        lambda book: st.fixed_dictionaries(
            {
                "client": st.just(str(book.client.pk)),
                "kind": choice("meeting", "call", "email", "message", "status_update", "delivery", "other"),
                "direction": choice("from_client", "to_client"),
                "happened_at": moments,
                "summary": texts,
            }
        ),
    ),
    Form(
        "promise",
        _in_workspace("promise"),
        lambda book: Promise.objects.all(),
        lambda book: st.fixed_dictionaries(
            {
                "client": st.just(str(book.client.pk)),
                "promisor": choice("freelancer", "client"),
                "description": texts,
                "made_on": days,
                "due_on": days,
            }
        ),
    ),
    Form(
        "invoice",
        _in_workspace("invoice"),
        lambda book: Invoice.objects.all(),
        lambda book: st.fixed_dictionaries(
            {
                "client": st.just(str(book.client.pk)),
                "number": texts,
                "amount": amounts,
                "currency": st.one_of(st.just("EUR"), texts),
                "issued_on": days,
                "due_on": days,
            }
        ),
    ),
    Form(
        "conflict",
        _in_workspace("conflict"),
        lambda book: ConflictSignal.objects.all(),
        lambda book: st.fixed_dictionaries(
            {
                "client": st.just(str(book.client.pk)),
                "kind": choice("ideas", "interests", "payment", "posture"),
                "severity": st.one_of(choice("1", "2", "3"), integers),
                "observed_on": days,
                "description": texts,
            }
        ),
    ),
    Form(
        "promise_explain",
        lambda book: reverse("web:promise_explain", kwargs={"promise_id": book.promise.pk}),
        lambda book: Promise.objects.filter(pk=book.promise.pk),
        _fixed(clarification=texts),
        "edit",
        htmx=True,
    ),
    Form(
        "invoice_renegotiate",
        lambda book: reverse("web:invoice_renegotiate", kwargs={"invoice_id": book.invoice.pk}),
        lambda book: Invoice.objects.filter(pk=book.invoice.pk),
        _fixed(renegotiated_due_on=days),
        "edit",
        htmx=True,
    ),
    Form(
        "conflict_resolve",
        lambda book: reverse("web:conflict_resolve", kwargs={"signal_id": book.signal.pk}),
        lambda book: ConflictSignal.objects.filter(pk=book.signal.pk),
        _fixed(resolved_on=days, resolution=texts),
        "edit",
        htmx=True,
    ),
    Form(
        "status_update_sent",
        lambda book: reverse("web:status_update_mark_sent", kwargs={"client_id": book.client.pk}),
        lambda book: Interaction.objects.all(),
        _fixed(subject=texts, body=texts),
    ),
    # The recap of a call (crm/recaps), each example on a call of its own: its form and two lines of promises.
    Form(
        "recap",
        lambda book: reverse(
            "web:interaction_recap",
            kwargs={"interaction_id": Interaction.objects.create(client=book.client, kind="call").pk},
        ),
        lambda book: Recap.objects.all(),
        _fixed(
            decided=texts,
            open_questions=texts,
            **{"lines-TOTAL_FORMS": st.one_of(st.just("2"), integers), "lines-INITIAL_FORMS": st.just("0")},
            **{
                f"lines-{n}-{name}": strategy
                for n in (0, 1)
                for name, strategy in (
                    ("promisor", choice("freelancer", "client")),
                    ("description", texts),
                    ("due_on", days),
                )
            },
        ),
    ),
    Form(
        "profile",
        lambda book: reverse("profile"),
        lambda book: Profile.objects.filter(user=book.user),
        _fixed(
            display_name=texts,
            language=choice("fr", "en"),
            time_zone=st.one_of(
                st.sampled_from(["Europe/Paris", "Pacific/Kiritimati", "Pacific/Pago_Pago"]), texts
            ),
            digest_weekday=st.one_of(choice(*"0123456"), integers),
            digest_hour=integers,
            digest_enabled=st.sampled_from(["on", ""]),
        ),
        "edit",
    ),
    Form(
        "email_preferences",
        lambda book: reverse(
            "web:email_preferences", kwargs={"token": preferences_token(book.user.pk, "digest")}
        ),
        lambda book: Profile.objects.filter(user=book.user),
        _fixed(
            digest_enabled=st.sampled_from(["on", "", "nope"]), nudges_enabled=st.sampled_from(["on", ""])
        ),
        "edit",
    ),
]


def _state(form: Form, book: Book) -> Any:
    rows = form.rows(book)
    if form.mode == "create":
        return rows.count()
    return [
        {column.attname: getattr(row, column.attname) for column in row._meta.concrete_fields} for row in rows
    ]


def _everything_renders(browser: Browser, book: Book) -> None:
    """Render every page and message that draws the book's dates and amounts; each must answer 200."""
    pages = [
        reverse("web:dashboard"),
        reverse("web:client", kwargs={"client_id": book.client.pk}),
        reverse("web:clients"),
        reverse("web:promises"),
        reverse("web:invoices"),
        reverse("web:conflicts"),
        reverse("web:calendar_feed", kwargs={"token": feed_token(Profile.objects.get(user=book.user))}),
    ]
    for page in pages:
        assert browser.get(page).status_code == 200, page
    now = timezone.now()
    assert calendar_for(book.user, now).startswith(b"BEGIN:VCALENDAR")
    Profile.objects.filter(user=book.user).update(digest_when_empty=True, digest_enabled=True)
    book.user.refresh_from_db()
    message = digest_message(book.user, now)
    assert message is not None and message.body and message.alternatives[0][0]


@pytest.fixture
def book(alice: Any) -> Book:
    client = make_client(alice, name="Zoé 🎉", cadence_days=7)
    today = timezone.localdate()
    return Book(
        alice,
        client,
        make_project(client, start_on=today, due_on=today + timedelta(days=30), budget=Decimal("100.00")),
        make_promise(client, made_on=today - timedelta(days=3), due_on=today + timedelta(days=4)),
        make_invoice(client, issued_on=today - timedelta(days=3), due_on=today + timedelta(days=27)),
        make_conflict(client, observed_on=today - timedelta(days=2)),
    )


CHECKBOXES = {"digest_enabled", "digest_when_empty", "nudges_enabled"}
RUN = {"examples": 0, "stored": 0, "refused": 0}


@settings(PROFILE)
@given(data=st.data())
def test_no_value_through_any_form_gives_a_500_and_refusals_store_nothing(
    book: Book, data: st.DataObject
) -> None:
    form = data.draw(st.sampled_from(FORMS), label="form")
    language = data.draw(st.sampled_from(["fr", "en"]), label="language")
    Profile.objects.filter(user=book.user).update(language=language, time_zone="Europe/Paris")
    values = data.draw(form.values(book), label="values")
    browser = Browser()
    browser.force_login(book.user)
    before = _state(form, book)
    headers = {"HX-Request": "true"} if form.htmx else {}
    # An unchecked checkbox is not submitted at all.
    payload = {name: value for name, value in values.items() if not (name in CHECKBOXES and value == "")}
    answer = browser.post(form.url(book), payload, headers=headers)
    assert answer.status_code < 500
    RUN["examples"] += 1
    if not form.stored(answer):
        RUN["refused"] += 1
        assert _state(form, book) == before, f"{form.name} refused the values but stored something"
        return
    RUN["stored"] += 1
    if form.mode == "create":
        assert _state(form, book) == before + 1
    _everything_renders(browser, book)


def test_zz_the_property_test_ran(request: Any) -> None:
    """Report how many examples the property test ran (visible with -s or in -rA output)."""
    if not RUN["examples"]:
        pytest.skip("the property test did not run in this session")
    print(
        f"\nforms property test: {RUN['examples']} examples, {RUN['stored']} stored, {RUN['refused']} refused"
    )
    assert RUN["stored"] > 0 and RUN["refused"] > 0
