"""The exports: a ZIP of CSVs (spreadsheet-safe), one versioned JSON document, vCards; the JSON's round trip."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import vobject
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from clients.models import Absence, Client, Contact
from crm.dataio import book
from crm.dataio.imports import receive, run
from crm.models import CheckIn, ClientHealth, Feeling, HealthChange, HealthSnapshot, Interaction
from crm.trust.health import recompute_book
from tests.factories import (
    make_client,
    make_conflict,
    make_contact,
    make_interaction,
    make_invoice,
    make_project,
    make_promise,
    make_scope_change,
    make_user,
)

pytestmark = pytest.mark.django_db


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _a_book(owner: Any) -> Client:
    """A client with something of every kind, answers and renegotiations included, and a formula in a note."""
    today = timezone.localdate()
    rita = make_client(
        owner, name="Rita", email="rita@x.fr", notes='=HYPERLINK("http://evil","clic")', cadence_days=10
    )
    compta = make_contact(rita, name="Compta", email="compta@x.fr", phone="+33 6 00", role="@compta")
    project = make_project(
        rita, title="Boutique", budget=Decimal("4200.00"), start_on=today - timedelta(days=50)
    )
    asked = make_interaction(
        rita, project=project, contact=compta, direction="from_client", summary="-Question",
        happened_at=timezone.now() - timedelta(days=20),
    )  # fmt: skip
    make_interaction(rita, answers=asked, summary="Réponse", happened_at=timezone.now() - timedelta(days=19))
    make_interaction(
        rita, kind="status_update", summary="Point", happened_at=timezone.now() - timedelta(days=3)
    )
    make_promise(rita, project=project, made_on=today - timedelta(days=40), due_on=today - timedelta(days=30))
    kept = make_promise(
        rita, description="Maquette", made_on=today - timedelta(days=30), due_on=today - timedelta(days=20)
    )
    kept.keep(today - timedelta(days=21))
    broken = make_promise(rita, description="Recette", made_on=today - timedelta(days=25), due_on=today - timedelta(days=10), promisor="client")  # fmt: skip
    broken.state, broken.broken_on, broken.clarification = "broken", today - timedelta(days=9), "Malade"
    broken.clarified_at = timezone.now() - timedelta(days=12)
    broken.save()
    make_invoice(rita, number="F-1", amount=Decimal("1234.56"), issued_on=today - timedelta(days=60), due_on=today - timedelta(days=30), paid_on=today - timedelta(days=20))  # fmt: skip
    make_invoice(rita, number="F-2", amount=Decimal("800.00"), issued_on=today - timedelta(days=40), due_on=today - timedelta(days=10), renegotiated_due_on=today + timedelta(days=5))  # fmt: skip
    make_conflict(rita, observed_on=today - timedelta(days=15), severity=2, description="Périmètre")
    Feeling.objects.create(client=rita, rating="doubt", felt_on=today - timedelta(days=2))
    # The client's own word on their page (issue 26): check-ins and a concern, one of each withdrawn.
    now = timezone.now()
    CheckIn.objects.create(client=rita, level="good", note="Top", answered_at=now - timedelta(days=20))
    CheckIn.objects.create(client=rita, level="mixed", answered_at=now - timedelta(days=4))
    CheckIn.objects.create(
        client=rita, level="poor", answered_at=now - timedelta(days=2), withdrawn_at=now - timedelta(days=1)
    )
    make_conflict(rita, kind="posture", severity=2, description="Le ton", raised_by="client")
    make_conflict(
        rita, kind="payment", severity=2, description="Prix", raised_by="client", state="resolved",
        resolved_on=today, withdrawn_at=now,
    )  # fmt: skip
    # A past holiday (it explains the silence then) and the project paused since five days.
    Absence.objects.create(
        client=rita, start_on=today - timedelta(days=45), end_on=today - timedelta(days=35), note="Été"
    )
    project.pause(today - timedelta(days=5))
    # Scope changes: three unpriced ones (scope drift, a trust reason), one accepted by both and applied, and a
    # priced one declined.
    accepted = make_scope_change(project, asked_on=today - timedelta(days=12), deadline_change_days=7)
    accepted.decide("freelancer", True, timezone.now() - timedelta(days=11))
    make_scope_change(project, asked_on=today - timedelta(days=8), description="Un blog")
    make_scope_change(
        project, asked_on=today - timedelta(days=4), asked_by="freelancer", description="Traduction"
    )
    declined = make_scope_change(project, asked_on=today - timedelta(days=3), price_change=Decimal("-150.00"))
    declined.decide("freelancer", False, timezone.now())

    # A call's recap (issue 26): one line confirmed by the client and kept on time, the other corrected.
    from crm.recaps.writing import Line, confirm_line, correct_line, write

    call = make_interaction(
        rita,
        project=project,
        kind="call",
        summary="Lancement",
        happened_at=timezone.now() - timedelta(days=8),
    )
    recap = write(
        call,
        "On lance",
        "Hébergeur ?",
        [
            Line("freelancer", "Maquette v2", today - timedelta(days=2)),
            Line("client", "Textes", today + timedelta(days=3)),
        ],
    )
    mockup, texts = recap.lines.order_by("position")
    confirm_line(mockup, timezone.now() - timedelta(days=7))
    mockup.promise.keep(today - timedelta(days=3))
    correct_line(texts, "Textes la semaine prochaine", timezone.now() - timedelta(days=6))
    make_client(owner, name="Calme", status="prospect")
    # A trend to draw and a week-old score to compare with: the trust health reads its snapshots.
    HealthSnapshot.objects.bulk_create(
        HealthSnapshot(client=rita, day=today - timedelta(days=d), score=60 - d, band="watch")
        for d in range(1, 15)
    )
    HealthChange.objects.create(client=rita, at=timezone.now() - timedelta(days=9), old_score=70, new_score=55, old_band="healthy", new_band="watch")  # fmt: skip
    return rita


def test_the_zip_holds_one_csv_per_kind_with_formulas_neutralised(alice_client: Any, alice: Any) -> None:
    _a_book(alice)
    response = alice_client.get(reverse("web:export_zip"))

    assert response["Content-Type"] == "application/zip" and response.streaming
    archive = zipfile.ZipFile(io.BytesIO(_body(response)))
    assert set(archive.namelist()) == {
        "clients.csv",
        "identity.csv",
        *(f"{section.name}.csv" for section in book.SECTIONS),
    }
    clients = list(csv.DictReader(io.StringIO(archive.read("clients.csv").decode("utf-8-sig"))))
    assert [row["name"] for row in clients] == ["Rita", "Calme"]
    assert clients[0]["notes"] == '\'=HYPERLINK("http://evil","clic")'
    contacts = list(csv.DictReader(io.StringIO(archive.read("contacts.csv").decode("utf-8-sig"))))
    compta = next(row for row in contacts if row["name"] == "Compta")
    assert (compta["client"], compta["phone"], compta["role"]) == ("Rita", "'+33 6 00", "'@compta")
    interactions = archive.read("interactions.csv").decode("utf-8-sig")
    assert "'-Question" in interactions
    invoices = list(csv.DictReader(io.StringIO(archive.read("invoices.csv").decode("utf-8-sig"))))
    assert {(row["number"], row["amount"]) for row in invoices} == {("F-1", "1234.56"), ("F-2", "800.00")}


def test_bob_exports_only_his_own_book(client: Any, alice: Any, bob: Any) -> None:
    _a_book(alice)
    make_client(bob, name="Bob's only client")
    client.force_login(bob)
    document = json.loads(_body(client.get(reverse("web:export_json"))))
    assert [c["name"] for c in document["clients"]] == ["Bob's only client"]
    archive = zipfile.ZipFile(io.BytesIO(_body(client.get(reverse("web:export_zip")))))
    assert "Rita" not in archive.read("clients.csv").decode("utf-8-sig")
    assert "Compta" not in archive.read("contacts.csv").decode("utf-8-sig")
    assert _body(client.get(reverse("web:export_vcards"))) == b""


def test_the_json_is_versioned_and_keeps_every_record(alice_client: Any, alice: Any) -> None:
    _a_book(alice)
    document = json.loads(_body(alice_client.get(reverse("web:export_json"))))
    assert (document["format"], document["version"]) == ("confiance-book", 1)
    rita = document["clients"][0]
    assert {name: len(rita[name]) for name in ("contacts", "projects", "interactions", "promises", "invoices")} == {
        "contacts": 2, "projects": 1, "interactions": 5, "promises": 5, "invoices": 2,
    }  # fmt: skip
    assert (len(rita["recaps"]), len(rita["recap_lines"])) == (1, 2)
    assert rita["invoices"][0]["amount"] == "1234.56"
    assert sorted((c["level"], c["withdrawn_at"] is not None) for c in rita["check_ins"]) == [
        ("good", False), ("mixed", False), ("poor", True),
    ]  # fmt: skip
    assert sorted(s["raised_by"] for s in rita["conflict_signals"]) == ["client", "client", "freelancer"]
    holiday, pause = sorted(rita["absences"], key=lambda a: a["start_on"])
    assert (holiday["kind"], holiday["project"], holiday["note"]) == ("holiday", None, "Été")
    assert (pause["kind"], pause["project"], pause["end_on"]) == ("paused", rita["projects"][0]["id"], None)
    changes = sorted(rita["scope_changes"], key=lambda c: c["asked_on"])
    assert [(c["description"], c["freelancer_decision"], c["client_decision"]) for c in changes] == [
        ("Une page de plus", "accepted", "accepted"),
        ("Un blog", "pending", "accepted"),
        ("Traduction", "accepted", "pending"),
        ("Une page de plus", "declined", "accepted"),
    ]
    assert {c["project"] for c in changes} == {rita["projects"][0]["id"]}
    assert changes[0]["applied_at"] is not None and changes[3]["price_change"] == "-150.00"


def _book_as_values(owner: Any) -> list[Any]:
    """Every stored value of the owner's book, ids replaced by the records they point to."""
    document = json.loads("".join(book.json_document(owner)))

    def plain(record: dict[str, Any]) -> dict[str, Any]:
        return {
            key: value
            for key, value in record.items()
            if key not in {"id", "project", "contact", "answers", "interaction", "recap", "promise"}
            and key != "correction_interaction"
        }

    clients = []
    for client in sorted(document["clients"], key=lambda c: c["name"]):
        entry = {
            "client": {
                k: v
                for k, v in client.items()
                if k not in {s.name for s in book.SECTIONS} | {"id", "updated_at"}
            }
        }
        for section in book.SECTIONS:
            entry[section.name] = sorted(json.dumps(plain(r), sort_keys=True) for r in client[section.name])
        clients.append(entry)
    return clients


