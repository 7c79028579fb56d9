"""The evidence pack of the demo's late payer: its PDF's text (pdftotext) holds the invoices, the payment reminders
sent with their dates and the promise log, in the freelancer's language; its ZIP holds the PDF, the records and
the emails; one click in the workspace builds it through the task; its queries do not grow with the history."""

from __future__ import annotations

import csv
import email
import email.policy
import email.utils
import io
import json
import os
import shutil
import subprocess
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from clients.models import Client, Project
from conflicts.models import ConflictSignal
from crm.demo.book import seed_demo_book
from crm.evidence import build as evidence
from crm.evidence.sections import SECTIONS, Pack
from crm.models import CheckIn, EvidencePack, Interaction, Invoice, PaymentReminder, Promise, Recap, RecapLine
from crm.models.evidence import KEEP_PER_CLIENT
from crm.models.scope import ScopeChange
from crm.reminders import outbox, payment_follow_up
from tests.conftest import require_service
from tests.factories import (
    make_client,
    make_interaction,
    make_invoice,
    make_project,
    make_promise,
    make_scope_change,
)

pytestmark = pytest.mark.django_db

# The demo is seeded on this day; the payment follow-up then runs twice, three weeks apart.
SEEDED = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
FIRST_ROUND = SEEDED + timedelta(hours=1)
SECOND_ROUND = SEEDED + timedelta(days=21, hours=1)
BUILT = SECOND_ROUND + timedelta(hours=2)
SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"


def weasyprint_available() -> bool:
    try:
        import weasyprint  # noqa: F401  (loads Pango: an OSError when Debian's libpango is missing)
    except (ImportError, OSError):
        return False
    return True


@pytest.fixture
def pdf_tools() -> None:
    """WeasyPrint (with Debian's Pango) and pdftotext (poppler-utils): `make pdf` installs both; CI must have them."""
    require_service(weasyprint_available(), "WeasyPrint with Debian's Pango (make pdf)")
    require_service(shutil.which("pdftotext") is not None, "pdftotext from poppler-utils (make pdf)")


def pdf_text(pdf: bytes) -> str:
    """Return the PDF's text as pdftotext reads it, every run of spaces (no-break ones too) as one space."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(out.stdout.decode().replace("\xa0", " ").replace("\u202f", " ").split())


def run_payment_follow_up(moment: datetime) -> None:
    """Prepare the reminders due at `moment`, approve each, and send them through the outbox."""
    with time_machine.travel(moment, tick=False):
        payment_follow_up.plan(timezone.now())
        for reminder in PaymentReminder.objects.filter(state=PaymentReminder.State.PROPOSED):
            dispatch = payment_follow_up.approve(reminder, timezone.now())
            if dispatch is not None:  # None: it had to stop (a client who disputes)
                assert outbox.deliver(dispatch.pk) == "sent"


@pytest.fixture
def late_payer(alice: Any) -> Client:
    """The demo's late payer: the client whose promise to pay an overdue invoice was broken, with the payment
    reminders the app sent on two days. Alice's business identity is filled in."""
    profile = alice.profile
    profile.trade_name, profile.legal_form, profile.registration_number = "Atelier Martin", "ei", "732829320"
    profile.address_line1, profile.postcode, profile.city, profile.country = (
        "12 rue des Lilas",
        "69003",
        "Lyon",
        "FR",
    )
    profile.business_email = "contact@ateliermartin.fr"
    profile.save()
    with time_machine.travel(SEEDED, tick=False):
        seed_demo_book(alice, now=SEEDED)
    run_payment_follow_up(FIRST_ROUND)
    run_payment_follow_up(SECOND_ROUND)
    promise = Promise.objects.get(owner=alice, promisor="client", invoice__isnull=False, state="broken")
    client = promise.client
    assert Invoice.objects.filter(client=client).overdue(BUILT.date()).exists()
    assert PaymentReminder.objects.filter(invoice__client=client, state="sent").count() >= 2
    return client


