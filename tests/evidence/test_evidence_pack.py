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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from clients.models import Client
from crm.demo.book import seed_demo_book
from crm.evidence import build as evidence
from crm.evidence.sections import SECTIONS, Pack
from crm.models import EvidencePack, Interaction, Invoice, PaymentReminder, Promise
from crm.models.evidence import KEEP_PER_CLIENT
from crm.reminders import outbox, payment_follow_up
from tests.conftest import require_service
from tests.factories import make_client, make_invoice

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