def _health(owner: Any) -> list[Any]:
    """The owner's trust health, each reason's linked events by kind only (their ids are the book's own)."""
    fields = ["client__name", "score", "band", "components", "reasons", "evidence_count", "my_score"]
    fields += ["client_score", "score_week_ago", "sparkline_points"]
    rows = ClientHealth.objects.filter(client__owner=owner).values_list(*fields)
    return sorted((*row[:4], [_without_ids(reason) for reason in row[4]], *row[5:]) for row in rows)


def _without_ids(reason: dict[str, Any]) -> dict[str, Any]:
    return {**reason, "events": [event["type"] for event in reason.get("events", [])]}


def test_the_json_export_imported_into_an_empty_book_is_the_same_book_with_the_same_trust_health(
    alice: Any,
) -> None:
    _a_book(alice)
    recompute_book(alice)
    exported = "".join(book.json_document(alice)).encode()
    carol = make_user("carol")

    done = run(receive(carol, "book", "confiance.json", exported))

    assert done.state == "done", done.error
    assert _book_as_values(carol) == _book_as_values(alice)
    answered = Interaction.objects.get(client__owner=carol, summary="Réponse").answers
    assert answered.summary == "-Question" and answered.contact.name == "Compta"
    assert Interaction.objects.get(client__owner=carol, summary="-Question").project.title == "Boutique"
    # The recap points at the same call, its lines at the same promises and the correction's message.
    from crm.models import RecapLine

    lines = {line.promise.description: line for line in RecapLine.objects.filter(client__owner=carol)}
    assert lines["Maquette v2"].recap.interaction.summary == "Lancement"
    assert lines["Textes"].correction_interaction.summary.endswith("Textes la semaine prochaine")
    assert (lines["Maquette v2"].answer, lines["Textes"].answer) == ("confirmed", "corrected")
    now = timezone.now()  # both books scored as of the same instant
    recompute_book(alice, now=now)
    recompute_book(carol, now=now)
    assert _health(carol) == _health(alice)
    assert _health(carol)[1][1] not in (None, 50)  # Rita has a real score, not "not enough history"
    # The scope drift the changes raise comes back with them.
    assert "scope_drift_unpriced" in [reason["code"] for reason in _health(carol)[1][4]]
    # The client's own word came back and still counts as theirs (issue 26).
    reasons = {
        reason["code"]
        for reason in ClientHealth.objects.get(client__owner=carol, client__name="Rita").reasons
    }
    assert {"client_check_in_good", "client_check_in_mixed", "client_signal_posture"} <= reasons
    assert "client_check_in_poor" not in reasons and "client_signal_payment" not in reasons


