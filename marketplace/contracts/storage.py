"""Private file storage for contracts: never under MEDIA_ROOT (served at /media/), read only
through views that check the party, and written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def private_root() -> Path:
    """`LIKENESS_PRIVATE_ROOT`, else a `private/` folder beside MEDIA_ROOT (never inside it).

    Resolved on every use, so a worker given the same MEDIA_ROOT finds the same files."""
    configured = getattr(settings, "PRIVATE_FILES_ROOT", "")
    return Path(configured) if configured else Path(settings.MEDIA_ROOT).parent / "private"


class PrivateStorage(FileSystemStorage):
    """A file appears under its final name complete or not at all: it is written to a
    temporary file in the same folder, then hard-linked into place (which never overwrites)."""

    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(private_root())

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property  # type: ignore[override]
    def base_url(self) -> None:  # type: ignore[override]
        return None

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no URL; serve them through a view that checks access.")

    def _save(self, name: str, content: Any) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        fd, tmp_path = tempfile.mkstemp(dir=directory, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as handle:
                if hasattr(content, "chunks"):
                    for chunk in content.chunks():
                        handle.write(chunk)
                else:
                    handle.write(content.read())
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp_path, 0o640)
            while True:
                try:
                    os.link(tmp_path, full_path)
                    break
                except FileExistsError:
                    name = self.get_available_name(name)
                    full_path = self.path(name)
        finally:
            os.unlink(tmp_path)
        return str(name).replace("\\", "/")


def contract_storage() -> PrivateStorage:
    return PrivateStorage()
