"""Scopes: a key may call an endpoint only with the scope it declares for the method.
Session users have no scopes; their role decides, in the services, as on the web."""

from __future__ import annotations

from rest_framework import exceptions, permissions
from rest_framework.request import Request

from .auth import request_api_key

ANY_SCOPE = "*"  # any live key, whatever its scopes


class MissingScope(exceptions.PermissionDenied):
    default_code = "missing_scope"


class ScopedAccess(permissions.BasePermission):
    """Authenticated, and for a key: the endpoint's scope for this method.

    Views declare `scopes = {"GET": "licences:read", "POST": "licences:write"}`. A method the
    view does not map is refused to keys (fails closed)."""

    def has_permission(self, request: Request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        api_key = request_api_key(request)
        if api_key is None:
            return True
        method = "GET" if request.method in {"HEAD", "OPTIONS"} else request.method
        scope = getattr(view, "scopes", {}).get(method)
        if scope == ANY_SCOPE:
            return True
        if scope is None or not api_key.has_scope(scope):
            raise MissingScope(f"This API key lacks the '{scope or 'unknown'}' scope.")
        return True