def test_an_export_written_before_absences_were_dated_keeps_its_absence(alice: Any) -> None:
    rita = make_client(alice, name="Rita")
    document = json.loads("".join(book.json_document(alice)))
    (row,) = document["clients"]
    del row["absences"]
    row["away_until"] = "2026-12-24"  # how an older export said the client was away
    carol = make_user("carol")

    done = run(receive(carol, "book", "old.json", json.dumps(document).encode()))

    assert done.state == "done", done.error
    absence = Absence.objects.get(client__owner=carol)
    assert (absence.kind, absence.end_on) == ("holiday", date(2026, 12, 24))
    assert absence.start_on == min(rita.created_at.date(), date(2026, 12, 24))


def test_a_json_export_goes_into_an_empty_book_only_and_a_bad_one_writes_nothing(
    alice: Any, bob: Any
) -> None:
    _a_book(alice)
    document = json.loads("".join(book.json_document(alice)))
    make_client(bob, name="Already here")
    refused = run(receive(bob, "book", "a.json", json.dumps(document).encode()))
    assert (refused.state, "empty book only" in refused.error) == ("failed", True)

    carol = make_user("carol")
    document["clients"][1]["status"] = "angry"  # the last client is wrong: the first must not stay
    failed = run(receive(carol, "book", "a.json", json.dumps(document).encode()))
    assert failed.state == "failed" and "status" in failed.error
    assert not Client.objects.filter(owner=carol).exists()
    assert not Contact.objects.filter(owner=carol).exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "This is not a JSON document"),
        ('{"format": "other"}', "not a Confiance export"),
        ('{"format": "confiance-book", "version": 99, "clients": []}', "of version 99"),
        (
            '{"format": "confiance-book", "version": 1, "clients": [{"name": "X", "interactions": [{"project": 7, "summary": "s"}]}]}',
            "not in the export",
        ),
        (
            '{"format": "confiance-book", "version": 1, "clients": [{"name": "X", "created_at": "1900-01-01T00:00:00+00:00"}]}',
            "1970",
        ),
    ],
)
def test_a_bad_json_export_is_refused_clearly(alice_client: Any, alice: Any, text: str, message: str) -> None:
    response = alice_client.post(
        reverse("web:import"), {"kind": "book", "file": SimpleUploadedFile("b.json", text.encode())}
    )
    if response.status_code == 302:
        page = alice_client.post(response["Location"], {"action": "import"}, follow=True).content.decode()
        assert message in page, page[-1500:]
    else:
        assert message in response.content.decode()
    assert not Client.objects.exists()


