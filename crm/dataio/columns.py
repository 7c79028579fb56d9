"""Which field each column of a CSV holds, guessed from its header in French or English."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from crm.dataio.reading import normalised_header

# The fields of a clients-and-contacts file, with the headers (normalised: no accents, no case) that name them.
CLIENT_FIELDS: dict[str, tuple[object, list[str]]] = {
    "external_id": (
        _("external id"),
        ["id", "external id", "identifiant", "ref", "reference", "code client"],
    ),
    "client": (_("client"), ["client", "client name", "nom du client", "customer", "account", "compte"]),
    "company": (
        _("company"),
        ["company", "societe", "entreprise", "organisation", "organization", "raison sociale", "structure"],
    ),
    "contact": (
        _("contact"),
        ["contact", "contact name", "nom du contact", "full name", "nom complet", "name"],
    ),
    "first_name": (_("first name"), ["first name", "prenom", "given name"]),
    "last_name": (_("last name"), ["last name", "nom de famille", "family name", "surname", "nom"]),
    "email": (
        _("email"),
        [
            "email",
            "e mail",
            "mail",
            "courriel",
            "adresse email",
            "adresse e mail",
            "email address",
            "adresse mail",
        ],
    ),
    "other_emails": (
        _("other emails"),
        [
            "other emails",
            "other email",
            "autres emails",
            "autres e mails",
            "autres adresses",
            "email 2",
            "e mail 2",
        ],
    ),
    "phone": (
        _("phone"),
        ["phone", "telephone", "tel", "mobile", "portable", "phone number", "numero de telephone", "gsm"],
    ),
    "role": (_("role"), ["role", "fonction", "poste", "title", "job title", "job"]),
    "notes": (
        _("notes"),
        ["notes", "note", "commentaire", "commentaires", "comments", "comment", "remarques"],
    ),
    "status": (_("status"), ["status", "statut", "etat"]),
    "language": (_("language"), ["language", "langue"]),
    "cadence_days": (
        _("status-update cadence (days)"),
        ["cadence", "cadence days", "cadence jours", "frequence", "frequence jours"],
    ),
}

# The fields of a history file: interactions, promises and invoices, one per row.
HISTORY_FIELDS: dict[str, tuple[object, list[str]]] = {
    "type": (_("type"), ["type", "record", "enregistrement", "nature", "entry"]),
    "date": (_("date"), ["date", "day", "jour", "when", "quand", "date d emission", "issued", "issued on"]),
    "client": (_("client"), ["client", "client name", "nom du client", "customer", "client email", "email"]),
    "kind": (_("kind"), ["kind", "genre", "canal", "channel", "moyen"]),
    "direction": (_("direction"), ["direction", "sens"]),
    "text": (_("text"), ["text", "texte", "summary", "resume", "description", "objet", "subject", "libelle"]),
    "due_on": (_("due date"), ["due", "due on", "due date", "echeance", "date d echeance", "pour le"]),
    "state": (_("state"), ["state", "etat", "statut", "status", "outcome", "issue"]),
    "done_on": (_("done on"), ["kept on", "paid on", "done on", "tenue le", "payee le", "date de paiement"]),
    "number": (_("number"), ["number", "numero", "invoice number", "numero de facture", "n", "no"]),
    "amount": (_("amount"), ["amount", "montant", "total", "montant ttc", "montant ht", "price", "prix"]),
    "currency": (_("currency"), ["currency", "devise", "monnaie"]),
    "promisor": (_("promisor"), ["promisor", "by", "par", "qui", "who"]),
}


def guess_mapping(header: list[str], fields: dict[str, tuple[object, list[str]]]) -> dict[str, str]:
    """Return column index (as text) -> field for the header cells that name a field; each field once."""
    synonyms = {synonym: name for name, (_label, words) in fields.items() for synonym in words}
    mapping: dict[str, str] = {}
    for index, cell in enumerate(header):
        field = synonyms.get(normalised_header(cell))
        if field is not None and field not in mapping.values():
            mapping[str(index)] = field
    return mapping
