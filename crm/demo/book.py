"""The demo book: a freelancer's realistic book across the whole trust spectrum.

`seed_demo_book` writes a dozen clients whose stories come from the webmaster's guide (a model client, a late
payer, an angry posture, lapsed status updates, ...), with months of history relative to today.

Its interactions go in with `bulk_create`, which writes no history rows: django-simple-history records a change
from each model's `post_save`, which it skips. That is fine: a seeded book was changed by no one yet, and its
history starts with the first change made in the app.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from clients.models import Absence, Client, Project
from conflicts.models import ConflictSignal
from crm.models import Feeling, Interaction, Invoice, Promise
from crm.trust.door import journal_changed

K = Interaction.Kind
D = Interaction.Direction


@dataclass
class Story:
    """Writes one client's history with dates counted back from today, in the freelancer's time zone."""

    owner: Any
    now: datetime
    zone: zoneinfo.ZoneInfo
    invoice_numbers: Iterator[int]
    client: Client | None = None
    project: Project | None = None
    interactions: list[Interaction] = field(default_factory=list)
    # (answer, the question it answers): linked once both are written.
    links: list[tuple[Interaction, Interaction]] = field(default_factory=list)
    # The latest invoice written, which a client's promise to pay can name (`promise(..., pays=...)`).
    last_invoice: Invoice | None = None

    @property
    def today(self) -> date:
        return timezone.localtime(self.now, self.zone).date()

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def at(self, days_ago: float, hour: int = 10, minute: int = 0) -> datetime:
        """Return an aware moment `days_ago` days back at `hour`, never later than now."""
        whole = int(days_ago)
        moment = datetime.combine(self.day(whole), time(hour, minute), tzinfo=self.zone)
        moment -= timedelta(days=days_ago - whole)
        return min(moment, self.now - timedelta(minutes=5))

    def start(self, name: str, company: str, since_days: int, **fields: Any) -> Story:
        self.client = Client.objects.create(
            owner=self.owner,
            name=name,
            company=company,
            email=fields.pop("email", ""),
            created_at=self.at(since_days, 9),
            **fields,
        )
        self.project = None
        return self

    def away(self, kind: str, since_days: int, until: date | None, note: str = "") -> Story:
        Absence.objects.create(
            client=self.client, kind=kind, start_on=self.day(since_days), end_on=until, note=note
        )
        return self

    def with_project(self, title: str, goals: str, started: int, due_in: int | None, **fields: Any) -> Story:
        fields.setdefault("budget", Decimal("4800.00"))
        self.project = Project.objects.create(
            client=self.client,
            title=title,
            goals=goals,
            start_on=self.day(started),
            due_on=None if due_in is None else self.today + timedelta(days=due_in),
            created_at=self.at(started, 9),
            **fields,
        )
        return self

    def log(self, days_ago: float, kind: str, direction: str, summary: str, hour: int = 10) -> Story:
        self.interactions.append(
            Interaction(
                client=self.client,
                project=self.project,
                kind=kind,
                direction=direction,
                happened_at=self.at(days_ago, hour),
                summary=summary,
            )
        )
        return self

    def status_updates(self, first: int, last: int, every: int, summary: str) -> Story:
        """Log a status update sent every `every` days from `first` days ago until `last` days ago."""
        days_ago = first
        number = 1
        while days_ago >= last:
            self.log(days_ago, K.STATUS_UPDATE, D.TO_CLIENT, summary.format(n=number), hour=17)
            days_ago -= every
            number += 1
        return self

    def exchange(self, days_ago: int, question: str, answer: str, reply_hours: int = 3) -> Story:
        """The client writes in the morning; the freelancer answers `reply_hours` later."""
        self.log(days_ago, K.EMAIL, D.FROM_CLIENT, question, hour=9)
        reply_day = days_ago - (9 + reply_hours) // 24
        reply_hour = (9 + reply_hours) % 24
        return self.log(max(reply_day, 0), K.EMAIL, D.TO_CLIENT, answer, hour=reply_hour)

    def ask(
        self,
        days_ago: float,
        question: str,
        answer: str = "",
        answer_hours: int = 3,
        auto_reply: str = "",
    ) -> Story:
        """The freelancer asks the client something by email; the client answers `answer_hours` later (an answer
        linked to the question: only a linked answer counts), or never; an auto-reply may come back at once."""
        self.log(days_ago, K.EMAIL, D.TO_CLIENT, question, hour=10)
        asked = self.interactions[-1]
        if auto_reply:
            self.interactions.append(
                Interaction(
                    client=self.client,
                    project=self.project,
                    kind=K.EMAIL,
                    direction=D.FROM_CLIENT,
                    happened_at=asked.happened_at + timedelta(minutes=1),
                    summary=auto_reply,
                    automatic=Interaction.Automatic.AUTO_REPLY,
                )
            )
        if answer:
            self.log(days_ago - answer_hours / 24, K.EMAIL, D.FROM_CLIENT, answer, hour=10)
            self.links.append((self.interactions[-1], asked))
        return self

    def promise(
        self,
        description: str,
        made: int,
        due: int,
        *,
        by_client: bool = False,
        kept: int | None = None,
        broken: int | None = None,
        explained: tuple[int, str] | None = None,
        pays: Invoice | None = None,
    ) -> Story:
        """Record a promise made `made` days ago, due `due` days ago (negative: in the future); `pays`: the
        invoice a client's promise to pay is about (weighed with it, one story per debt)."""
        Promise.objects.create(
            client=self.client,
            project=self.project,
            invoice=pays,
            promisor=Promise.Promisor.CLIENT if by_client else Promise.Promisor.FREELANCER,
            description=description,
            made_on=self.day(made),
            due_on=self.day(due),
            state=Promise.State.KEPT
            if kept is not None
            else Promise.State.BROKEN
            if broken is not None
            else Promise.State.OPEN,
            kept_on=None if kept is None else self.day(kept),
            broken_on=None if broken is None else self.day(broken),
            clarification="" if explained is None else explained[1],
            clarified_at=None if explained is None else self.at(explained[0], 11),
            created_at=self.at(made, 10),
        )
        return self

    def invoice(
        self,
        amount: str,
        issued: int,
        *,
        terms: int = 30,
        paid: int | None = None,
        renegotiated: int | None = None,
        currency: str = "EUR",
    ) -> Story:
        issued_on = self.day(issued)
        self.last_invoice = Invoice.objects.create(
            owner=self.owner,
            client=self.client,
            project=self.project,
            number=f"{issued_on.year}-{next(self.invoice_numbers):03d}",
            amount=Decimal(amount),
            issued_on=issued_on,
            due_on=issued_on + timedelta(days=terms),
            paid_on=None if paid is None else self.day(paid),
            renegotiated_due_on=None if renegotiated is None else self.day(renegotiated),
            currency=currency,
            created_at=self.at(issued, 9),
        )
        return self

    def feel(self, rating: str, note: str, days_ago: int) -> Story:
        """Record the freelancer's own feeling about the client, given `days_ago` days ago."""
        Feeling.objects.create(client=self.client, rating=rating, note=note, felt_on=self.day(days_ago))
        return self

    def conflict(
        self,
        kind: str,
        severity: int,
        observed: int,
        description: str,
        *,
        resolved: tuple[int, str] | None = None,
    ) -> Story:
        ConflictSignal.objects.create(
            client=self.client,
            kind=kind,
            severity=severity,
            observed_on=self.day(observed),
            description=description,
            state=ConflictSignal.State.OPEN if resolved is None else ConflictSignal.State.RESOLVED,
            resolved_on=None if resolved is None else self.day(resolved[0]),
            resolution="" if resolved is None else resolved[1],
        )
        return self


