"""Rendered journal items and client rows, cached by what they show.

A page lists up to ~60 items (dashboard rows and the week's work, a timeline page, a list page), and each item's
partial costs about a millisecond of template work. An item's HTML only changes when the item does, so it is
cached under a key made of everything it displays: its own fields, its client's (and health's) fields, the day,
the language, the time zone and the templates' own fingerprint. No invalidation is needed: a changed item gets
a new key, and stale keys expire.

The two per-request values inside an item, the CSRF token and the `next` address of its no-JS forms, are left as
holes in the cached HTML and filled in on every request.

Larger regions (the dashboard's board, a workspace's score panel and timeline) are cached the same way under a
`book_key`, which changes with the freelancer's `Profile.book_version`: any change of the book draws them again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from functools import cache as once
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import DEFERRED, JSONField, Model
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template import Context
from django.template.loader import get_template
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from crm.trust import reasons

ITEMS_TEMPLATE = "crm/items.html"
CACHE_SECONDS = 7 * 24 * 3600
# Relations whose fields an item also displays (when they were loaded with it): a call's recap says whether it
# was written, sent and answered (crm/recaps).
SHOWN_RELATIONS = ("client", "health", "recap")


@once
def _holes() -> tuple[str, str]:
    """Return the CSRF and `next` placeholders: unguessable, so no user text can contain them."""
    secret = salted_hmac("crm.fragments.holes", "v1").hexdigest()[:20]
    return f"csrf-{secret}", f"next-{secret}"


@once
def templates_fingerprint() -> str:
    """Return a digest of what draws an item and the page's chrome (their templates, their tags, the reasons'
    wording, the compiled catalogues): a deploy that changes any of them draws every item and the navigation
    afresh instead of serving cached HTML."""
    base = settings.BASE_DIR
    sources = [
        base / "templates" / "base.html",
        base / "templates" / ITEMS_TEMPLATE,
        base / "templates" / "crm" / "_recap_link.html",
        base / "templates" / "crm" / "dashboard.html",
        base / "templates" / "crm" / "client.html",
        base / "crm" / "templatetags" / "confiance.py",
        Path(reasons.__file__),
        *sorted((base / "locale").glob("*/LC_MESSAGES/django.mo")),
    ]
    digest = hashlib.blake2b(digest_size=8)
    for path in sources:
        digest.update(path.read_bytes())
    return digest.hexdigest()


@once
def _key_fields(model: type[Model]) -> list[str]:
    # A JSON field (a trust health's reasons and components) is only ever rewritten together with a time
    # (`computed_at`), which is in the key, or never rewritten (a `HealthChange`'s reason): leaving it out
    # spares turning it into text for every item.
    return [field.attname for field in model._meta.concrete_fields if not isinstance(field, JSONField)]


def _shown_values(obj: Model, depth: int = 1) -> list[Any]:
    """Return the values of `obj`'s fields and, one level down, of the relations loaded with it (a field not
    loaded, deferred, counts as such: reading it would query the database for a key)."""
    loaded_fields = obj.__dict__
    values = [loaded_fields.get(name, DEFERRED) for name in _key_fields(type(obj))]
    if depth:
        loaded = obj._state.fields_cache  # relations fetched with the object (select_related or set by hand)
        for name in SHOWN_RELATIONS:
            if name in loaded:
                related = loaded[name]
                values.append(None if related is None else _shown_values(related, depth - 1))
    return values


def fragment_key(partial: str, item: Model, setting: str) -> str:
    """Return the cache key of `item` rendered with `partial` in `setting` (see `_setting`): it changes
    whenever anything shown does."""
    shown = repr((partial, _shown_values(item), setting))
    return f"item:{hashlib.blake2b(shown.encode(), digest_size=16).hexdigest()}"


def _setting(extra: dict[str, Any], today: date | None) -> str:
    """Return what every item of one rendering shares and shows: options, day, language, time zone, templates."""
    parts = (sorted(extra.items()), today, get_language(), timezone.get_current_timezone_name())
    return f"{templates_fingerprint()}{parts!r}"


def render(
    context: Context, entries: Iterable[tuple[str, Model]], extra: dict[str, Any] | None = None
) -> SafeString:
    """Render each (partial name, item) of `entries` from crm/items.html, reusing cached HTML where nothing changed."""
    extra = extra or {}
    today = context.get("today")
    entries = list(entries)
    setting = _setting(extra, today)
    keys = [fragment_key(partial, item, setting) for partial, item in entries]
    cached: dict[str, str] = cache.get_many(keys) if keys else {}
    fresh: dict[str, str] = {}
    csrf_hole, next_hole = _holes()
    for key, (partial, item) in zip(keys, entries, strict=True):
        if key not in cached:
            fresh[key] = cached[key] = _render(partial, item, extra, today, csrf_hole, next_hole)
    if fresh:
        cache.set_many(fresh, CACHE_SECONDS)
    html = mark_safe("".join(cached[key] for key in keys))  # drawn by the autoescaping template engine
    if context.get("keep_holes"):  # a larger fragment is being drawn to be cached: its holes stay open too
        return html
    return fill_holes(html, context.get("request"))


def fill_holes(html: str, request: HttpRequest | None) -> SafeString:
    """Return cached HTML with this request's CSRF token and address in its holes (escaped)."""
    token, here = (get_token(request), request.get_full_path()) if request is not None else ("", "")
    csrf_hole, next_hole = _holes()
    return mark_safe(html.replace(csrf_hole, escape(token)).replace(next_hole, escape(here)))


def _render(
    partial: str, item: Model, extra: dict[str, Any], today: date | None, csrf_hole: str, next_hole: str
) -> str:
    template = get_template(f"{ITEMS_TEMPLATE}#{partial}")
    # No request here: what an item shows must not depend on one, except the two holes.
    return template.render(
        {"item": item, "today": today, "csrf_token": csrf_hole, "next_url": next_hole, **extra}
    )


def render_each(context: Context, items: Sequence[Model], partial: str, **extra: Any) -> SafeString:
    """Render every item of `items` with the same partial (see `render`)."""
    return render(context, ((partial, item) for item in items), extra)


def setting_key(kind: str, owner: Any, *parts: object) -> str:
    """Return a cache key for something drawn for the owner in the active language and time zone, with these
    templates: it changes with any of `parts`."""
    setting = repr((get_language(), timezone.get_current_timezone_name(), templates_fingerprint(), *parts))
    digest = hashlib.blake2b(setting.encode(), digest_size=16).hexdigest()
    return ":".join([kind, str(owner.pk), digest])


def book_key(kind: str, owner: Any, *parts: object) -> str:
    """Return a cache key for something drawn or computed from the owner's book, in the active language and time
    zone: it changes with the book version (`Profile.book_version`) and with any of `parts`."""
    return setting_key(kind, owner, owner.profile.book_version, *parts)


def cached_region(
    request: HttpRequest,
    key: str,
    template_name: str,
    build: Callable[[], dict],
    timeout: int = CACHE_SECONDS,
) -> SafeString:
    """Return a region of a page drawn from the context `build()` returns, cached under `key`.

    Drawn without context processors, so nothing of this request is stored: its CSRF token and address are
    holes, filled in on every request like an item's.
    """
    drawn = cache.get(key)
    if drawn is None:
        csrf_hole, next_hole = _holes()
        context = {
            **build(),
            "request": request,
            "keep_holes": True,
            "csrf_token": csrf_hole,
            "next_url": next_hole,
        }
        drawn = get_template(template_name).render(context)
        cache.set(key, drawn, timeout)
    return fill_holes(drawn, request)
