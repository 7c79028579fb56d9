"""The version in pyproject.toml is the one Settings shows (read from the installed metadata)."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path
from typing import Any

from django.urls import reverse


def test_settings_show_the_installed_version(alice_client: Any) -> None:
    page = alice_client.get(reverse("profile")).content.decode()
    assert f"Confiance version {metadata.version('confiance')}" in page


def test_pyproject_has_a_version() -> None:
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())["project"]
    assert project["version"].count(".") == 2
