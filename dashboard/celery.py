"""The Celery app. Configuration comes from Django settings (CELERY_* names)."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
@signals.beat_init.connect
def trace_memory(**kwargs) -> None:
    """INITSCOPE_TRACEMALLOC_DIR: tracemalloc snapshots of this worker or beat (dashboard/memory.py)."""
    from dashboard.memory import start_from_settings

    start_from_settings()
