"""What the apps' admin modules share."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


class ViewOnly:
    """No add, change or delete: the admin shows rows (evidence, money, decisions), and the
    services, which check state and write the audit trail, change them."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
