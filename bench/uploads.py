"""Peak memory of reading the worst uploads, each in its own child process (issue 25): a 9 MB NOTE vCard, a
7 MB PHOTO vCard, and one million folded lines; the bound is 100 MB above the process's baseline.

    .venv/bin/python bench/uploads.py

Each child sets Django up, notes its peak RSS (the baseline: a worker before the upload), then does what
`crm.dataio.imports.receive` does with an upload (decode it, read its people, every field bounded) and prints
the peak's growth. Nothing touches a database.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOUND_MB = 100


def _card(extra: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Rita Big\r\nORG:Rita SARL\r\nEMAIL:rita@example.com\r\n{extra}END:VCARD\r\n"


def _folded(name: str, value: str, width: int = 74) -> str:
    lines = [f"{name}:{value[:width]}"] + [
        " " + value[i : i + width] for i in range(width, len(value), width)
    ]
    return "\r\n".join(lines) + "\r\n"


def files() -> dict[str, str]:
    """Return the worst files by name: their text."""
    photo = base64.b64encode(os.urandom(7 * 1024 * 1024 * 3 // 4)).decode()
    return {
        "vCard, one 9 MB NOTE": _card(f"NOTE:{'x' * 9 * 1024 * 1024}\r\n"),
        "vCard, a 7 MB PHOTO": _card(_folded("PHOTO;ENCODING=b;TYPE=JPEG", photo)),
        "vCard, one million folded lines": _card(_folded("NOTE", "y" * 1_000_000 * 6, width=6)),
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def child(path: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import vobject  # noqa: F401  (imported by the worker before any upload)

    from crm.dataio import vcards
    from crm.dataio.reading import decode

    baseline = _rss_mb()  # now, not the peak: setting Django up passed through more
    started = time.perf_counter()
    data = Path(path).read_bytes()
    problems: list = []
    people = vcards.people_from(decode(data).text, problems)
    seconds = round(time.perf_counter() - started, 2)
    print(
        json.dumps(
            {
                "growth_mb": round(_peak_mb() - baseline, 1),
                "seconds": seconds,
                "people": len(people),
                "problems": [p.message for p in problems][:2],
            }
        )
    )


def main() -> int:
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="confiance-bench-") as folder:
        for name, text in files().items():
            path = Path(folder) / "upload.vcf"
            path.write_text(text)
            size = path.stat().st_size / 1024 / 1024
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(path)],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            worst = max(worst, result["growth_mb"])
            print(
                f"{name:<34} {size:6.1f} MB file   peak RSS growth {result['growth_mb']:7.1f} MB  {result['seconds']:5.2f} s   {result['problems'] or 'read'}"
            )
    print(f"worst growth {worst:.1f} MB (bound {BOUND_MB} MB): {'ok' if worst <= BOUND_MB else 'OVER'}")
    return 0 if worst <= BOUND_MB else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    else:
        sys.exit(main())
