"""The inputs every form uses (crm/core/widgets.py): ISO dates in every language, amounts as people type them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.safestring import mark_safe

from clients.models import Client, Contact, Project
from crm.core.widgets import (
    BookChoiceField,
    BookSelect,
    IsoDateInput,
    IsoDateTimeInput,
    LocalizedDecimalField,
    book_formfield,
    parse_localized_number,
)
from crm.models import Interaction, Invoice
from crm.web.forms import InteractionForm, PromiseForm
from tests.factories import make_client, make_contact, make_project


def test_dates_are_drawn_in_iso_in_french_too() -> None:
    with translation.override("fr"):
        assert IsoDateInput().format_value(date(2026, 9, 5)) == "2026-09-05"
        assert IsoDateTimeInput().format_value(datetime(2026, 9, 5, 14, 30)) == "2026-09-05T14:30"
    assert IsoDateInput().attrs == {"min": "1970-01-01", "max": "2100-12-31"}


@pytest.mark.parametrize(
    ("language", "typed", "read"),
    [
        ("fr", "1 234,56", "1234.56"),
        ("fr", "1.234,56", "1234.56"),
        ("fr", "12.5", "12.5"),
        ("en", "1,234.56", "1234.56"),
        ("en", "1,5", "1,5"),  # ambiguous in English: left for the field to refuse
    ],
)
def test_amounts_are_read_as_typed(language: str, typed: str, read: str) -> None:
    with translation.override(language):
        assert parse_localized_number(typed) == read


def test_an_ambiguous_amount_is_refused() -> None:
    with translation.override("en"), pytest.raises(forms.ValidationError):
        LocalizedDecimalField().clean("1,5")
    with translation.override("fr"):
        assert LocalizedDecimalField().clean("1 234,56") == Decimal("1234.56")


def test_book_formfield_gives_every_model_field_the_books_inputs() -> None:
    due = book_formfield(Invoice._meta.get_field("due_on"))
    assert isinstance(due.widget, IsoDateInput)
    with pytest.raises(forms.ValidationError):
        due.clean("2101-01-01")  # the window, before any rule of the form
    assert isinstance(book_formfield(Invoice._meta.get_field("amount")), LocalizedDecimalField)
    assert isinstance(book_formfield(Client._meta.get_field("created_at")).widget, IsoDateTimeInput)


SELECT_CASES = [
    # (choices, value, attrs): a model field's choices, grouped ones, a value chosen, attributes of every kind.
    (
        [("", "---------"), (1, "Anne & <Bruno>"), (2, 'Studio "Martin"'), (3, "L'Atelier")],
        2,
        {"id": "id_client"},
    ),
    (
        [("", "---------"), (1, "One")],
        None,
        {"id": "id_x", "required": True, "disabled": False, "aria-describedby": "h"},
    ),
    ([("Clients", [(1, "Anne"), (2, "Bruno")]), ("Prospects", [(3, "Chloé <3")]), (4, "Loose")], "3", {}),
    ([], None, {"data-empty": "yes"}),
    # A label or an attribute marked safe is drawn as it is, as Django's templates draw it.
    ([(1, mark_safe("<b>Safe</b> & co"))], 1, {"data-note": mark_safe("a & <b>")}),
]


@pytest.mark.parametrize(("choices", "value", "attrs"), SELECT_CASES)
def test_a_book_select_draws_what_djangos_select_draws(
    choices: list[Any], value: Any, attrs: dict[str, Any]
) -> None:
    assert BookSelect(choices=choices).render("client", value, attrs) == forms.Select(choices=choices).render(
        "client", value, attrs
    )


def test_a_book_select_draws_a_model_fields_records_as_djangos_select(alice: Any) -> None:
    """Every foreign key of a book's form draws its records with `BookSelect`, as Django's select would."""
    chosen = make_client(alice, name="Zoé <l'Atelier> & Co")
    make_client(alice, name="Anne")
    form = PromiseForm(owner=alice, initial={"client": chosen.pk})
    field = form["client"]
    assert isinstance(form.fields["client"].widget, BookSelect)
    drawn = str(field)
    form.fields["client"].widget = forms.Select(choices=form.fields["client"].choices)
    form.fields["client"].widget.is_required = True
    assert drawn == str(form["client"])
    assert "selected>Zoé &lt;l&#x27;Atelier&gt; &amp; Co (ACME)</option>" in drawn


def _drawn_from_whole_rows(field: forms.ModelChoiceField, name: str) -> str:
    """Return `field` drawn by Django's own select from its records read whole, with its own labels."""
    whole = forms.ModelChoiceField(queryset=field.queryset, empty_label=field.empty_label)
    whole.label_from_instance = field.label_from_instance  # type: ignore[method-assign]
    return forms.Select(choices=whole.choices).render(name, None, {"id": f"id_{name}"})


