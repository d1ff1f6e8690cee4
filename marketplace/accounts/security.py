"""Sign-in hardening: who django-axes counts failures for, two-factor for money roles and
platform staff, and the admin, which signs in only through the site's own sign-in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from allauth.account.authentication import get_authentication_records
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

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


def is_staff(user: Any) -> bool:
    """Platform staff: the admin, and every tenant's contracts (contracts.selectors)."""
    return bool(getattr(user, "is_authenticated", False) and (user.is_staff or user.is_superuser))


def has_totp(user: Any) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def needs_totp_setup(user: Any, memberships: Iterable[Membership] | None = None) -> bool:
    """True for staff, or a member holding a role that requires two-factor, who has no TOTP yet.
    `memberships`: the user's, when already loaded (the request's viewer has them)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if not is_staff(user):
        roles = mfa_required_roles()
        if not roles:
            return False
        if memberships is None:
            if not user.memberships.filter(role__in=roles).exists():
                return False
        elif not any(m.role in roles for m in memberships):
            return False
    return not has_totp(user)


# The page a person was sent away from to set up two-factor: the recovery codes page, the end
# of the set-up, leads back to it.
AFTER_SETUP_SESSION_KEY = "likeness_after_mfa_setup"

# The session of a user who proved an authenticator they had just set up in it (allauth
# records only sign-ins and re-authentications).
TOTP_ACTIVATED_SESSION_KEY = "likeness_totp_activated_by"


def passed_second_factor(request: HttpRequest) -> bool:
    """The signed-in user gave an authenticator's code in this session: at sign-in or
    re-authentication (allauth records each step), or by setting the authenticator up."""
    user = request.user
    records = get_authentication_records(request, user)  # type: ignore[arg-type]
    if any(record.get("method") == "mfa" for record in records):
        return True
    return request.session.get(TOTP_ACTIVATED_SESSION_KEY) == str(user.pk)


def remember_activated_authenticator(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """Receiver of allauth's `authenticator_added`: activating TOTP takes its current code."""
    if request is not None and getattr(request, "user", None) == user:
        request.session[TOTP_ACTIVATED_SESSION_KEY] = str(user.pk)


class RequireMFAMiddleware:
    """Staff, owners and finance members set up TOTP before anything else, and staff use it.

    Every page except two-factor setup, re-authentication, sign-out, static and media files
    redirects to the TOTP setup page; htmx requests are told to navigate there and API calls
    answer 403. A staff session that did not pass the second factor (made before this rule, or
    by any way in other than the site's sign-in) is signed out and sent to sign in again.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The viewer (resolved once per request, and reused by the page) has the memberships.
        viewer = getattr(request, "viewer", None)
        if (
            is_staff(request.user)
            and not request.path_info.startswith((settings.STATIC_URL, "/health/"))
            and has_totp(request.user)
            and not passed_second_factor(request)
        ):
            return self._sign_in_again(request)
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
    def _sign_in_again(request: HttpRequest) -> HttpResponse:
        logout(request)
        login = f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: request.path_info})}"
        text = "Sign in again with your authenticator app's code to continue."
        if request.path_info.startswith("/api/"):
            return JsonResponse({"detail": text}, status=401)
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login
            return response
        messages.info(request, text)
        return redirect(login)

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
        if request.method == "GET":
            request.session[AFTER_SETUP_SESSION_KEY] = request.get_full_path()
        messages.warning(request, text)
        return redirect(setup)


class StaffAdminSite(admin.AdminSite):
    """The Django admin, signed into only through the site's sign-in (password, the
    authenticator's code, django-axes) and only by staff whose session passed that code."""

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and passed_second_factor(request)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """No password form of its own: staff go to the site's sign-in, others get a 404."""
        if request.user.is_authenticated:
            if self.has_permission(request):
                return redirect(self._next(request))
            raise Http404
        return redirect(
            f"{reverse('account_login')}?{urlencode({REDIRECT_FIELD_NAME: self._next(request)})}"
        )

    def _next(self, request: HttpRequest) -> str:
        target = request.GET.get(REDIRECT_FIELD_NAME, "")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return target
        return reverse("admin:index", current_app=self.name)