def build_pack(client: Client, language: str) -> EvidencePack:
    pack = EvidencePack.objects.create(client=client, language=language)
    with time_machine.travel(BUILT, tick=False):
        evidence.build(pack)
    assert pack.state == EvidencePack.State.DONE, pack.error
    return pack


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_late_payers_pdf_holds_invoices_reminders_and_promises(
    pdf_tools: None, late_payer: Client, alice: Any, language: str, tmp_path: Path
) -> None:
    alice.profile.language = language
    alice.profile.save()
    pack = build_pack(late_payer, language)
    text = pdf_text(bytes(pack.pdf))
    zone = alice.profile.zone
    with translation.override(language):
        # The first page: the business identity, the client, the day (the freelancer's) it was drawn up.
        assert "Atelier Martin" in text and "732829320" in text and "12 rue des Lilas" in text
        assert late_payer.name in text
        drawn_up = date_format(timezone.localtime(BUILT, zone).date(), "DATE_FORMAT")
        assert drawn_up in text
        assert ("Evidence pack" if language == "en" else "Dossier de preuves") in text
        # Every invoice, with its amount and its days late.
        for invoice in Invoice.objects.filter(client=late_payer):
            assert invoice.number in text
            amount = (
                f"{invoice.amount:,.2f}"
                if language == "en"
                else f"{invoice.amount:,.2f}".replace(",", " ").replace(".", ",")
            )
            assert amount in text, invoice.number
        # Every reminder sent, on its day.
        for reminder in PaymentReminder.objects.filter(invoice__client=late_payer, state="sent"):
            day = date_format(timezone.localtime(reminder.sent_at, zone).date(), "DATE_FORMAT")
            assert day in text
            assert str(reminder.get_step_display()).capitalize() in text
        # The promise log, both ways, with the outcomes in words.
        assert "Pay the overdue invoice" in text
        assert "Deliver the new product pages" in text
        assert str(Promise.Outcome.BROKEN_SILENTLY.label).capitalize() in text
        assert str(Promise.Outcome.KEPT_ON_TIME.label).capitalize() in text
        assert ("the client" if language == "en" else "le client") in text
    # The timeline: the demo's own reminder, logged as an interaction.
    assert "Second reminder for the overdue invoice" in text
    first_page(bytes(pack.pdf), tmp_path, f"evidence-pack-first-page-{language}")


def first_page(pdf: bytes, tmp_path: Path, name: str) -> None:
    """Draw the PDF's first page as a PNG (pdftoppm) into the test's folder, and into docs/screenshots when
    TAKE_SCREENSHOTS=1."""
    require_service(shutil.which("pdftoppm") is not None, "pdftoppm from poppler-utils (make pdf)")
    folder = SCREENSHOTS if os.environ.get("TAKE_SCREENSHOTS") == "1" else tmp_path
    source = tmp_path / "pack.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "90",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(source),
            str(folder / name),
        ],
        check=True,
    )
    assert (folder / f"{name}.png").stat().st_size > 10_000


