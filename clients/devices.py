"""Settings → Sessions: every signed-in session of an account, with its device, address and last visit, and
signing the others out.

Each login writes an `AccountSession` row and puts its id in the session (`record_login`, called from the
`user_logged_in` receiver in clients/signals.py, so every way in counts: the login page, the admin's, sign-up).
`SessionSeenMiddleware` refreshes "last seen" at most every `SEEN_EVERY`, from a time kept in the session:
the pages between cost no query. Signing a session out deletes it from the session store, so its browser is
anonymous on its next request, whatever it held.
"""

from __future__ import annotations

import re
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import AccountSession
from crm.core.ratelimit import client_ip

ROW = "account_session"
SEEN = "account_session_seen"
# The session key the row holds: a key cycled since (a password change, the second factor) is written at once.
KEY = "account_session_key"
# "Last seen" is this precise: a write at most every five minutes per session.
SEEN_EVERY = timedelta(minutes=5)


def record_login(request: HttpRequest, user: Any) -> AccountSession:
    """Write the row of the session this login just opened, and remember it in the session."""
    now = timezone.now()
    row = AccountSession.objects.create(
        user=user,
        session_key=request.session.session_key or "",
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
        ip_address=client_ip(request)[:45],
        created_at=now,
        last_seen=now,
    )
    request.session[ROW] = row.pk
    request.session[SEEN] = now.timestamp()
    request.session[KEY] = row.session_key
    return row


def seen(request: HttpRequest) -> None:
    """Refresh the session's "last seen", its address and key, when SEEN_EVERY has passed since the last time
    (a session from before this feature gets its row now)."""
    now = timezone.now()
    last = request.session.get(SEEN)
    same_key = request.session.get(KEY) == request.session.session_key
    if same_key and last is not None and 0 <= now.timestamp() - last < SEEN_EVERY.total_seconds():
        return
    fields = {
        "last_seen": now,
        "ip_address": client_ip(request)[:45],
        "session_key": request.session.session_key or "",
    }
    updated = AccountSession.objects.filter(pk=request.session.get(ROW), user=request.user).update(**fields)
    if not updated:
        agent = request.META.get("HTTP_USER_AGENT", "")[:300]
        row = AccountSession.objects.create(user=request.user, user_agent=agent, created_at=now, **fields)
        request.session[ROW] = row.pk
    request.session[SEEN] = now.timestamp()
    request.session[KEY] = fields["session_key"]


def forget_logout(request: HttpRequest) -> None:
    """Delete the row of the session being logged out."""
    row = request.session.get(ROW) if hasattr(request, "session") else None
    if row is not None:
        AccountSession.objects.filter(pk=row).delete()


def sessions_of(user: Any) -> QuerySet[AccountSession]:
    return AccountSession.objects.filter(user=user)


def current_id(request: HttpRequest) -> int | None:
    return request.session.get(ROW)


def _store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def end(rows: QuerySet[AccountSession]) -> int:
    """Sign these sessions out (their sessions deleted from the store) and delete their rows; return how many."""
    store = _store()
    ended = 0
    for row in rows:
        if row.session_key:
            store(session_key=row.session_key).delete()
        row.delete()
        ended += 1
    return ended


def end_others(request: HttpRequest) -> int:
    """Sign out every session of the account but this one; return how many."""
    others = sessions_of(request.user).exclude(pk=current_id(request))
    # A session cycled since its row was written (a password change) is ended by its current key too.
    return end(others.exclude(session_key=request.session.session_key or "-"))


BROWSERS = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"),
            ("Chrome/", "Chrome"), ("Safari/", "Safari")]  # fmt: skip
SYSTEMS = [("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
           ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux")]  # fmt: skip


def describe(user_agent: str) -> str:
    """Return a device's summary from its user agent: "Firefox on Windows", or the agent's first words."""
    browser = next((name for mark, name in BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in SYSTEMS if mark in user_agent), "")
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if browser or system:
        return browser or system
    words = re.sub(r"\s+", " ", user_agent).strip()
    return words[:40] or _("Unknown device")
