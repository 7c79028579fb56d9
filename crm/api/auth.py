"""Who calls the API: a personal access token sent as `Authorization: Bearer <token>`.

No session: the API is for scripts, and a cookie-borne session would need CSRF tokens on every write; a bearer
token is never sent by a browser on its own, so there is nothing to forge. A read-only token may only read (403
otherwise); every token has its own rate (`RATE_LIMIT_API`, 429 with `Retry-After` past it).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage
from ninja.security import HttpBearer

from clients.models import AccessToken, hash_token
from crm.api.problems import Refused

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _token_key(group: str, request: HttpRequest) -> str:
    return f"token:{request.auth.pk}"


def _rate(group: str, request: HttpRequest) -> str:
    return settings.RATE_LIMIT_API


class TokenAuth(HttpBearer):
    """Find the token (by its hash), refuse a revoked one, then act as its owner, in their language and zone."""

    def authenticate(self, request: HttpRequest, token: str) -> AccessToken | None:
        if len(token) > 200:
            return None
        found = (
            AccessToken.objects.active()
            .select_related("owner__profile")
            .filter(key_hash=hash_token(token))
            .first()
        )
        if found is None or not found.owner.is_active:
            return None
        request.auth = found
        self._check_rate(request)
        if request.method not in READ_METHODS and not found.can_write:
            raise Refused(
                403, _("This token may only read. Make a read-and-write token to change your book.")
            )
        found.touch(timezone.now())
        # Act as the owner: history rows name them (django-simple-history reads request.user when it saves).
        request.user = found.owner
        # Times in the owner's zone; the language is the request's (crm/api/language.py), not the owner's.
        timezone.activate(found.owner.profile.zone)
        return found

    @staticmethod
    def _check_rate(request: Any) -> None:
        # django-ratelimit's public get_usage(): whether to refuse, and the seconds left in the window.
        usage = get_usage(request, group="api", key=_token_key, rate=_rate, increment=True)
        if usage is not None and usage["should_limit"]:
            retry = str(max(1, usage["time_left"]))
            raise Refused(
                429, _("Too many requests with this token; try again shortly."), {"Retry-After": retry}
            )