def written_trace(client: Client) -> dict[str, Any]:
    """Give `client` what issue 26 writes down: a project's agreed scope and a change both sides accepted (its
    budget and due date moved), a recap of a call with two lines (one confirmed, one corrected by the client), a
    check-in and a concern the client raised on their page, and a check-in they withdrew."""
    now = timezone.now()
    project = make_project(
        client,
        title="Refonte boutique",
        goals="Vendre en ligne",
        deliverables="Catalogue\nPaiement",
        budget=4000,
        due_on=date(2026, 12, 15),
    )
    change = make_scope_change(
        project,
        description="Ajouter un blog",
        price_change=800,
        deadline_change_days=10,
        asked_on=date(2026, 11, 20),
    )
    change.decide("freelancer", accepted=True, now=now)
    call = make_interaction(client, kind=Interaction.Kind.CALL, summary="Point d'étape", happened_at=now)
    recap = Recap.objects.create(
        client=client, interaction=call, decided="Lancer la recette", open_questions="Quel hébergeur ?"
    )
    lines = [
        RecapLine.objects.create(
            recap=recap,
            client=client,
            promise=make_promise(client, description=text, promisor=who),
            position=i,
        )
        for i, (who, text) in enumerate(
            [("freelancer", "Livrer la recette"), ("client", "Envoyer les photos")], 1
        )
    ]
    lines[0].confirm(now)
    lines[1].correct("Les photos arrivent vendredi", now)
    CheckIn.objects.create(client=client, level=CheckIn.Level.MIXED, note="Un peu lent", answered_at=now)
    withdrawn = CheckIn.objects.create(
        client=client, level=CheckIn.Level.POOR, note="Inquiet", answered_at=now
    )
    withdrawn.withdraw(now)
    ConflictSignal.objects.create(
        client=client,
        kind=ConflictSignal.Kind.PAYMENT,
        observed_on=now.date(),
        description="Le devis ne parlait pas du blog",
        raised_by=ConflictSignal.RaisedBy.CLIENT,
    )
    return {"project": project, "change": change, "recap": recap}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_the_pdf_holds_the_scope_its_changes_the_recaps_and_the_clients_word(
    pdf_tools: None, alice: Any, language: str
) -> None:
    alice.profile.language = language
    alice.profile.save()
    client = make_client(alice, name="Boutique Lenoir")
    with time_machine.travel(BUILT - timedelta(days=1), tick=False):
        written_trace(client)
    text = pdf_text(bytes(build_pack(client, language).pdf))
    with translation.override(language):
        fr = language == "fr"
        # The agreed scope and what it was at first: the accepted change moved the budget and the due date.
        assert all(word in text for word in ("Refonte", "boutique", "Vendre", "Catalogue", "Paiement"))
        assert ("4 800,00" if fr else "4,800.00") in text
        assert ("à l'origine : 4 000,00" if fr else "at first: 4,000.00") in text.replace("’", "'")
        # The change's log: who asked, what, its impact, each side's decision, its state.
        assert ("Changements de périmètre" if fr else "Scope changes") in text
        assert "Ajouter un blog" in text and ("10 jours" if fr else "10 days") in text
        assert ("800,00" if fr else "800.00") in text
        # The recap: what was decided, the lines, the client's answers and correction.
        assert "Lancer la recette" in text and "Quel hébergeur" in text
        assert "Livrer la recette" in text and "Envoyer les photos" in text
        assert str(RecapLine.Answer.CONFIRMED.label).capitalize() in text
        assert str(RecapLine.Answer.CORRECTED.label).capitalize() in text
        assert "Les photos arrivent vendredi" in text
        # The client's own word: the check-ins (one withdrawn) and the concern raised on their page.
        assert ("La parole du client" if fr else "The client's own word") in text.replace("’", "'")
        assert str(CheckIn.Level.MIXED.label) in text and "Un peu lent" in text
        assert "Inquiet" in text and ("retiré le" if fr else "withdrawn on") in text
        assert "Le devis ne parlait pas du blog" in text


def test_the_zip_holds_the_scope_changes_the_recaps_and_the_clients_word(alice: Any) -> None:
    client = make_client(alice)
    written_trace(client)
    context = Pack(client=client, profile=alice.profile, now=timezone.now())
    with translation.override("en"):
        members = zipfile.ZipFile(io.BytesIO(evidence.write_archive(context, b"%PDF", "pack")))
    [project] = json.loads(members.read("records/projects.json"))
    assert (project["budget"], project["budget_at_first"]) == ("4800.00", "4000.00")
    assert (project["due_on"], project["due_on_at_first"]) == ("2026-12-25", "2026-12-15")
    [change] = json.loads(members.read("records/scope_changes.json"))
    assert change["state"] == "accepted" and change["price_change"] == "800.00"
    assert change["client_decision"] == change["freelancer_decision"] == "accepted"
    recaps = list(csv.DictReader(io.StringIO(members.read("records/recaps.csv").decode("utf-8-sig"))))
    assert [(row["promise"], row["line_answer"]) for row in recaps] == [
        ("Livrer la recette", "confirmed"),
        ("Envoyer les photos", "corrected"),
    ]
    assert recaps[1]["correction"] == "Les photos arrivent vendredi"
    assert {row["state"] for row in recaps} == {"answered"}
    voice = json.loads(members.read("records/client_voice.json"))
    assert [(row["what"], row["words"]) for row in voice] == [
        ("check-in", "Un peu lent"),
        ("check-in", "Inquiet"),
        ("concern", "Le devis ne parlait pas du blog"),
    ]
    assert voice[1]["withdrawn_at"] and not voice[0]["withdrawn_at"]


