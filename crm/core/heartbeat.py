"""The sweep's heartbeat: where beat's minute sweep stamps its time, and where `/health/` reads it.

The key lives on the floor so the writer (`crm/reminders/tasks.py`) and the reader (`config/health.py`) share it
without the health check importing the reminders' Celery edge.
"""

from __future__ import annotations

# The moment of the last sweep (a POSIX timestamp), in the shared cache: beat sends a sweep every minute, so the
# health endpoint reads an old value as "beat (or every worker) is down".
SWEEP_HEARTBEAT_KEY = "confiance:sweep:last-run"
