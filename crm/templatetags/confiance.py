"""Template helpers of the web app: the band badge, reasons in words, links to events, money."""

from __future__ import annotations

import functools
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django import template
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.encoding import force_str
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from crm.models import Feeling, Promise
from crm.models.health import Band
from crm.trust.reasons import describe as describe_reason
from crm.trust.reasons import side_label
from crm.web import fragments

register = template.Library()

# The band is never told by colour alone: each has a word and its own shape.
BAND_ICONS = {Band.HEALTHY: "●", Band.WATCH: "◐", Band.AT_RISK: "▲", Band.INSUFFICIENT: "○"}

# Where a reason's evidence lives: the event type named by the trust engine -> the page showing it.
EVENT_ROUTES = {
    "interaction": ("web:interaction", "interaction_id"),
    "promise": ("web:promise", "promise_id"),
    "invoice": ("web:invoice", "invoice_id"),
    "conflict": ("web:conflict", "signal_id"),
    "conflict_signal": ("web:conflict", "signal_id"),
    "conflictsignal": ("web:conflict", "signal_id"),
    "signal": ("web:conflict", "signal_id"),
    "client": ("web:client", "client_id"),
    # A change in its project's log (scope drift, issue 26).
    "scope_change": ("web:scope_change", "scope_change_id"),
}

COMPONENT_LABELS = {
    "promises": _("Promises kept"),
    "payments": _("Payments"),
    "cadence": _("Status updates on time"),
    "responsiveness": _("Responsiveness"),
    "client_responsiveness": _("Client's answers"),
    "conflicts": _("Conflict signals"),
    "reciprocity": _("Client's own promises"),
    "feeling": _("Your own feeling"),
    "client_voice": _("What the client said"),
}

# What helps and what hurts is told by a shape and a word, never by colour alone.
EFFECT_ICONS = {"helps": "▲", "hurts": "▼"}


@register.simple_tag
def band_badge(band: str | None) -> SafeString:
    """Render a band as an icon and a word (a client without a health row has not enough history)."""
    band = band or Band.INSUFFICIENT
    label = Band(band).label if band in Band.values else band
    return format_html(
        '<span class="band band-{}"><span class="band-icon" aria-hidden="true">{}</span> {}</span>',
        band,
        BAND_ICONS.get(band, "○"),
        label,
    )


@register.filter
def describe(reason: dict[str, Any], today: date | None = None) -> Any:
    """Return the reason in words (`.text`, `.next_step`, `.side`, `.effect`), day counts drawn against `today`."""
    return describe_reason(reason, today or None)


@register.simple_tag
def effect_badge(effect: str, impact: float | None = None) -> SafeString:
    """Render whether a reason helps or hurts the score, by an icon and words, with its points."""
    points = abs(round(float(impact or 0)))
    if effect == "helps":
        words = ngettext("Helps: +%(n)d point", "Helps: +%(n)d points", points) % {"n": points}
    elif effect == "hurts":
        words = ngettext("Hurts: −%(n)d point", "Hurts: −%(n)d points", points) % {"n": points}
    else:
        words = gettext("No effect on the score")
    return format_html(
        '<span class="effect effect-{}"><span class="effect-icon" aria-hidden="true">{}</span> {}</span>',
        effect or "none",
        EFFECT_ICONS.get(effect, "○"),
        words,
    )


@register.filter
def side_name(side: str) -> str:
    """Return the side of the word a component belongs to, or "overall" for the freelancer's feeling."""
    return side_label(side) or str(_("Overall only"))


@register.filter
def weight_in_words(weight: float) -> SafeString:
    """Return a component's weight as a factor and in words ("×0.8, a little less than a promise")."""
    weight = float(weight)
    if weight >= 1:
        words = gettext("as much as a promise")
    elif weight >= 0.75:
        words = gettext("a little less than a promise")
    elif weight >= 0.55:
        words = gettext("about two thirds of a promise")
    else:
        words = gettext("about half a promise")
    return format_html('×{}<br><span class="muted weight-words">{}</span>', f"{weight:g}", words)


@register.filter
def feeling_of(health: Any) -> dict[str, Any] | None:
    """Return the freelancer's current feeling as stored in the trust health (label, note, days), or None."""
    for reason in getattr(health, "reasons", None) or ():
        code = str(reason.get("code", ""))
        if code.startswith("feeling_"):
            params = reason.get("params", {})
            rating = code.removeprefix("feeling_")
            return {
                "label": Feeling.Rating(rating).label if rating in Feeling.Rating.values else rating,
                "note": params.get("note", ""),
                "felt_on": date.fromisoformat(params["felt_on"]) if params.get("felt_on") else None,
                "expires_on": date.fromisoformat(params["expires_on"]) if params.get("expires_on") else None,
            }
    return None


@register.filter
def event_url(event: dict[str, Any] | None) -> str:
    """Return the URL of the event a reason points to, or "" when it has none."""
    if not event or event.get("type") not in EVENT_ROUTES:
        return ""
    name, kwarg = EVENT_ROUTES[event["type"]]
    try:
        return id_address(name, int(event["id"]), kwarg)
    except (KeyError, TypeError, ValueError):
        return ""


# A number no id reaches, reversed in place of an id to learn a pattern's address around it.
_ID_MARK = 987654321987654321