def test_the_zip_holds_the_pdf_the_records_and_the_emails(late_payer: Client) -> None:
    with time_machine.travel(BUILT, tick=False):
        context = Pack(client=late_payer, profile=late_payer.owner.profile, now=timezone.now())
        with translation.override("en"):
            archive = evidence.write_archive(context, b"%PDF-1.7 test", "evidence-test")
    members = zipfile.ZipFile(io.BytesIO(archive))
    names = set(members.namelist())
    records = {f"records/{s.name}.{ext}" for s in SECTIONS if s.records for ext in ("csv", "json")}
    assert {"evidence-test.pdf", *records} <= names
    invoices = list(csv.DictReader(io.StringIO(members.read("records/invoices.csv").decode("utf-8-sig"))))
    assert {row["number"] for row in invoices} == set(
        Invoice.objects.filter(client=late_payer).values_list("number", flat=True)
    )
    timeline = json.loads(members.read("records/timeline.json"))
    assert len(timeline) == Interaction.objects.filter(client=late_payer).count()
    assert [row["at"] for row in timeline] == sorted(row["at"] for row in timeline)
    emails = {name for name in names if name.startswith("emails/")}
    sent = PaymentReminder.objects.filter(invoice__client=late_payer, state="sent").select_related("invoice")
    assert len(emails) == sent.count()
    for reminder in sent:
        day = timezone.localtime(reminder.sent_at).date().isoformat()
        name = f"emails/{day}-payment-reminder-{reminder.invoice.number}-{reminder.step}.eml"
        message = email.message_from_bytes(members.read(name), policy=email.policy.default)
        assert reminder.invoice.number in message["Subject"]
        assert email.utils.parsedate_to_datetime(message["Date"]) == reminder.sent_at
        assert message["To"] == late_payer.email