def _regular_client(s: Story, since: int, fr: bool, updates_until: int = 1) -> Story:
    """Add the ordinary life of a project: a kick-off, weekly status updates and quick answers."""
    if fr:
        s.log(since, K.MEETING, D.TO_CLIENT, "Réunion de lancement : objectifs, périmètre et planning")
        s.status_updates(
            since - 4, updates_until, 7, "Point hebdomadaire n°{n} : avancement, prochaines étapes"
        )
        for days_ago in range(since - 9, 3, -17):
            s.exchange(days_ago, "Question sur la page d'accueil", "Réponse et maquette mise à jour")
    else:
        s.log(since, K.MEETING, D.TO_CLIENT, "Kick-off meeting: goals, scope and schedule")
        s.status_updates(since - 4, updates_until, 7, "Weekly status update #{n}: progress and next steps")
        for days_ago in range(since - 9, 3, -17):
            s.exchange(days_ago, "Question about the home page", "Answered with an updated mock-up")
    return s


def _stories(s: Story) -> None:
    """Write the twelve demo clients, from the model client to the former one."""
    # 1. The model client: weekly status updates, every promise kept on time, invoices paid on time.
    s.start(
        "Camille Lefèvre",
        "Boulangerie Lefèvre",
        150,
        email="camille@boulangerie-lefevre.fr",
        phone="+33 4 78 12 34 56",
        language="fr",
        notes="Cliente modèle : répond vite, paie à réception.",
    )
    s.with_project(
        "Site vitrine et commande en ligne",
        "Présenter la boulangerie, prendre les commandes de gâteaux en ligne, 20 commandes par semaine.",
        140,
        20,
        budget=Decimal("6500.00"),
    )
    _regular_client(s, 140, fr=True)
    s.promise("Livrer les maquettes de la page d'accueil", 130, 120, kept=121)
    s.promise("Mettre en ligne la page de commande", 90, 70, kept=72)
    s.promise("Former l'équipe au back-office", 40, 30, kept=30)
    s.feel("trust", "Fiable : dit ce qu'elle fait et fait ce qu'elle dit.", 10)
    s.promise("Envoyer les photos des gâteaux", 125, 115, by_client=True, kept=116)
    s.ask(26, "Quels horaires afficher pour la période des fêtes ?", "Les horaires sont en pièce jointe.")
    s.promise("Livrer le module de paiement", 10, -7)
    s.invoice("1950.00", 138, paid=130)
    s.invoice("2600.00", 75, paid=50)
    s.invoice("1950.00", 12)

    # 2. The late payer: good project life, but invoices paid 45+ days late and one still unpaid.
    s.start(
        "Oliver Bennett",
        "Harbour & Finch Ltd",
        200,
        email="oliver.bennett@harbourfinch.co.uk",
        language="en",
        notes="Pays late every time; accounts department unreachable.",
    )
    s.with_project(
        "Online shop redesign",
        "A faster checkout and a catalogue the team can update without help.",
        190,
        None,
        budget=Decimal("12000.00"),
    )
    _regular_client(s, 190, fr=False)
    s.invoice("3000.00", 185, paid=105)
    s.invoice("4500.00", 140, paid=60)
    owed = s.invoice("4500.00", 95, renegotiated=25).last_invoice
    # The UK office's share, billed in pounds: weighed in euros at the ECB's rate of its day, shown in pounds.
    s.invoice("1800.00", 70, currency="GBP")
    s.log(40, K.CALL, D.TO_CLIENT, "Called about invoice: 'accounts will look at it next week'")
    s.log(15, K.EMAIL, D.TO_CLIENT, "Second reminder for the overdue invoice")
    s.promise("Deliver the new product pages", 60, 40, kept=41)
    # A new date for the overdue invoice, not kept: one story with the invoice, still late from its first date.
    s.promise("Pay the overdue invoice", 40, 25, by_client=True, broken=24, pays=owed)

    # 3. The angry posture: a late delivery, then reproaches and a raised voice last week.
    s.start(
        "Julien Moreau",
        "Agence Moreau Immobilier",
        110,
        email="j.moreau@moreau-immo.fr",
        language="fr",
        notes="S'emporte au téléphone ; préférer l'écrit.",
    )
    s.with_project(
        "Portail d'annonces immobilières",
        "Publier les biens en deux clics et recevoir les demandes de visite.",
        100,
        10,
        budget=Decimal("9000.00"),
    )
    _regular_client(s, 100, fr=True)
    s.promise("Livrer la recherche par carte", 45, 25, kept=18)
    s.log(6, K.CALL, D.FROM_CLIENT, "Appel très tendu : reproches sur les délais, ton agressif")
    s.conflict(
        ConflictSignal.Kind.POSTURE,
        3,
        6,
        "Colère et reproches au téléphone sur le retard de la recherche par carte.",
    )
    s.invoice("3000.00", 95, paid=70)

    # 4. Status updates lapsed: a good client who has heard nothing from us for five weeks.
    s.start(
        "Sarah Mitchell",
        "Brightwave Analytics",
        130,
        email="sarah@brightwave.io",
        language="en",
        notes="Expects a Friday update.",
    )
    s.with_project(
        "Analytics dashboard",
        "One page showing the week's sign-ups, churn and revenue, readable by the board.",
        125,
        30,
        budget=Decimal("8000.00"),
    )
    s.log(125, K.MEETING, D.TO_CLIENT, "Kick-off meeting: goals, scope and schedule")
    s.status_updates(120, 36, 7, "Weekly status update #{n}: progress and next steps")
    s.exchange(100, "Can we add a churn chart?", "Yes, added to the plan")
    s.exchange(60, "Board meeting moved forward", "Adjusted the schedule")
    s.log(20, K.EMAIL, D.FROM_CLIENT, "Any news on the dashboard?", hour=9)
    s.promise("Deliver the first dashboard prototype", 90, 70, kept=70)
    s.invoice("2400.00", 120, paid=100)
    s.invoice("2400.00", 60, paid=35)

    # 5. A broken promise explained before its due date ("l'éclaircissement sur les imprévus").
    s.start(
        "Claire Dubois",
        "Cabinet Dubois Avocats",
        120,
        email="c.dubois@dubois-avocats.fr",
        language="fr",
    )
    s.with_project(
        "Migration du blog juridique",
        "Migrer 300 articles sans perdre le référencement.",
        115,
        15,
        budget=Decimal("5200.00"),
    )
    _regular_client(s, 115, fr=True)
    s.promise("Livrer l'audit SEO", 100, 85, kept=86)
    s.promise(
        "Migrer les articles",
        50,
        20,
        broken=20,
        explained=(24, "Hébergeur en panne deux jours ; je l'ai dit à Claire et proposé une nouvelle date."),
    )
    s.promise("Migrer les articles (nouvelle date)", 19, -3)
    s.invoice("2600.00", 110, paid=88)

    # 6. A promise broken without a word.
    s.start(
        "Hannah Clarke",
        "Green Leaf Yoga",
        100,
        email="hannah@greenleafyoga.co.uk",
        language="en",
    )
    s.with_project(
        "Booking site",
        "Let students book and pay for classes online.",
        95,
        25,
        budget=Decimal("3900.00"),
    )
    _regular_client(s, 95, fr=False)
    s.promise("Send the newsletter template", 35, 15, broken=12)
    s.promise("Fix the booking calendar bug", 20, 10)  # still open, now overdue
    s.invoice("1950.00", 90, paid=62)

    # 7. Renegotiated a due date and met it (the guide: negotiate another delay before judging).
    s.start(
        "Lucie Garnier",
        "Atelier Garnier Céramique",
        160,
        email="lucie@garnier-ceramique.fr",
        language="fr",
    )
    s.with_project(
        "Boutique en ligne de céramiques",
        "Vendre les pièces uniques en ligne, avec photos et stock à jour.",
        150,
        None,
        status=Project.Status.DELIVERED,
        budget=Decimal("4200.00"),
    )
    _regular_client(s, 150, fr=True)
    s.invoice("2100.00", 145, paid=120)
    s.log(32, K.CALL, D.FROM_CLIENT, "Trésorerie tendue après le salon : demande un report de paiement")
    s.log(32, K.EMAIL, D.TO_CLIENT, "Accord écrit pour reporter l'échéance de la facture", hour=15)
    rescheduled = s.invoice("2100.00", 62, renegotiated=10, paid=11).last_invoice
    s.promise("Régler la facture à la nouvelle date", 32, 10, by_client=True, kept=11, pays=rescheduled)

    # 8. Reciprocity: the client's own promises (content, feedback, deposit) are broken.
    s.start(
        "Thomas Wright",
        "Pixel & Co Events",
        120,
        email="tom@pixelco.events",
        language="en",
        notes="Content always late; the project waits on them.",
    )
    s.with_project(
        "Event microsite",
        "A microsite for the spring festival with the programme and ticketing.",
        115,
        -5,
        budget=Decimal("5600.00"),
    )
    _regular_client(s, 115, fr=False)
    s.promise("Pay the 30% deposit", 115, 100, by_client=True, broken=95)
    s.promise("Send the texts and photos", 90, 60, by_client=True, broken=55)
    s.promise("Give feedback on the mock-ups", 40, 30, by_client=True, broken=25)
    s.promise("Send the signed photo releases", 70, 50, by_client=True)  # still open: to settle
    s.promise("Deliver the mock-ups", 60, 42, kept=42)
    s.invoice("1680.00", 115, terms=15, paid=70)
    # A question left unanswered, but for an out-of-office reply (which answers nothing).
    s.ask(
        12,
        "Could you send the sponsors' logos?",
        auto_reply="Automatic reply: out of office",
    )

    # 9. A new prospect with no history yet.
    s.start(
        "Élodie Rousseau",
        "Maison Rousseau",
        3,
        email="elodie@maison-rousseau.fr",
        language="fr",
        status=Client.Status.PROSPECT,
        notes="Recommandée par Camille Lefèvre. Souhaite un devis pour une refonte.",
    )
    s.with_project(
        "Refonte du site",
        "Moderniser le site et le rendre lisible sur mobile.",
        2,
        None,
        status=Project.Status.PROPOSED,
        budget=None,
    )

    # 10. The price haggler: a conflict of interests, quotes argued line by line.
    s.start(
        "James Harris",
        "Sterling Consulting",
        90,
        email="j.harris@sterling-consulting.com",
        language="en",
    )
    s.with_project(
        "Consultant directory",
        "A searchable directory of the firm's consultants.",
        85,
        35,
        budget=Decimal("7000.00"),
    )
    _regular_client(s, 85, fr=False)
    s.exchange(30, "Asks for a 30% discount after accepting the quote", "Explained what the price covers", 30)
    s.conflict(
        ConflictSignal.Kind.INTERESTS,
        2,
        30,
        "Negotiates every line of the quote and asks for a discount after accepting it.",
    )
    s.invoice("2100.00", 80, paid=48)
    s.promise("Deliver the search filters", 25, 8, kept=9)
    # Explained, but only after its due date: better than silence, worse than a word in time ("explained late").
    s.promise(
        "Send the directory's content plan",
        20,
        12,
        broken=12,
        explained=(9, "Told James three days after the date that the plan waits on his team's bios."),
    )
    s.feel("doubt", "Something is off: a discount asked for after signing.", 6)

    # 11. A divergence of ideas, resolved by mutual concessions.
    s.start(
        "Antoine Fontaine",
        "Librairie Fontaine",
        140,
        email="antoine@librairie-fontaine.fr",
        language="fr",
        notes="En congés jusqu'à la fin du mois ; reprise du chantier à son retour.",
    )
    # On holiday for three weeks: the weekly status updates stopped when he left, and nothing is due meanwhile.
    s.away(Absence.Kind.HOLIDAY, 14, s.today + timedelta(days=6), "Congés d'été")
    s.with_project(
        "Site de la librairie",
        "Annoncer les rencontres d'auteurs et réserver des livres.",
        135,
        None,
        budget=Decimal("3600.00"),
    )
    _regular_client(s, 135, fr=True, updates_until=15)
    s.conflict(
        ConflictSignal.Kind.IDEAS,
        2,
        70,
        "Désaccord sur le design : il voulait un carrousel, je proposais une page sobre.",
        resolved=(55, "Concessions mutuelles : sa palette de couleurs, pas de carrousel."),
    )
    s.promise("Proposer deux pistes graphiques", 75, 65, kept=66)
    s.invoice("1800.00", 130, paid=110)
    s.invoice("1800.00", 40, paid=20)

    # 12. A former client: a finished project, months ago, everything settled.
    s.start(
        "Marie Petit",
        "Café des Arts",
        330,
        email="marie@cafedesarts.fr",
        language="fr",
        status=Client.Status.FORMER,
    )
    s.with_project(
        "Site du café-concert",
        "Publier la programmation et réserver une table.",
        320,
        None,
        status=Project.Status.DELIVERED,
        budget=Decimal("2800.00"),
    )
    s.log(320, K.MEETING, D.TO_CLIENT, "Réunion de lancement")
    s.status_updates(315, 220, 7, "Point hebdomadaire n°{n}")
    s.log(215, K.DELIVERY, D.TO_CLIENT, "Livraison du site et formation")
    s.promise("Livrer le site", 300, 215, kept=215)
    s.invoice("1400.00", 318, paid=300)
    s.invoice("1400.00", 214, paid=200)


def seed_demo_book(owner: Any, now: datetime | None = None) -> list[Client]:
    """Write the demo book for `owner` (replacing any existing clients) and return its clients."""
    now = now or timezone.now()
    zone = owner.profile.zone
    with transaction.atomic():
        Client.objects.for_owner(owner).delete()
        Invoice.objects.for_owner(owner).delete()
        story = Story(owner=owner, now=now, zone=zone, invoice_numbers=iter(range(1, 1000)))
        _stories(story)
        Interaction.objects.bulk_create(story.interactions, batch_size=500)
        for answer, question in story.links:
            answer.answers = question
        Interaction.objects.bulk_update([answer for answer, _question in story.links], ["answers"])
        clients = list(Client.objects.for_owner(owner))
        # The journal's door, once for the whole book: contact clocks, trust health, book version.
        journal_changed([client.pk for client in clients], now=now)
    return clients
