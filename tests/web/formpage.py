"""Read a form as a browser shows it, and submit it as a browser would.

`drawn_forms(html)` parses every `<form>` of a page with the standard library's HTML parser: inputs (with the
browser's value sanitization: a `type="date"` input whose value is not `yyyy-mm-dd` is shown empty and submitted
empty), the selected option of each select (the first when none is), textareas (without the newline the parser
drops after the start tag), checked checkboxes and radios. Disabled controls and buttons are not submitted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser

# What a browser keeps of an input's value (HTML "value sanitization algorithm"); anything else becomes "".
_VALID = {
    "date": re.compile(r"\d{4,}-\d{2}-\d{2}"),
    "datetime-local": re.compile(r"\d{4,}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?"),
    "number": re.compile(r"-?(\d+(\.\d+)?|\.\d+)([eE][+-]?\d+)?"),
    "month": re.compile(r"\d{4,}-\d{2}"),
    "time": re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?"),
}


def browser_value(input_type: str, value: str) -> str:
    """Return what a browser keeps of `value` in an input of `input_type`."""
    pattern = _VALID.get(input_type)
    if pattern is None:
        return value.replace("\r", "").replace("\n", "") if input_type not in ("hidden",) else value
    if not pattern.fullmatch(value):
        return ""
    if input_type == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return ""
    return value


@dataclass
class DrawnForm:
    attrs: dict[str, str]
    fields: list[tuple[str, str]] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)

    @property
    def action(self) -> str:
        return self.attrs.get("action", "")

    def data(self) -> dict[str, str | list[str]]:
        """Return the submitted values by name (a list where a name repeats)."""
        values: dict[str, list[str]] = {}
        for name, value in self.fields:
            values.setdefault(name, []).append(value)
        return {name: found[0] if len(found) == 1 else found for name, found in values.items()}

    def value(self, name: str) -> str:
        return dict(self.fields)[name]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[DrawnForm] = []
        self._form: DrawnForm | None = None
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value if value is not None else "" for name, value in attrs}
        if tag == "form":
            self._form = DrawnForm(found)
            self.forms.append(self._form)
            return
        if self._form is None or "disabled" in found:
            if tag == "select" and self._form is not None:
                self._select = {"name": None, "options": []}  # disabled: read, never submitted
            return
        name = found.get("name")
        if tag == "input" and name:
            kind = found.get("type", "text").lower()
            self._form.types[name] = kind
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio"):
                if "checked" in found:
                    self._form.fields.append((name, found.get("value", "on")))
                return
            self._form.fields.append((name, browser_value(kind, found.get("value", ""))))
        elif tag == "select":
            self._select = {"name": name, "options": [], "multiple": "multiple" in found}
            self._form.types[name or ""] = "select"
        elif tag == "option" and self._select is not None:
            self._option = {"value": found.get("value"), "text": "", "selected": "selected" in found}
            self._select["options"].append(self._option)
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "text": ""}
            self._form.types[name] = "textarea"

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea["text"] += data
        elif self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            text = self._textarea["text"]
            text = text[1:] if text.startswith("\n") else text  # the HTML parser of a browser drops it
            self._form.fields.append(
                (self._textarea["name"], text.replace("\r\n", "\n").replace("\n", "\r\n"))
            )
            self._textarea = None
        elif tag == "select" and self._select is not None and self._form is not None:
            options = self._select["options"]
            chosen = [option for option in options if option["selected"]] or options[:1]
            if not self._select.get("multiple"):
                chosen = chosen[-1:]
            if self._select["name"]:
                for option in chosen:
                    value = option["value"] if option["value"] is not None else option["text"].strip()
                    self._form.fields.append((self._select["name"], value))
            self._select = None


def drawn_forms(html: str) -> list[DrawnForm]:
    """Return every form of `html` with the values a browser would submit untouched."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.forms
