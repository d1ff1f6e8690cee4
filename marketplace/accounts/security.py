"""Sign-in hardening: who django-axes counts failures for, and two-factor for money roles."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse

if TYPE_CHECKING:
    from .models import Membership

TOTP_SETUP_URL_NAME = "mfa_activate_totp"


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    """The login a failure counts against, however it was posted.

    allauth's form posts `login` and authenticates with `email=`; the admin posts `username`.
    Lower-cased so "Owner@X" and "owner@x" share one counter.
    """
    for key in ("email", "login", "username"):
        value = (credentials or {}).get(key)
        if value:
            return str(value).strip().lower()
    data = getattr(request, "data", None) or request.POST
    for key in ("login", "email", "username"):
        value = data.get(key)
        if value:
            return str(value).strip().lower()
    return None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The page a locked-out sign-in gets (429), saying for how long and what to do."""
    cooloff = settings.AXES_COOLOFF_TIME
    minutes = int(cooloff.total_seconds() // 60) if cooloff else None
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "username": axes_username(request, credentials) or "",
        "minutes": minutes,
    }
    return render(request, "accounts/locked_out.html", context, status=429)


def mfa_required_roles() -> set[str]:
    return set(getattr(settings, "LIKENESS_REQUIRE_MFA_ROLES", ()))


def needs_totp_setup(user: Any, memberships: Iterable[Membership] | None = None) -> bool:
    """True for a member holding a role that requires two-factor who has no TOTP yet.
    `memberships`: the user's, when already loaded (the request's viewer has them)."""
    roles = mfa_required_roles()
    if not roles or not getattr(user, "is_authenticated", False):
        return False
    from allauth.mfa.models import Authenticator

    if memberships is None:
        if not user.memberships.filter(role__in=roles).exists():
            return False
    elif not any(m.role in roles for m in memberships):
        return False
    return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class RequireMFAMiddleware:
    """Owners and finance members set up TOTP before anything else.

    Every page except two-factor setup, re-authentication, sign-out, static and media files
    redirects to the TOTP setup page; htmx requests are told to navigate there and API calls
    answer 403.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The viewer (resolved once per request, and reused by the page) has the memberships.
        viewer = getattr(request, "viewer", None)
        if not self._exempt(request.path_info) and needs_totp_setup(
            request.user, viewer.memberships if viewer is not None else None
        ):
            return self._to_setup(request)
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        allowed = (
            reverse("mfa_index"),
            reverse("account_logout"),
            reverse("account_reauthenticate"),
            settings.STATIC_URL,
            settings.MEDIA_URL,
            "/health/",
        )
        return path.startswith(tuple(allowed))

    @staticmethod
    def _to_setup(request: HttpRequest) -> HttpResponse:
        setup = reverse(TOTP_SETUP_URL_NAME)
        text = (
            "Your role handles contracts and money, so it needs two-factor authentication: "
            "set up an authenticator app to continue."
        )
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": text, "setup_url": setup}, status=403)
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=204)
            response["HX-Redirect"] = setup
            return response
        messages.warning(request, text)
        return redirect(setup)
