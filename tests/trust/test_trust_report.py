"""`manage.py trust_report`: every client of a freelancer, worst first, with reasons and next steps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command

from conflicts.models import ConflictSignal
from crm.models import HealthSnapshot
from tests.factories import make_client, make_conflict, make_interaction, make_promise

NOW = datetime(2026, 3, 2, 11, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture(autouse=True)
def _frozen() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def _report(*args: str) -> str:
    out = StringIO()
    call_command("trust_report", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def book(alice: Any, bob: Any) -> dict[str, Any]:
    reliable = make_client(alice, name="Atelier Dupont")
    for weeks in range(1, 5):
        due = TODAY - timedelta(weeks=weeks)
        make_promise(reliable, made_on=due - timedelta(days=7), due_on=due, state="kept", kept_on=due)
    angry = make_client(alice, name="Agence Moreau")
    make_conflict(angry, kind=ConflictSignal.Kind.POSTURE, severity=3, observed_on=TODAY - timedelta(days=2))
    HealthSnapshot.objects.create(client=angry, day=TODAY - timedelta(days=7), score=70, band="healthy")
    make_interaction(angry, direction="from_client", happened_at=NOW - timedelta(days=2, hours=1))
    newcomer = make_client(alice, name="Maison Rousseau")
    make_client(bob, name="Secret de Bob")
    return {"reliable": reliable, "angry": angry, "newcomer": newcomer}


def test_json_report_lists_the_users_clients_worst_first(book: dict[str, Any]) -> None:
    report = json.loads(_report("--user", "alice", "--format", "json"))
    assert report["version"] == 2
    assert report["bands"] == {"healthy": 70, "watch": 45}
    [alice] = report["freelancers"]
    assert alice["username"] == "alice"
    names = [c["name"] for c in alice["clients"]]
    assert names[0] == "Agence Moreau"
    assert "Secret de Bob" not in names
    scores = [c["score"] for c in alice["clients"]]
    assert scores == sorted(scores)


def test_json_report_entries_carry_trend_reasons_and_next_steps(book: dict[str, Any]) -> None:
    report = json.loads(_report("--user", "alice", "--format", "json"))
    angry = report["freelancers"][0]["clients"][0]
    assert set(angry) == {
        "id",
        "name",
        "company",
        "score",
        "band",
        "band_label",
        "score_week_ago",
        "trend",
        "evidence_count",
        "sides",
        "computed_at",
        "components",
        "reasons",
    }
    # Issue 13: the posture conflict puts the client's word at risk, and the report names the side.
    assert angry["sides"]["client"]["band"] == "at_risk"
    assert set(angry["sides"]["mine"]) == {"score", "band", "band_label", "label", "responsiveness"}
    # Issue 22: each side gains its responsiveness (the client: answers to my questions; none logged here).
    assert angry["sides"]["client"]["responsiveness"] == {"score": None, "contribution": 0.0, "evidence": 0}
    assert angry["band"] == "at_risk"
    assert angry["score_week_ago"] == 70
    assert angry["trend"] == angry["score"] - 70
    top = angry["reasons"][0]
    assert top["code"] == "conflict_open_posture"
    assert top["events"] == [{"type": "conflict", "id": book["angry"].conflict_signals.get().pk}]
    assert top["text"].startswith("1 open posture conflict")
    assert top["next_step"].startswith("Let the client speak")
    assert set(angry["components"]["conflicts"]) == {"score", "weight", "contribution", "evidence", "side"}
    assert top["side"] == "client"


def test_every_client_below_healthy_has_a_reason_and_a_next_step(book: dict[str, Any]) -> None:
    report = json.loads(_report("--user", "alice", "--format", "json"))
    for entry in report["freelancers"][0]["clients"]:
        if entry["band"] != "healthy":
            assert entry["reasons"][0]["text"]
            assert entry["reasons"][0]["next_step"], entry["name"]


def test_report_speaks_the_freelancers_language(bob: Any) -> None:
    client = make_client(bob, name="Café des Arts")
    make_conflict(client, kind=ConflictSignal.Kind.IDEAS, severity=2, observed_on=TODAY)
    report = json.loads(_report("--user", "bob", "--format", "json"))
    assert report["freelancers"][0]["language"] == "fr"


def test_table_report_shows_score_band_trend_and_next_step(book: dict[str, Any]) -> None:
    table = _report("--user", "alice")
    lines = table.splitlines()
    assert lines[0] == "== alice (3 clients)"
    angry = next(line for line in lines if "Agence Moreau" in line)
    assert "at risk" in angry
    assert "-" in angry.split("Agence")[0]  # the trend since last week
    assert "→ Let the client speak" in table
    assert "mine  client" in lines[1]
    assert "[The client's word] 1 open posture conflict" in table
    assert "Not enough history yet" in table
    assert "Secret de Bob" not in table


def test_report_without_user_covers_every_freelancer(book: dict[str, Any]) -> None:
    report = json.loads(_report("--format", "json"))
    assert [f["username"] for f in report["freelancers"]] == ["alice", "bob"]


def test_unknown_user_is_an_error(db: None) -> None:
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        _report("--user", "nobody")


def test_the_api_answers_the_reports_entries(book: dict[str, Any], alice: Any) -> None:
    """Both read `crm/trust/report.py`: a client's entry is the same JSON from the command and from the API."""
    from clients.models import AccessToken
    from tests.api.conftest import ApiCaller

    report = json.loads(_report("--user", "alice", "--format", "json"))
    api = ApiCaller(AccessToken.issue(alice, "tests", AccessToken.Scope.READ)[1])
    for entry in report["freelancers"][0]["clients"]:
        answer = api.get(f"/clients/{entry['id']}/health").json()
        # The same instant, written "Z" by the API and "+00:00" by the command.
        for moment in (answer, entry):
            moment["computed_at"] = datetime.fromisoformat(moment["computed_at"])
        # The API's schema shows a reason's words, not its internals (its events, its weight).
        assert answer == _shown(entry, answer)
        assert set(answer) == set(entry)


def _shown(full: Any, shown: Any) -> Any:
    """Return `full` cut down to the keys `shown` has, at every depth."""
    if isinstance(shown, dict):
        return {key: _shown(full[key], value) for key, value in shown.items()}
    if isinstance(shown, list):
        return [_shown(item, value) for item, value in zip(full, shown, strict=True)]
    return full
