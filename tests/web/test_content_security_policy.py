"""The Content Security Policy: sent on every page, strict (no 'unsafe-inline'), and kept by our templates."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from tests.factories import make_client

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
# Emails are read by mail clients, which need inline styles and never see the site's headers.
# Emails and the evidence pack's PDF (laid out by WeasyPrint in a worker, never served) carry their own styles.
WEB_TEMPLATES = [
    path
    for path in TEMPLATES.rglob("*.html")
    if "emails" not in path.parts and path.relative_to(TEMPLATES).as_posix() != "evidence/document.html"
]


def _policy(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_every_page_sends_a_strict_policy(alice_client: Any, alice: Any) -> None:
    rita = make_client(alice)
    for url in ["/", reverse("web:client", kwargs={"client_id": rita.pk}), reverse("login")]:
        policy = _policy(alice_client.get(url))
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["default-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize("path", WEB_TEMPLATES, ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_no_template_has_inline_script_or_style(path: Path) -> None:
    text = path.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "an inline <script>"
    assert "<style" not in text
    assert not re.search(r"\sstyle=", text), "a style= attribute"
    assert not re.search(r"\son[a-z]+=", text), "an inline event handler"
    assert "javascript:" not in text


def test_htmx_is_told_not_to_inject_its_indicator_style(client: Any, db: None) -> None:
    page = client.get(reverse("login")).content.decode()
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>""" in page
    assert ".htmx-indicator" in (TEMPLATES.parent / "static" / "css" / "confiance.css").read_text()
