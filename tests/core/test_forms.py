"""The form mixins of the floor (crm/core/forms.py): an edit saved over a change made since the page was drawn is
refused with the change in words; an unchanged datetime keeps its microseconds; textarea lines are stored with LF."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django import forms
from django.db import transaction

from clients.models import Client
from crm.core.forms import DRAWN_STATE, RoundTripMixin, VersionedFormMixin
from crm.core.ownership import owned_or_404, read_locked
from crm.core.widgets import IsoDateTimeInput, book_formfield
from tests.factories import make_client


class NotesForm(VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = Client
        fields = ["name", "notes"]
        formfield_callback = book_formfield


class MomentForm(RoundTripMixin, forms.Form):
    at = forms.DateTimeField(widget=IsoDateTimeInput)
    text = forms.CharField(widget=forms.Textarea)


def _posted(form: forms.ModelForm, **changes: str) -> dict[str, str]:
    data = {name: form[name].value() for name in ("name", "notes")}
    data[DRAWN_STATE] = form.initial[DRAWN_STATE]
    return {**data, **changes}


def test_an_edit_over_a_change_made_elsewhere_is_refused_then_saved_knowingly(alice: Any) -> None:
    client = make_client(alice, name="Atelier Dupont", notes="")
    drawn = NotesForm(instance=client)
    Client.objects.filter(pk=client.pk).update(notes="Changed in another tab")

    first = NotesForm(_posted(drawn, notes="Mine"), instance=Client.objects.get(pk=client.pk))
    assert not first.is_valid()
    assert first.changes_since_drawn == [("Notes", "", "Changed in another tab")]

    again = NotesForm(first.data, instance=Client.objects.get(pk=client.pk))
    assert again.is_valid(), again.errors
    again.save()
    assert Client.objects.get(pk=client.pk).notes == "Mine"


def test_an_unchanged_form_stores_what_it_had() -> None:
    stored = datetime(2026, 3, 2, 9, 30, 12, 345678, tzinfo=UTC)
    drawn = MomentForm(initial={"at": stored, "text": ""})
    form = MomentForm(
        {"at": drawn.fields["at"].widget.format_value(drawn["at"].value()), "text": "one\r\ntwo"},
        initial={"at": stored, "text": ""},
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["at"] == stored  # the microseconds a datetime-local input cannot show
    assert form.cleaned_data["text"] == "one\ntwo"


def test_an_edit_read_under_its_lock_is_compared_as_read_without_a_second_read(
    alice: Any, django_assert_num_queries: Any
) -> None:
    client = make_client(alice, name="Atelier Dupont", notes="")
    drawn = NotesForm(instance=client)
    Client.objects.filter(pk=client.pk).update(notes="Changed in another tab")

    with transaction.atomic():
        locked = owned_or_404(Client, alice, pk=client.pk, for_update=True)
        form = NotesForm(_posted(drawn, notes="Mine"), instance=locked)
        with django_assert_num_queries(0):  # the row as read under its lock is the row as stored
            assert not form.is_valid()
    assert form.changes_since_drawn == [("Notes", "", "Changed in another tab")]


def test_a_record_read_without_its_lock_is_read_again_by_the_form(alice: Any) -> None:
    client = make_client(alice)
    assert not read_locked(owned_or_404(Client, alice, pk=client.pk))
    assert read_locked(
        owned_or_404(Client, alice, pk=client.pk, for_update=True)
    )  # a test runs in a transaction
