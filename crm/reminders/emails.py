"""Render and address the app's emails: templates come as triples in templates/emails/.

`<name>-subject.txt`, `<name>-body.txt` and `<name>-body.html`; the caller activates the reader's
language and time zone before rendering.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from config.site import site_url

PREFERENCES_SALT = "crm.email-preferences"


def render_text(name: str, context: dict[str, Any]) -> tuple[str, str]:
    """Return the (subject, plain-text body) of the template pair `name`."""
    # One line (a header cannot hold a newline), French no-break spaces kept: split on ASCII whitespace only.
    subject = " ".join(
        re.split(r"[ \t\r\n]+", render_to_string(f"emails/{name}-subject.txt", context).strip())
    )
    body = render_to_string(f"emails/{name}-body.txt", context).strip() + "\n"
    return subject, body


def render_email(
    name: str,
    context: dict[str, Any],
    *,
    to: list[str],
    headers: dict[str, str] | None = None,
    from_email: str | None = None,
    connection: Any = None,
) -> EmailMultiAlternatives:
    """Return the email `name` rendered from its triple, with a plain-text and an HTML part.

    `connection` is the transport: the site's mail server by default, or another (the freelancer's own SMTP
    server for a status update sent from the app, crm/capture/sending.py)."""
    subject, text = render_text(name, context)
    html = render_to_string(f"emails/{name}-body.html", context)
    message = EmailMultiAlternatives(
        subject, text, from_email=from_email, to=to, headers=headers or {}, connection=connection
    )
    message.attach_alternative(html, "text/html")
    return message


def absolute(path: str) -> str:
    return f"{site_url()}{path}"


def client_url(client_id: int) -> str:
    """Return the absolute link to the client's workspace (the dashboard while that page is missing)."""
    try:
        return absolute(reverse("web:client", kwargs={"client_id": client_id}))
    except NoReverseMatch:
        return absolute(reverse("web:dashboard"))


def preferences_token(user_id: int, kind: str, version: int = 0) -> str:
    """Return the signed token naming a freelancer, the email kind a one-click unsubscribe turns off, and the
    freelancer's links version when it was made (moving that version revokes it). It carries its time too."""
    return signing.dumps({"u": user_id, "k": kind, "v": version}, salt=PREFERENCES_SALT, compress=True)


def read_preferences_token(token: str) -> tuple[int, str, int]:
    """Return (user id, kind, links version) from a token.

    Raise signing.SignatureExpired when it is older than EMAIL_LINK_MAX_AGE (each email carries a fresh one),
    signing.BadSignature when it was not made here.
    """
    data = signing.loads(token, salt=PREFERENCES_SALT, max_age=settings.EMAIL_LINK_MAX_AGE)
    return int(data["u"]), str(data["k"]), int(data.get("v", 0))


def preferences_url(user_id: int, kind: str, version: int = 0) -> str:
    token = preferences_token(user_id, kind, version)
    return absolute(reverse("web:email_preferences", kwargs={"token": token}))


def preferences_context(owner: Any, kind: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the context (preferences link, site address) and the unsubscribe headers of an email to `owner`."""
    url = preferences_url(owner.pk, kind, owner.profile.email_links_version)
    return {"preferences_url": url, "site_url": site_url()}, unsubscribe_headers(url)


def unsubscribe_headers(url: str) -> dict[str, str]:
    """Return the RFC 2369 / RFC 8058 headers that let mail clients offer a one-click unsubscribe."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
