"""Private file storage for contracts: never under MEDIA_ROOT, read only through views that
check the party, and written atomically (`marketplace.core.storage`)."""

from __future__ import annotations

from marketplace.core.storage import PrivateStorage, private_root

__all__ = ["PrivateStorage", "contract_storage", "private_root"]


def contract_storage() -> PrivateStorage:
    return PrivateStorage()
