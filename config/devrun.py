"""Start everything `make run` needs in one process group: web server, Celery worker with embedded beat.

Ctrl-C (or the end of any one of them) stops them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def main() -> int:
    port = os.environ.get("PORT", "8000")
    python = sys.executable
    commands = {
        "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}"],
        # -B runs beat inside the worker: fine for one local process, use a separate `celery beat` in production.
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-B",
            "--loglevel=INFO",
            "--concurrency=2",
            "--schedule=var/celerybeat-schedule",
        ],
    }
    processes = {name: subprocess.Popen(cmd) for name, cmd in commands.items()}
    print(f"Confiance is running on http://127.0.0.1:{port}/ (worker and beat beside it). Ctrl-C stops all.")
    try:
        while all(p.poll() is None for p in processes.values()):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
