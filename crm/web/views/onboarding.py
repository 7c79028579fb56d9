"""The first run: explore a sample book, and remove it in one click once the freelancer's own book begins."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.demo.sample import BookNotEmpty, remove_sample_book, seed_sample_book
from crm.trust import formula
from crm.trust.health import thresholds
from crm.web.views.common import HtmxHttpRequest


@login_required
@require_POST
def sample_book(request: HtmxHttpRequest) -> HttpResponse:
    try:
        seed_sample_book(request.user)
    except BookNotEmpty:
        messages.error(request, _("Your book has clients already: the sample goes into an empty book only."))
    else:
        messages.success(
            request, _("Here is a sample book to explore. Remove it in one click when you start your own.")
        )
    return redirect("web:dashboard")


@login_required
@require_POST
def sample_book_remove(request: HtmxHttpRequest) -> HttpResponse:
    removed = remove_sample_book(request.user)
    if removed:
        messages.success(request, _("The sample book is removed: your own clients stay."))
    return redirect("web:dashboard")


GUIDE_LANGUAGES = {"en", "fr"}


@login_required
def guide(request: HtmxHttpRequest) -> HttpResponse:
    """Show the user guide in the freelancer's language (its prose is a page per language, not msgids)."""
    language = translation.get_language()
    body = f"crm/guide/{language if language in GUIDE_LANGUAGES else 'en'}.html"
    return render(request, "crm/guide.html", {"guide_body": body, "bands": guide_bands()})


def guide_bands() -> dict[str, int]:
    """Return the numbers the guide states, read from the rule itself (`crm.trust.formula.band_for` and the
    settings' thresholds), so the guide cannot say another rule than the score, the header and the timeline."""
    bands = thresholds()
    return {
        "healthy": bands.healthy,
        "watch": bands.watch,
        "watch_top": bands.healthy - 1,
        "min_evidence": bands.min_evidence,
        "side_margin": round(formula.SIDE_MARGIN),
    }
