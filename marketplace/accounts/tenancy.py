"""Who is looking: the signed-in user, their active organisation membership, or their talent
profile. Views ask the viewer, never the raw user, so scoping fails closed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject

from .models import Membership, Organisation

if TYPE_CHECKING:
    from marketplace.talent.models import Talent

SESSION_ORG_KEY = "likeness_org_id"


@dataclass
class Viewer:
    user: Any
    membership: Membership | None
    # All of the user's memberships, the active one among them (empty for an API key's
    # viewer, which acts for its organisation only).
    memberships: list[Membership] = field(default_factory=list)

    @property
    def is_authenticated(self) -> bool:
        return bool(self.user and self.user.is_authenticated)

    @property
    def organisation(self) -> Organisation | None:
        return self.membership.organisation if self.membership else None

    @property
    def is_agency(self) -> bool:
        return self.membership is not None and self.membership.organisation.is_agency

    @property
    def is_brand(self) -> bool:
        return self.membership is not None and self.membership.organisation.is_brand

    @cached_property
    def talent(self) -> Talent | None:
        if not self.is_authenticated:
            return None
        # Through the user's reverse relation: accounts sits below talent and imports none of it.
        user = (
            get_user_model()
            .objects.select_related("talent_profile__agency")
            .filter(pk=self.user.pk)
            .first()
        )
        return getattr(user, "talent_profile", None)

    @property
    def is_talent(self) -> bool:
        return self.talent is not None

    @cached_property
    def is_crew(self) -> bool:
        """Holds a crew profile at some agency (read through the user's reverse relation)."""
        if not self.is_authenticated:
            return False
        return bool(self.user.crew_profiles.exists())

    @property
    def can_manage(self) -> bool:
        return self.membership is not None and self.membership.can_manage

    # Non-optional accessors for views behind the decorators below. Reached without the
    # matching decorator they fail closed with a 404 instead of acting on None.
    @property
    def member(self) -> Membership:
        if self.membership is None:
            raise Http404
        return self.membership

    @property
    def org(self) -> Organisation:
        return self.member.organisation

    @property
    def own_talent(self) -> Talent:
        if self.talent is None:
            raise Http404
        return self.talent


def resolve_viewer(request: HttpRequest) -> Viewer:
    user = request.user
    if not user.is_authenticated:
        return Viewer(user=user, membership=None)
    # One query for all of them (a person belongs to few organisations): the active one is
    # picked here, and the two-factor rule reads their roles without asking again.
    # The same query says whether a member also has a talent profile (a model may join a
    # team): the header asks on every page.
    memberships = list(
        Membership.objects.filter(user=user)
        .select_related("organisation", "user__talent_profile__agency")
        .order_by("created_at", "id")
    )
    wanted = request.session.get(SESSION_ORG_KEY)
    membership = next((m for m in memberships if m.organisation_id == wanted), None)
    if membership is None and memberships:
        membership = memberships[0]
    viewer = Viewer(user=user, membership=membership, memberships=memberships)
    if memberships:
        joined = memberships[0].user
        viewer.__dict__["talent"] = getattr(joined, "talent_profile", None)
    return viewer


class ViewerMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.viewer = SimpleLazyObject(lambda: resolve_viewer(request))  # type: ignore[attr-defined]
        return self.get_response(request)


def _require(check: Callable[[Viewer], bool], *, manage: bool = False):
    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            viewer: Viewer = request.viewer  # type: ignore[attr-defined]
            if not viewer.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(viewer):
                # Not this kind of tenant: the page does not exist for them.
                raise Http404
            if manage and not viewer.can_manage:
                raise PermissionDenied("Only owners and managers can do this.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def agency_required(view=None, *, manage: bool = False):
    decorator = _require(lambda v: v.is_agency, manage=manage)
    return decorator(view) if view else decorator


def brand_required(view=None, *, manage: bool = False):
    decorator = _require(lambda v: v.is_brand, manage=manage)
    return decorator(view) if view else decorator


def talent_required(view):
    return _require(lambda v: v.is_talent)(view)


def member_required(view=None, *, manage: bool = False):
    decorator = _require(lambda v: v.membership is not None, manage=manage)
    return decorator(view) if view else decorator


class TenantRequest(HttpRequest):
    """What views receive: an HttpRequest with the viewer set by ViewerMiddleware."""

    viewer: Viewer
