"""Inputs that round-trip in every language: what a form draws is what its widget accepts back.

`<input type="date">` and `type="datetime-local"` only accept ISO values (`2026-09-05`, `2026-09-05T14:30`):
a value drawn in the active language's format (`05/09/2026` in French) is shown empty by the browser and
submitted empty. These widgets always draw ISO, whatever the language. Amounts are typed as people write them
in their language (`1 234,56` in French, `1,234.56` in English): a text input with a decimal keyboard and a
field that reads both, where `type="number"` would refuse a comma or a space.

Every model form of the book uses them through `book_formfield` (`Meta.formfield_callback`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.db import models
from django.db.models import QuerySet
from django.forms.models import ModelChoiceIterator
from django.utils import formats
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from crm.core.dates import FIRST_DAY, LAST_DAY, iso_day, iso_minute, validate_day_in_window


class IsoDateInput(forms.DateInput):
    """`<input type="date">` drawn in ISO in every language, offering only the book's window."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"min": iso_day(FIRST_DAY), "max": iso_day(LAST_DAY), **(attrs or {})}, "%Y-%m-%d")

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, date) and not isinstance(value, datetime):
            return iso_day(value)
        return super().format_value(value)


class IsoDateTimeInput(forms.DateTimeInput):
    """`<input type="datetime-local">` drawn in ISO (local time of the active zone) in every language."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        window = {"min": f"{iso_day(FIRST_DAY)}T00:00", "max": f"{iso_day(LAST_DAY)}T23:59"}
        super().__init__({**window, **(attrs or {})}, "%Y-%m-%dT%H:%M")

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, datetime):
            return iso_minute(value)
        return super().format_value(value)


class DecimalInput(forms.TextInput):
    """A text input with the decimal keyboard: the value is drawn in the active language's format."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})
        self.is_localized = True


_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007']")


def parse_localized_number(text: str) -> str:
    """Return `text` as a plain decimal string (`1234.56`), read the way the active language writes numbers.

    Spaces of any width (and the Swiss apostrophe) group digits in every language. The language's decimal mark
    is the decimal mark; the other mark is taken as grouping only where it groups by three (`1.234,56`,
    `1,234.56`), and a lone dot in French is read as a decimal mark (`12.5`), as people type it. Anything else
    is returned unchanged, for the field to refuse.
    """
    value = _SPACES.sub("", text.strip()).replace("\u2212", "-")
    decimal_mark = formats.get_format("DECIMAL_SEPARATOR")
    other = "." if decimal_mark == "," else ","
    grouped = rf"[+-]?\d{{1,3}}(?:{re.escape(other)}\d{{3}})+(?:{re.escape(decimal_mark)}\d*)?"
    if re.fullmatch(grouped, value):
        value = value.replace(other, "")
    if decimal_mark == "," and "," in value:
        return value.replace(",", ".", 1) if "." not in value else text
    if other in value and decimal_mark == ".":
        return text
    return value


class LocalizedDecimalField(forms.DecimalField):
    """A decimal field drawn in the active language and read as the user types it there."""

    widget = DecimalInput

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = parse_localized_number(value)
        return super().to_python(value)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        # No `step`, `min` or `max`: they belong to `type="number"`, which this field does not use.
        return forms.Field.widget_attrs(self, widget)


class BookSelect(forms.Select):
    """A select drawn as Django's `select.html` draws it, its options written here rather than through one template
    each: a new entry's form offers every client, project and contact of the book (6,000 options at 2,000 clients)
    and took 0.9 s to draw."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{conditional_escape(widget["name"])}"{_attributes(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{conditional_escape(str(option["value"]))}"{_attributes(option["attrs"])}>'
                    f"{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # every value and label escaped above


def _attributes(attrs: dict[str, Any]) -> str:
    """Return `attrs` as Django's `attrs.html` writes them: False left out, True as a bare name, any other value
    escaped unless marked safe (`stringformat` keeps a safe value safe)."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class LabelReadIterator(ModelChoiceIterator):
    """The choices of a `BookChoiceField`: Django's own, over its records read for their labels only
    (`BookChoiceField.read_for_labels`). A full row costs its converters (seven moments on a client): reading 6,000
    of them to write three names each was most of a new entry's form."""

    field: BookChoiceField

    @property
    def queryset(self) -> QuerySet[Any]:
        return self.field.read_for_labels(self._queryset)

    @queryset.setter
    def queryset(self, queryset: QuerySet[Any]) -> None:
        self._queryset = queryset


class BookChoiceField(forms.ModelChoiceField):
    """A foreign key's field in the book's forms: a `BookSelect` of records read for their labels only.

    What a label reads is the model's `label_fields` (the fields its `__str__` shows) unless the field is given a
    label of its own (`label_from_instance`), which must then say what it reads in `label_fields`, or its records
    are read whole. Only the drawing reads less: a submitted choice is looked up whole, as Django does."""

    iterator = LabelReadIterator
    widget = BookSelect
    label_fields: tuple[str, ...] | None = None

    def read_for_labels(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Return `queryset` reading only what its records' labels show (`label_reads`), their relations' ids and
        the field's `to_field`; unchanged when the labels do not say what they read."""
        reads = self.label_reads()
        if reads is None:
            return queryset
        # `only` refuses a relation it does not read but `select_related` follows: follow only those it reads.
        related = sorted({name.rpartition("__")[0] for name in reads if "__" in name})
        queryset = queryset.select_related(None)
        if related:  # (no name at all would follow every relation)
            queryset = queryset.select_related(*related)
        # The ids of its relations too: a related manager's records are given their known owner by id.
        relations = [field.name for field in queryset.model._meta.concrete_fields if field.many_to_one]
        value = [self.to_field_name] if self.to_field_name else []
        return queryset.only(*reads, *relations, *value)

    def label_reads(self) -> tuple[str, ...] | None:
        """Return the fields the labels of this field's records read, or None when not known (read them whole)."""
        if self.label_fields is not None:
            return self.label_fields
        if vars(self).get("label_from_instance", str) is not str:
            return None
        return getattr(self.queryset.model, "label_fields", None)


def book_formfield(db_field: models.Field, **kwargs: Any) -> forms.Field | None:
    """Return the form field of `db_field` with the book's inputs: ISO dates, localized amounts, selects of the
    book's records drawn fast."""
    if isinstance(db_field, models.ForeignKey):
        kwargs.setdefault("form_class", BookChoiceField)
    if isinstance(db_field, models.DateTimeField):
        kwargs.setdefault("widget", IsoDateTimeInput)
    elif isinstance(db_field, models.DateField):
        kwargs.setdefault("widget", IsoDateInput)
    elif isinstance(db_field, models.DecimalField):
        kwargs["form_class"] = LocalizedDecimalField
    formfield = db_field.formfield(**kwargs)
    if isinstance(db_field, models.DateField) and formfield is not None:
        # The window first, so that a form's own rules (a date in the future...) see only dates within it.
        formfield.validators.append(validate_day_in_window)
    return formfield