def test_one_click_in_the_workspace_builds_the_pack_through_the_task(
    pdf_tools: None,
    alice_client: Any,
    alice: Any,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = make_client(alice, name="Atelier Dupont")
    make_invoice(client, number="F-2026-014")
    workspace = alice_client.get(reverse("web:client", kwargs={"client_id": client.pk}))
    new_url = reverse("web:client_evidence_pack_new", kwargs={"client_id": client.pk})
    assert new_url in workspace.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(new_url)
    pack = EvidencePack.objects.get(client=client)
    assert response["Location"] == reverse("web:evidence_pack", kwargs={"pack_id": pack.pk})
    assert pack.state == EvidencePack.State.DONE
    page = alice_client.get(response["Location"]).content.decode()
    assert "Download the PDF" in page
    pdf = alice_client.get(reverse("web:evidence_pack_pdf", kwargs={"pack_id": pack.pk}))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith('attachment; filename="evidence-atelier-dupont-')
    assert "F-2026-014" in pdf_text(pdf.content)
    archive = alice_client.get(reverse("web:evidence_pack_zip", kwargs={"pack_id": pack.pk}))
    assert zipfile.ZipFile(io.BytesIO(archive.content)).testzip() is None
    listed = alice_client.get(reverse("web:client_evidence_packs", kwargs={"client_id": client.pk}))
    assert reverse("web:evidence_pack_zip", kwargs={"pack_id": pack.pk}) in listed.content.decode()


def test_the_progress_polls_until_the_pack_is_built(alice_client: Any, alice: Any) -> None:
    client = make_client(alice)
    pack = EvidencePack.objects.create(client=client, language="en")
    url = reverse("web:evidence_pack", kwargs={"pack_id": pack.pk})
    bar = alice_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in bar and "Building the pack: 0%" in bar
    # A pack not built yet has nothing to download: its progress is shown instead.
    pdf = alice_client.get(reverse("web:evidence_pack_pdf", kwargs={"pack_id": pack.pk}))
    assert pdf.status_code == 302 and pdf["Location"] == url


def test_a_second_click_while_it_is_built_shows_the_same_pack(alice_client: Any, alice: Any) -> None:
    client = make_client(alice)
    url = reverse("web:client_evidence_pack_new", kwargs={"client_id": client.pk})
    first, second = alice_client.post(url), alice_client.post(url)
    assert first["Location"] == second["Location"]
    assert EvidencePack.objects.filter(client=client).count() == 1


def test_the_pack_is_written_in_the_freelancers_language_not_the_clients(
    pdf_tools: None, alice: Any, bob: Any
) -> None:
    client = make_client(bob, name="Harbour Ltd", language="en")
    make_invoice(client, number="F-1")
    pack = build_pack(client, bob.profile.language)
    text = pdf_text(bytes(pack.pdf))
    assert "Dossier de preuves" in text and "Factures" in text
    assert "Evidence pack" not in text


def test_bob_cannot_build_nor_open_alices_packs(alice: Any, client: Any, bob: Any) -> None:
    alices = make_client(alice)
    pack = EvidencePack.objects.create(client=alices, language="en", state="done", pdf=b"%PDF", archive=b"PK")
    client.force_login(bob)
    assert (
        client.post(reverse("web:client_evidence_pack_new", kwargs={"client_id": alices.pk})).status_code
        == 404
    )
    for name in ("evidence_pack", "evidence_pack_pdf", "evidence_pack_zip"):
        assert client.get(reverse(f"web:{name}", kwargs={"pack_id": pack.pk})).status_code == 404
    assert (
        client.get(reverse("web:client_evidence_packs", kwargs={"client_id": alices.pk})).status_code == 404
    )
    assert EvidencePack.objects.filter(client=alices).count() == 1


def test_only_the_newest_packs_are_kept(pdf_tools: None, alice: Any) -> None:
    client = make_client(alice)
    for _ in range(KEEP_PER_CLIENT + 2):
        build_pack(client, "en")
    assert EvidencePack.objects.filter(client=client).count() == KEEP_PER_CLIENT


def _history(client: Client, events: int) -> None:
    """Give `client` `events` interactions, a promise every third and an invoice every fifth (bulk inserts)."""
    now, today = timezone.now(), timezone.localdate()
    Interaction.objects.bulk_create(
        Interaction(client=client, summary=f"Échange {i}", happened_at=now - timedelta(hours=i))
        for i in range(events)
    )
    Promise.objects.bulk_create(
        Promise(client=client, description=f"Livraison {i}", made_on=today, due_on=today)
        for i in range(0, events, 3)
    )
    Invoice.objects.bulk_create(
        Invoice(
            owner=client.owner,
            client=client,
            number=f"F-{client.pk}-{i}",
            amount=1,
            issued_on=today,
            due_on=today,
        )
        for i in range(0, events, 5)
    )
    # Issue 26's written trace: scope changes, recaps with their lines, check-ins and the client's concerns.
    project = Project.objects.create(client=client, title="Projet", budget=1000, due_on=today)
    now = timezone.now()
    for i in range(0, events, 10):
        make_scope_change(
            project, description=f"Changement {i}", price_change=i or None, deadline_change_days=1
        )
        call = Interaction.objects.create(client=client, kind=Interaction.Kind.CALL, happened_at=now)
        recap = Recap.objects.create(client=client, interaction=call, decided=f"Décision {i}")
        for position in (1, 2):
            promise = Promise.objects.create(
                client=client, description=f"Ligne {i}", made_on=today, due_on=today
            )
            RecapLine.objects.create(recap=recap, client=client, promise=promise, position=position)
        CheckIn.objects.create(client=client, level=CheckIn.Level.GOOD, answered_at=now)
        ConflictSignal.objects.create(
            client=client, kind="ideas", observed_on=today, raised_by=ConflictSignal.RaisedBy.CLIENT
        )
    for change in ScopeChange.objects.filter(client=client)[:2]:
        change.decide("freelancer", accepted=True, now=now)


def _queries_to_build(client: Client) -> int:
    context = Pack(client=client, profile=client.owner.profile, now=timezone.now())
    with CaptureQueriesContext(connection) as captured, translation.override("en"):
        evidence.render_html(context)
        evidence.write_archive(context, b"%PDF", "pack")
    return len(captured)


def test_the_queries_do_not_grow_with_the_history(alice: Any) -> None:
    """A query per event would be an N+1: the pack reads each section in a fixed number of queries (the ZIP's
    records in chunks of 1,000)."""
    small, large = make_client(alice, name="Small"), make_client(alice, name="Large")
    _history(small, 5)
    _history(large, 60)
    small_queries, large_queries = _queries_to_build(small), _queries_to_build(large)
    assert large_queries == small_queries


def test_a_deleted_client_takes_its_packs_along_and_comes_back_without_them(alice: Any) -> None:
    """A pack is a dated copy of the book: the trash keeps the client's records, not its packs."""
    from crm.trash.snapshot import restore, to_trash

    client = make_client(alice)
    make_invoice(client, number="F-9")
    EvidencePack.objects.create(client=client, language="en", state="done", pdf=b"%PDF", archive=b"PK")
    item = to_trash(client, alice)
    assert not EvidencePack.objects.exists()
    restored = restore(item)
    assert restored.invoices.get().number == "F-9"
    assert not EvidencePack.objects.filter(client=restored).exists()
