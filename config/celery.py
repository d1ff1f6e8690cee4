"""Celery application. Broker: Redis when REDIS_URL is set, else kombu's filesystem transport."""

from __future__ import annotations

import os

from celery import Celery

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


_configure_filesystem_broker()
app.autodiscover_tasks()