def _read_while_drawn(field: forms.ModelChoiceField, name: str) -> tuple[str, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        drawn = field.widget.render(name, None, {"id": f"id_{name}"})
    return drawn, [query["sql"] for query in queries.captured_queries]


def test_a_new_entrys_selects_read_only_what_their_labels_show(alice: Any) -> None:
    """A new entry opened from anywhere offers the whole book: each select reads its labels' columns in one query
    (not the client's notes, moments and counters), and draws what Django draws from whole rows."""
    for number in range(3):
        client = make_client(alice, name=f"Atelier <{number}> & fils", company="" if number else "ACME")
        make_project(client, title=f"Refonte n°{number}")
        make_contact(client, name=f"Zoé {number}", role="" if number else "CTO")
    form = InteractionForm(owner=alice)
    for name, column in [("client", "company"), ("project", "title"), ("contact", "role")]:
        field = form.fields[name]
        assert isinstance(field, BookChoiceField)
        drawn, sqls = _read_while_drawn(field, name)
        assert drawn == _drawn_from_whole_rows(field, name), name
        assert len(sqls) == 1, name  # the contact's client name is joined, not read per contact
        columns = sqls[0].partition(" FROM ")[0]
        assert f'"{column}"' in columns
        for left_out in ('"notes"', '"created_at"', '"email"'):
            assert left_out not in columns, (name, left_out)
    contact_options = form.fields["contact"].widget.render("contact", None)
    assert "Zoé 0 (CTO) · Atelier &lt;0&gt; &amp; fils</option>" in contact_options
    # Opened in a workspace: the client's own projects and contacts, each record given its client by id.
    in_workspace = InteractionForm(owner=alice)
    in_workspace.fields["project"].queryset = client.projects.all()
    in_workspace.offer_contacts_of(client)
    for name in ("project", "contact"):
        drawn, sqls = _read_while_drawn(in_workspace.fields[name], name)
        assert len(sqls) == 1, sqls
        assert drawn == _drawn_from_whole_rows(in_workspace.fields[name], name)
    assert "Refonte n°2</option>" in in_workspace.fields["project"].widget.render("project", None)


def test_a_select_with_a_label_of_its_own_reads_its_records_whole(alice: Any) -> None:
    """A label that does not say what it reads (`label_fields`) gets whole records: nothing it shows is missing,
    and drawing it reads no more than one query."""
    client = make_client(alice)
    Interaction.objects.create(
        client=client, kind="email", direction="from_client", summary="Où en est la maquette ?"
    )
    form = InteractionForm(owner=alice)
    form.offer_answers_of(client)
    field = form.fields["answers"]
    field.widget = BookSelect(choices=field.choices)
    drawn, sqls = _read_while_drawn(field, "answers")
    assert "from the client · Où en est la maquette ?</option>" in drawn
    assert len(sqls) == 1 and '"summary"' in sqls[0] and '"direction"' in sqls[0]
    assert drawn == _drawn_from_whole_rows(field, "answers")


def test_the_models_say_what_their_names_read() -> None:
    """`label_fields` is what `__str__` shows: a record read with only those fields is named as a whole one."""
    for model, values in [
        (Client, {"name": "Anne", "company": "ACME"}),
        (Project, {"title": "Refonte"}),
        (Contact, {"name": "Zoé", "role": "CTO"}),
    ]:
        assert set(model.label_fields) == set(values)
        whole = model(pk=1, **values)
        assert str(model.from_db("default", ["id", *values], [1, *values.values()])) == str(whole)
