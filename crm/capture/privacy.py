"""Privacy first: which messages may be kept, and with which client they are logged.

Only a message from or to a known address of the freelancer's clients is kept (a whole client domain only if
the freelancer opted in, never a webmail domain; never anything on the exclusion list). Everything else is
dropped as it is read: not stored, not counted, not logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clients.models import Contact
from crm.capture.messages import Facts

# Domains shared by millions of people: "anyone at gmail.com" is never one client.
WEBMAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "hotmail.fr", "live.com", "live.fr",
        "msn.com", "yahoo.com", "yahoo.fr", "icloud.com", "me.com", "mac.com", "aol.com", "gmx.com", "gmx.fr",
        "gmx.de", "orange.fr", "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net", "bbox.fr", "proton.me",
        "protonmail.com", "zoho.com", "yandex.com", "mail.com",
    }
)  # fmt: skip

FROM_CLIENT = "from_client"
TO_CLIENT = "to_client"


def known_addresses(owner: Any) -> dict[str, tuple[int, int]]:
    """Return the known addresses of `owner`'s contacts (lowercase), each with its (client id, contact id).

    The one place that says who a known contact is: every contact of every client (`clients.Contact`; the
    client's own address is its primary contact's).
    """
    return {
        address: (contact.client_id, contact.pk)
        for address, contact in Contact.objects.addresses_for(owner).items()
    }


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


@dataclass
class Sieve:
    """The freelancer's rules, read once per sync or import."""

    addresses: dict[str, tuple[int, int]]
    domains: dict[str, int]
    excluded: set[str]
    own: set[str]

    @classmethod
    def for_owner(
        cls, owner: Any, *, own: set[str], match_domains: bool = False, excluded: set[str] | None = None
    ) -> Sieve:
        addresses = known_addresses(owner)
        domains: dict[str, int] = {}
        if match_domains:
            for address, (client_id, _contact_id) in addresses.items():
                domain = domain_of(address)
                if domain not in WEBMAIL_DOMAINS:
                    domains.setdefault(domain, client_id)
        return cls(addresses, domains, {e.lower() for e in excluded or set()}, {a.lower() for a in own if a})

    def _is_excluded(self, address: str) -> bool:
        return address in self.excluded or domain_of(address) in self.excluded

    def client_of(self, address: str) -> int | None:
        """Return the client `address` belongs to, or None for a stranger (or an excluded address)."""
        if self._is_excluded(address):
            return None
        if address in self.addresses:
            return self.addresses[address][0]
        return self.domains.get(domain_of(address))

    def contact_of(self, address: str) -> int | None:
        """Return the contact whose address this is (None for a match by domain only)."""
        known = self.addresses.get(address)
        return known[1] if known and not self._is_excluded(address) else None

    def place(self, facts: Facts, *, sent_folder: bool = False) -> tuple[int, str, int | None] | None:
        """Return (client id, direction, contact id) for a message to keep, None for a message to drop.

        A message is outgoing when it was read in the sent folder or comes from one of the freelancer's own
        addresses; it is then logged with its first known recipient. An incoming one needs a known sender.
        """
        if self._is_excluded(facts.sender):
            return None
        if sent_folder or facts.sender in self.own:
            for recipient in facts.recipients:
                client_id = self.client_of(recipient)
                if client_id is not None:
                    return client_id, TO_CLIENT, self.contact_of(recipient)
            return None
        client_id = self.client_of(facts.sender)
        return (client_id, FROM_CLIENT, self.contact_of(facts.sender)) if client_id is not None else None
