"""`manage.py import_book`: the same import as the page, from a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from clients.models import Client
from crm.models import BookImport

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).resolve().parents[2] / "crm" / "dataio" / "samples"


def test_the_command_imports_a_sample_and_says_what_it_did(alice: Any, capsys: Any) -> None:
    call_command("import_book", str(SAMPLES / "clients.csv"), "--user", "alice")
    assert "clients: 2, contacts: 3, skipped: 0" in capsys.readouterr().out
    call_command("import_book", str(SAMPLES / "contacts.vcf"), "--user", "alice")
    assert Client.objects.filter(owner=alice).count() == 2  # the vCards are the same people
    assert BookImport.objects.filter(owner=alice, state="done").count() == 2


def test_the_command_refuses_a_file_with_problems_and_writes_nothing(
    alice: Any, tmp_path: Path, capsys: Any
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("Client;Email\nA;a@x.fr\nB;nope\n")
    with pytest.raises(CommandError, match="1 problems: nothing was imported"):
        call_command("import_book", str(bad), "--user", "alice")
    assert "line 3:" in capsys.readouterr().err
    assert not Client.objects.exists() and not BookImport.objects.exists()


def test_a_dry_run_writes_nothing(alice: Any, capsys: Any) -> None:
    call_command("import_book", str(SAMPLES / "clients.csv"), "--user", "alice", "--dry-run")
    assert "3 rows, no problem" in capsys.readouterr().out
    assert not Client.objects.exists()
