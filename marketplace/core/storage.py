"""Private file storage: never under MEDIA_ROOT, never served as static files. Contracts and
uploaded pictures live here; each is read only through a view that checks who is asking."""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.http import FileResponse, Http404
from django.utils.encoding import filepath_to_uri


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


class MediaStorage(PrivateStorage):
    """Uploaded pictures (twin galleries, placements of a use), kept private like contracts.

    A picture's URL is MEDIA_URL + its stored (random) name, computed without a query; the
    views behind MEDIA_URL look the name up and decide who may see it. Object storage with
    presigned URLs can replace this backend in `STORAGES["media"]`."""

    def url(self, name: str | None) -> str:
        return settings.MEDIA_URL + filepath_to_uri(name or "").lstrip("/")


def media_storage() -> Storage:
    """The storage of uploaded pictures (`STORAGES["media"]`): a callable, so migrations name
    it instead of freezing one backend into them."""
    return storages["media"]


# What a stored picture is served as, by the extension its re-encoding gave it.
PICTURE_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}
# A bookable twin's pictures may sit in shared caches this long after the twin is paused.
PUBLIC_PICTURE_MAX_AGE = 300


def picture_response(name: str, *, public: bool) -> FileResponse:
    """A stored picture, for a view that has checked who may see it. Public ones may be
    cached anywhere for a few minutes, the others by no cache at all (nosniff comes from the
    security middleware, on every response)."""
    content_type = PICTURE_TYPES.get(PurePosixPath(name).suffix.lower())
    if content_type is None:
        raise Http404
    try:
        handle = media_storage().open(name, "rb")
    except (OSError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = (
        f"public, max-age={PUBLIC_PICTURE_MAX_AGE}" if public else "private, no-store"
    )
    return response


def random_name(folder: str, filename: str) -> str:
    """`<folder>/<2 hex>/<32 hex><ext>`: unrelated to any id or to the upload's own name, so
    a picture's URL cannot be guessed from another one (the first two digits spread files
    over folders)."""
    key = uuid.uuid4().hex
    suffix = PurePosixPath(filename).suffix.lower()
    if not re.fullmatch(r"\.[a-z0-9]{1,5}", suffix):
        suffix = ""
    return f"{folder}/{key[:2]}/{key}{suffix}"
