#!/usr/bin/env python
"""Count the instructions of one bulk recompute and of its read floor with valgrind's callgrind.

Wall-clock ratios move by a tenth or more on a busy machine; instruction counts do not. Uses the bench database
that `make bench` left (var/bench.sqlite3) unless DATABASE_URL says otherwise:

    .venv/bin/python bench/instructions.py book       # the 2,000-client book (200 with SMALL=1)
    .venv/bin/python bench/instructions.py big_book

Each figure is (a run with three recomputes − a run with none) / 3, so imports and the first, cold run cancel out.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEAT = 3


def child(what: str, username: str) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from bench.run import read_floor
    from crm.trust.health import recompute_book

    now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # a fixed moment: every run computes the same thing
    owner = get_user_model().objects.get(username=username)
    recompute_book(owner=owner, now=now)
    read_floor(owner)
    for _ in range(REPEAT if what != "base" else 0):
        if what == "recompute":
            recompute_book(owner=owner, now=now)
        else:
            read_floor(owner)


def instructions(what: str, username: str) -> int:
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--child",
            what,
            username,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(re.search(r"Collected : (\d+)", out.stderr).group(1))


def main() -> None:
    if sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        return
    username = sys.argv[1]
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}")
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    base = instructions("base", username)
    recompute = (instructions("recompute", username) - base) / REPEAT
    floor = (instructions("floor", username) - base) / REPEAT
    print(
        f"{username}: recompute {recompute / 1e6:.1f} M instructions, read floor {floor / 1e6:.1f} M,"
        f" ratio {recompute / floor:.2f}"
    )


if __name__ == "__main__":
    main()
