"""The import's two forms: the upload, and the preview's column mapping."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.dataio.columns import CLIENT_FIELDS, HISTORY_FIELDS
from crm.models import BookImport


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=BookImport.Kind.choices)
    file = forms.FileField(label=_("File"))


class MappingForm(forms.Form):
    """One select per column of the file: the field it holds, or nothing (ignored)."""

    def __init__(self, *args: Any, book_import: BookImport, header: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = CLIENT_FIELDS if book_import.kind == BookImport.Kind.CLIENTS else HISTORY_FIELDS
        choices = [("", _("(ignored)")), *((name, label) for name, (label, _words) in fields.items())]
        for index, title in enumerate(header):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=title or _("column %(number)d") % {"number": index + 1},
                choices=choices,
                required=False,
                initial=book_import.mapping.get(str(index), ""),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        chosen = [value for value in data.values() if value]
        for name in {value for value in chosen if chosen.count(value) > 1}:
            raise forms.ValidationError(
                _("Each field can come from one column only: “%(field)s” is chosen twice.") % {"field": name}
            )
        return data

    def mapping(self) -> dict[str, str]:
        return {name.removeprefix("column_"): value for name, value in self.cleaned_data.items() if value}
