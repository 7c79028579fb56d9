"""Real processes on loopback, as production runs them: gunicorn and Celery started as subprocesses, each in its
own process group and stopped with it whatever happens, and a browser that keeps its cookies from one web
process to the next. Shared by tests/test_topology.py and bench/monday.py."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def environment(database_url: str, broker_url: str, secret_key: str, var_dir: Path) -> dict[str, str]:
    """Return the environment of the started processes: this one's, pointed at `database_url` and the broker
    (also the cache unless CACHE_URL says otherwise), one secret key for all, quiet logs."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CONFIANCE_ENV": "development",
        "DEBUG": "0",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "CACHE_URL": os.environ.get("CACHE_URL") or broker_url,
        "SECRET_KEY": secret_key,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        "VAR_DIR": str(var_dir),
    }


def gunicorn(port: int) -> list[str]:
    """Return the command of one web process (two gunicorn workers) on `port`."""
    return [
        str(BIN / "gunicorn"),
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--log-level",
        "warning",
    ]


def celery(*arguments: str) -> list[str]:
    """Return the command of a Celery program of the project (`worker ...`, `beat ...`)."""
    return [str(BIN / "celery"), "-A", "config", *arguments]


def celery_worker(*arguments: str) -> list[str]:
    """Return the command of one Celery worker, quiet, without gossip or mingle (they slow its start)."""
    return celery("worker", "--loglevel=WARNING", "--without-gossip", "--without-mingle", *arguments)


def start(
    stack: ExitStack,
    name: str,
    command: list[str],
    env: dict[str, str],
    logs: Path,
    stop_within: float = 15.0,
) -> subprocess.Popen[bytes]:
    """Start one process in its own process group, its output in `logs/<name>.log`; the stack stops the whole
    group (SIGTERM, then SIGKILL after `stop_within` seconds), whatever happens."""
    log = (logs / f"{name}.log").open("wb")
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )

    def stop() -> None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=stop_within)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        # Children of the group (prefork pool, gunicorn workers) go with it.
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        log.close()

    stack.callback(stop)
    return process


class Browser:
    """A freelancer's browser: cookies kept across web processes (one session, one CSRF secret)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}
        self.requests = 0

    def send(self, port: int, method: str, path: str, form: dict[str, Any] | None = None) -> tuple[int, str]:
        """Send one request (a form posted with the CSRF token) and return its status and body."""
        headers = {"Host": "127.0.0.1", "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode({**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")})
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            text = response.read().decode()
            for cookie in response.headers.get_all("Set-Cookie") or []:
                key, _, value = cookie.split(";", 1)[0].partition("=")
                self.cookies[key.strip()] = value.strip()
        finally:
            conn.close()
        self.requests += 1
        return response.status, text
