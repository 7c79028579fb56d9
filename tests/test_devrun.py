"""`make run`'s process runner: the web server, a Celery worker and beat start together and stop together."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children(pid: int) -> dict[int, str]:
    """Return {pid: command line} of the direct children of `pid` (Linux /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found[int(entry.name)] = cmdline
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and " Z " not in Path(f"/proc/{pid}/stat").read_text()


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read().decode()


@pytest.mark.worker
def test_web_worker_and_beat_start_together_and_ctrl_c_stops_them_all(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "VAR_DIR"}}
    env.update(
        {"PORT": str(port), "VAR_DIR": str(tmp_path / "var"), "DJANGO_SETTINGS_MODULE": "config.settings"}
    )
    runner = subprocess.Popen(
        [sys.executable, "-m", "config.devrun"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    children: dict[int, str] = {}
    try:
        deadline, page = time.monotonic() + 90, ""
        while time.monotonic() < deadline and "csrfmiddlewaretoken" not in page:
            try:
                _status, page = _get(f"http://127.0.0.1:{port}/accounts/login/")
            except OSError:
                time.sleep(0.5)
        assert 'name="username"' in page, "the login page was not served"

        children = _children(runner.pid)
        commands = " | ".join(children.values())
        assert any("runserver" in c and f"127.0.0.1:{port}" in c for c in children.values()), commands
        assert any("celery" in c and " worker" in c for c in children.values()), commands
        assert any("celery" in c and " beat" in c for c in children.values()), commands

        runner.send_signal(signal.SIGINT)  # what Ctrl-C sends
        assert runner.wait(timeout=40) == 0
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [cmd for pid, cmd in children.items() if _alive(pid)] == []
        with pytest.raises(OSError):  # runserver's autoreloaded child is gone too: the port is free
            _get(f"http://127.0.0.1:{port}/accounts/login/")
    finally:
        for pid in [runner.pid, *children]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        runner.wait(timeout=10)
