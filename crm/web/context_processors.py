from __future__ import annotations

from django.http import HttpRequest

from crm.web import fragments


def chrome(request: HttpRequest) -> dict[str, str]:
    """Give templates/base.html what its cached navigation and shortcuts are keyed by besides the language: the
    fingerprint of the templates and catalogues, so a deploy that changes them draws them afresh."""
    return {"chrome_version": fragments.templates_fingerprint()}
