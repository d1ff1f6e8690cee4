"""Celery application. Broker: Redis when REDIS_URL is set, else kombu's filesystem transport."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("likeness")
app.config_from_object("django.conf:settings", namespace="CELERY")


def _configure_filesystem_broker() -> None:
    from django.conf import settings

    if not str(app.conf.broker_url).startswith("filesystem://"):
        return
    queue_dir = settings.CELERY_FILESYSTEM_DIR / "queue"
    processed = settings.CELERY_FILESYSTEM_DIR / "processed"
    control = settings.CELERY_FILESYSTEM_DIR / "control"
    for folder in (queue_dir, processed, control, settings.CELERY_FILESYSTEM_DIR / "results"):
        folder.mkdir(parents=True, exist_ok=True)
    app.conf.broker_transport_options = {
        "data_folder_in": str(queue_dir),
        "data_folder_out": str(queue_dir),
        "processed_folder": str(processed),
        "control_folder": str(control),
        "store_processed": False,
    }


@task_prerun.connect
@task_postrun.connect
def _close_old_connections(sender: Any = None, **kwargs: Any) -> None:
    """Around each task, as around each request: drop a database connection that is older than
    CONN_MAX_AGE or unusable (CELERY_DB_REUSE_MAX keeps Celery from closing every one)."""
    if getattr(getattr(sender, "request", None), "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()


_configure_filesystem_broker()
app.autodiscover_tasks()