@functools.lru_cache(maxsize=512)
def _address_around_id(name: str, kwarg: str, prefix: str, urlconf: str) -> tuple[str, str] | None:
    """Return the address of the view `name` cut where its one id goes (the keyword `kwarg`, or the only argument
    when ""), or None when it does not reverse. `prefix` and `urlconf` are in the arguments so that a cached cut
    is never served for another."""
    try:
        if kwarg:
            address = reverse(name, kwargs={kwarg: _ID_MARK}, urlconf=urlconf)
        else:
            address = reverse(name, args=[_ID_MARK], urlconf=urlconf)
    except NoReverseMatch:
        return None
    before, mark, after = address.partition(str(_ID_MARK))
    return (before, after) if mark and str(_ID_MARK) not in after else None


def id_address(name: str, value: Any, kwarg: str = "") -> str:
    """Return the address of the view `name` for one integer id (`reverse`), the pattern reversed once per process
    rather than once per item: a page of items drew some 300 addresses. "" when the name does not reverse."""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    cut = _address_around_id(name, kwarg, get_script_prefix(), urlconf)
    if cut is not None and type(value) is int:
        return f"{cut[0]}{value}{cut[1]}"
    try:
        return reverse(name, kwargs={kwarg: value} if kwarg else None, args=None if kwarg else [value])
    except NoReverseMatch:
        return ""


@register.simple_tag
def id_url(name: str, *args: Any, **kwargs: Any) -> str:
    """`{% url %}` for a view taking one integer id (`{% id_url 'web:promise' promise_id=item.pk %}`), cheaper in
    a list (`id_address`); "" when the name does not reverse, as `{% url ... as var %}` gives."""
    ((kwarg, value),) = [*(("", arg) for arg in args), *kwargs.items()]
    return id_address(name, value, kwarg)


@register.filter
def first_event_url(reason: dict[str, Any] | None) -> str:
    events = (reason or {}).get("events") or []
    return event_url(events[0]) if events else ""


@register.filter
def component_label(name: str) -> str:
    return str(COMPONENT_LABELS.get(name, name.replace("_", " ").capitalize()))


@register.filter
def money(amount: Decimal | None, currency: str = "EUR") -> str:
    """Format an amount for the active locale, with grouped thousands: 1,200.00 EUR / 1 200,00 EUR."""
    if amount is None:
        return ""
    return f"{floatformat(amount, '2g')}\u00a0{currency}"


@register.filter
def promise_outcome(promise: Any, today: Any) -> Any:
    """Return the promise's outcome today (`.value` for styling, `.label` in words)."""
    return Promise.Outcome(promise.outcome(today))


@register.simple_tag(takes_context=True)
def page_url(context: template.Context, number: int) -> str:
    """Return the current URL's query string with `page` set to `number` (filters kept)."""
    query = context["request"].GET.copy()
    query["page"] = number
    return f"?{query.urlencode()}"


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """Return the current query string with some parameters changed, starting again at page 1."""
    query = context["request"].GET.copy()
    query.pop("page", None)
    for key, value in changes.items():
        query[key] = value
    return f"?{query.urlencode()}"


@register.filter(name="days_late")
def invoice_lateness(invoice: Any, today: Any) -> int:
    """Return how many days late the invoice's payment is, or was (`Invoice.lateness`)."""
    return invoice.lateness(today)


@register.filter
def days_open(promise: Any, today: Any) -> int:
    """Return how many days an open promise is past its due date (0 when not yet due)."""
    return promise.days_overdue(today)


@register.filter
def undo_id(tags: str) -> int | None:
    """Return the undo id a message carries in its tags (`undo:<id>`, see `answer_with_undo`), if any."""
    for tag in (tags or "").split():
        if tag.startswith("undo:") and tag[5:].isdigit():
            return int(tag[5:])
    return None


@functools.cache
def _choice_labels(model: type, name: str) -> dict[Any, Any]:
    return dict(model._meta.get_field(name).flatchoices)


@register.filter
def label_of(item: Any, name: str) -> str:
    """Return the label of `item`'s choice field `name`, as `get_<name>_display` does, with the field's choices
    gathered once per field instead of on every call (a list draws it several times per item)."""
    value = getattr(item, name)
    return force_str(_choice_labels(type(item), name).get(value, value), strings_only=True)


@register.filter
def absolute(number: int) -> int:
    return abs(number)


@register.simple_tag(takes_context=True)
def render_items(context: template.Context, items: Any, partial: str, **extra: Any) -> SafeString:
    """Render each item with the crm/items.html partial `partial`, from the fragment cache where unchanged."""
    return fragments.render_each(context, list(items), partial, **extra)


@register.simple_tag(takes_context=True)
def render_entries(context: template.Context, entries: Any, **extra: Any) -> SafeString:
    """Render timeline entries (each with `.source` and `.item`) like `render_items`."""
    return fragments.render(context, ((entry.source, entry.item) for entry in entries), extra)


@register.filter
def machine_moment(value: datetime | None) -> str:
    """Return a moment as HTML's `datetime` attribute wants it: ISO 8601 to the second, with its offset (Django's
    "c" format keeps microseconds, which is not a valid HTML date-time)."""
    if value is None:
        return ""
    return value.replace(microsecond=0).isoformat()


@register.filter
def tel_href(phone: str | None) -> str:
    """Return a phone number as a `tel:` URI wants it (RFC 3966): a leading + and digits, no spaces or dots."""
    if not phone:
        return ""
    digits = "".join(character for character in phone if character.isdigit())
    return f"+{digits}" if phone.strip().startswith("+") else digits
