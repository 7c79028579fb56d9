from __future__ import annotations

# Load the Celery app with Django so that `shared_task`s bind to it and `delay_on_commit` works.
from config.celery import app as celery_app

__all__ = ["celery_app"]
