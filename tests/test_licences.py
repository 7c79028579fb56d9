"""The project's licence and its dependencies' (issue 25): LICENSE is the AGPL v3, pyproject says
AGPL-3.0-or-later, and every dependency pyproject names is listed with its licence in docs/licences.md."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _name(requirement: str) -> str:
    return re.split(r"[\s;\[<>=!~(]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_the_licence_is_the_agpl_v3_or_later() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3, 19 November 2007")
    assert "13. Remote Network Interaction; Use with the GNU General Public License." in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "AGPL-3.0-or-later"


def test_every_dependency_is_listed_with_its_licence() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    named = {_name(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]}
    listed = {
        row.split("|")[1].strip().lower().replace("_", "-")
        for row in (ROOT / "docs" / "licences.md").read_text().splitlines()
        if row.startswith("| ") and not row.startswith("| Distribution")
    }
    assert named <= listed, f"add to docs/licences.md: {sorted(named - listed)}"
