"""Who calls the API: an organisation's key (`Authorization: Bearer lk_…`) or, from the
browser, the signed-in session (with CSRF)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from marketplace.accounts.models import ApiKey, Membership, Role
from marketplace.accounts.services import api_key_for_token
from marketplace.accounts.tenancy import Viewer

KEYWORD = "bearer"


def key_viewer(api_key: ApiKey) -> Viewer:
    """The key as a viewer: its service user with a manager's role in its organisation.

    The membership is built for this request and never saved, so the key is no team member,
    gets no notifications, and cannot sign in; services check its role unchanged."""
    membership = Membership(
        user=api_key.service_user, organisation=api_key.organisation, role=Role.MANAGER
    )
    return Viewer(user=api_key.service_user, membership=membership)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer lk_<prefix>_<secret>`. A wrong or revoked key is refused (401),
    never treated as anonymous or as the session."""

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the key as 'Authorization: Bearer <key>'.")
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("Invalid API key.") from exc
        api_key = api_key_for_token(token)
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        # Views ask request.viewer, as the web views do; for a key it is the key's identity.
        request._request.viewer = key_viewer(api_key)  # type: ignore[attr-defined]
        return api_key.service_user, api_key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


def media_viewer(request: HttpRequest) -> Viewer:
    """Who asks for a private picture: an API key sent as for the API (picture URLs come in
    API answers), else the signed-in session. A wrong or revoked key is an anonymous viewer,
    never taken for the session."""
    header = request.headers.get("Authorization", "").split()
    if not header or header[0].lower() != KEYWORD:
        return request.viewer  # type: ignore[attr-defined,no-any-return]
    api_key = api_key_for_token(header[1]) if len(header) == 2 else None
    if api_key is None:
        return Viewer(user=AnonymousUser(), membership=None)
    return key_viewer(api_key)


def request_api_key(request: Request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None
