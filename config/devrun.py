"""Start everything `make run` needs: the web server, a Celery worker and Celery beat, stopped together.

Ctrl-C (or SIGTERM, or the end of any one of them) stops them all. Each runs in its own process group so that
whatever it started (runserver's autoreloaded child, the worker's pool) is stopped with it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from config.celery import QUEUES


def _commands(port: str, var_dir: Path) -> dict[str, list[str]]:
    python = sys.executable
    celery = [python, "-m", "celery", "-A", "config"]
    return {
        "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}"],
        # One worker for every queue (config/celery.py); production runs one per kind of work (deploy/).
        "worker": [*celery, "worker", "-Q", ",".join(QUEUES), "--loglevel=INFO", "--concurrency=2"],
        # One beat, as in production; it keeps its schedule state under var/.
        "beat": [*celery, "beat", "--loglevel=INFO", f"--schedule={var_dir / 'celerybeat-schedule'}"],
    }


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _stop(processes: dict[str, subprocess.Popen[bytes]], grace: float = 15.0) -> None:
    """Ask each process to stop (SIGTERM: warm shutdown), wait, then kill whatever is left of its group."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes.values():
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
    leftovers = [p.pid for p in processes.values() if _group_alive(p.pid)]
    for pgid in leftovers:
        _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    while any(_group_alive(pgid) for pgid in leftovers) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pgid in leftovers:
        _signal_group(pgid, signal.SIGKILL)
    for process in processes.values():
        if process.poll() is None:
            process.kill()
            process.wait()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:
    port = os.environ.get("PORT", "8000")
    var_dir = Path(os.environ.get("VAR_DIR", "var"))
    var_dir.mkdir(parents=True, exist_ok=True)
    # Ctrl-C and SIGTERM both stop everything (SIGINT too when a shell started us with it ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    processes: dict[str, subprocess.Popen[bytes]] = {}
    status = 0
    try:
        for name, command in _commands(port, var_dir).items():
            processes[name] = subprocess.Popen(command, start_new_session=True)
        print(
            f"Confiance is running on http://127.0.0.1:{port}/ with a Celery worker and beat. Ctrl-C stops all."
        )
        while True:
            ended = {name: p.returncode for name, p in processes.items() if p.poll() is not None}
            if ended:
                for name, code in ended.items():
                    print(
                        f"The {name} process ended (exit code {code}); stopping the others.", file=sys.stderr
                    )
                status = 1
                break
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nStopping the web server, the worker and beat ...", flush=True)
    finally:
        _stop(processes)
    return status


if __name__ == "__main__":
    sys.exit(main())
