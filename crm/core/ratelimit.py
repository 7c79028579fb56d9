"""Rate limits by the client's real address: the pages a stranger may hammer (sign-up, password reset, every
page behind a secret link) count one address the way the login throttle (`clients/throttle.py`) does.

Besides Django it stands on django-ratelimit, a Django add-on, and on nothing of the project.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.decorators import ratelimit

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(proxy.strip(), strict=False) for proxy in proxies if proxy.strip())


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def client_ip(request: HttpRequest) -> str:
    """Return the address of the client that sent this request, as far as it can be trusted.

    The peer (REMOTE_ADDR) is the client unless it is one of `TRUSTED_PROXIES`; only then is X-Forwarded-For
    read, from the right (each proxy appends the address it saw), skipping our own proxies: the first address
    that is not one of them is the client. Anything a client writes into the header itself lies to the left of
    that and is never believed, so forged headers cannot make every failed login count against the proxy.
    """
    peer = _address(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return "unknown"
    networks = _networks(tuple(settings.TRUSTED_PROXIES))
    if not _trusted(peer, networks):
        return str(peer)
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            # Garbage in the chain where a proxy should have written an address: stop at the last one we trust.
            break
        if not _trusted(address, networks):
            return str(address)
        peer = address
    return str(peer)


def _client_key(group: str, request: HttpRequest) -> str:
    return client_ip(request)


def rate_limit(setting: str, method: str | list[str] = ratelimit.ALL) -> Any:
    """Limit a view to the rate the named setting holds ("10/h"), per client address (block with a 429).

    Views limited by the same setting share one budget: guessing tokens on two pages counts once."""
    return ratelimit(
        group=setting,
        key=_client_key,
        rate=lambda group, request: getattr(settings, setting),
        method=method,
        block=True,
    )