def test_the_vcard_export_is_read_back_by_vobject(alice_client: Any, alice: Any) -> None:
    _a_book(alice)
    body = _body(alice_client.get(reverse("web:export_vcards"))).decode()
    cards = {card.fn.value: card for card in vobject.readComponents(body)}
    assert set(cards) == {"Rita", "Compta"}
    assert (cards["Compta"].email.value, cards["Compta"].tel.value, cards["Compta"].org.value) == (
        "compta@x.fr", "+33 6 00", ["ACME"],
    )  # fmt: skip


def _csv_rows(response: Any, name: str, delimiter: str) -> list[dict[str, str]]:
    archive = zipfile.ZipFile(io.BytesIO(_body(response)))
    raw = archive.read(name)
    assert raw.startswith(b"\xef\xbb\xbf"), "a BOM, so spreadsheets read the accents"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=delimiter))


def test_a_french_freelancer_gets_semicolons_and_decimal_commas_by_default(client: Any, bob: Any) -> None:
    # bob's interface is French: a French spreadsheet opens the file as columns, amounts as numbers.
    _a_book(bob)
    client.force_login(bob)

    invoices = _csv_rows(client.get(reverse("web:export_zip")), "invoices.csv", ";")

    assert {(row["number"], row["amount"]) for row in invoices} == {("F-1", "1234,56"), ("F-2", "800,00")}
    clients = _csv_rows(client.get(reverse("web:export_zip")), "clients.csv", ";")
    assert [row["name"] for row in clients] == ["Rita", "Calme"]


def test_either_style_can_be_chosen_whatever_the_language(
    client: Any, bob: Any, alice_client: Any, alice: Any
) -> None:
    _a_book(bob)
    client.force_login(bob)
    invoices = _csv_rows(client.get(reverse("web:export_zip"), {"style": "comma"}), "invoices.csv", ",")
    assert {row["amount"] for row in invoices} == {"1234.56", "800.00"}

    _a_book(alice)
    invoices = _csv_rows(
        alice_client.get(reverse("web:export_zip"), {"style": "semicolon"}), "invoices.csv", ";"
    )
    assert {row["amount"] for row in invoices} == {"1234,56", "800,00"}


def test_an_unknown_csv_style_is_refused_clearly(alice_client: Any, alice: Any) -> None:
    response = alice_client.get(reverse("web:export_zip"), {"style": "tab"})

    assert response.status_code == 400
    assert "Unknown spreadsheet style “tab”" in response.content.decode()


@pytest.mark.parametrize(("language", "first"), [("fr", "«\u00a0;\u00a0»"), ("en", "“,” between columns")])
def test_the_export_page_offers_the_languages_style_first(client: Any, language: str, first: str) -> None:
    owner = make_user("carla", language=language, time_zone="Europe/Paris")
    client.force_login(owner)
    page = client.get(reverse("web:export"), HTTP_ACCEPT_LANGUAGE=language).content.decode()

    links = [line for line in page.splitlines() if "style=" in line]
    assert len(links) == 2
    assert first in links[0]
