"""A country of the book (a client's, a business address's): django_countries' field, its choice checked by code.

On Django 5 django_countries gives its field its choices as a function, so that their names follow the active
language; Django then builds the whole list again (about 250 translated names, normalised one by one) each time
it checks that a value is one of them: in the form, then once more in the model's `full_clean`, about a
millisecond of every client saved. A country is chosen by its code: both checks here look the code up in the
same list's codes (`code in countries`, one dictionary lookup), and leave the names to the select that draws them.
The rule is django_countries' own list (with `COUNTRIES_OVERRIDE`), read once by both.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django_countries import Countries
from django_countries.fields import CountryField as BaseCountryField
from django_countries.fields import LazyTypedChoiceField

__all__ = ["CountryChoiceField", "CountryField"]


class CountryChoiceField(LazyTypedChoiceField):
    """The form's country select: a value is valid when it is the code of one of the list's countries."""

    countries: Countries

    def valid_value(self, value: Any) -> bool:
        return str(value) in self.countries


class CountryField(BaseCountryField):
    """django_countries' `CountryField` (the same column and migrations), validating a code without drawing
    the list of names."""

    def validate(self, value: Any, model_instance: Any) -> None:
        if self.multiple or not self.editable or value in self.empty_values:
            super().validate(value, model_instance)
        elif str(value) not in self.countries:
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )

    def formfield(self, **kwargs: Any) -> forms.Field | None:  # type: ignore[override]  # its two classes in kwargs
        if not self.multiple:
            kwargs.setdefault("choices_form_class", CountryChoiceField)
        field = super().formfield(**kwargs)
        if isinstance(field, CountryChoiceField):
            field.countries = self.countries
        return field

    def deconstruct(self) -> Any:
        # django_countries' own field in the migrations: this class changes how values are checked, not the column.
        name, _path, args, kwargs = super().deconstruct()
        return name, "django_countries.fields.CountryField", args, kwargs
