"""Agency pages that credit crew on a twin; the crew's own page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from marketplace.accounts.tenancy import TenantRequest, agency_required
from marketplace.core.errors import DomainError
from marketplace.talent import selectors as talent_selectors
from marketplace.talent.models import Twin

from . import selectors, services
from .forms import CreditForm
from .models import Credit, CrewMember


def _twin_or_404(request: TenantRequest, twin_id: int) -> Twin:
    try:
        return talent_selectors.agency_twin(request.viewer.org, twin_id)
    except Twin.DoesNotExist as exc:
        raise Http404 from exc


def _managers_only(request: TenantRequest) -> None:
    # Checked after the object lookup, so a foreign twin is a 404 for every role.
    if not request.viewer.can_manage:
        raise PermissionDenied("Only owners and bookers can change credits.")


def _back_to_credits(twin_id: int) -> HttpResponse:
    return redirect(reverse("talent:twin_manage", args=[twin_id]) + "#credits")


@agency_required
def add_credit(request: TenantRequest, twin_id: int) -> HttpResponse:
    twin = _twin_or_404(request, twin_id)
    _managers_only(request)
    agency = request.viewer.org
    form = CreditForm(request.POST or None, agency=agency)
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data.get("crew_member")
        try:
            credit = services.add_credit(
                by=request.viewer.member,
                twin_id=twin.pk,
                credit=form.credit(),
                crew_member_id=chosen.pk if chosen else None,
                new_person=form.new_person(),
                invite=form.cleaned_data["invite"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            person = credit.crew_member
            invited = chosen is None and form.cleaned_data["invite"]
            note = "; their invitation is on its way" if invited else ""
            messages.success(
                request, f"{person.full_name} credited as {credit.get_role_display()}{note}."
            )
            return _back_to_credits(twin.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "crew/credit_form.html", {"form": form, "twin": twin}, status=status)


@require_POST
@agency_required
def remove_credit(request: TenantRequest, twin_id: int, credit_id: int) -> HttpResponse:
    twin = _twin_or_404(request, twin_id)
    _managers_only(request)
    try:
        credit = services.remove_credit(
            by=request.viewer.member, twin_id=twin.pk, credit_id=credit_id
        )
    except Credit.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(
        request,
        f"{credit.crew_member.full_name} is no longer credited as {credit.get_role_display()}.",
    )
    return _back_to_credits(twin.pk)


@require_POST
@agency_required
def invite(request: TenantRequest, twin_id: int, crew_member_id: int) -> HttpResponse:
    twin = _twin_or_404(request, twin_id)
    _managers_only(request)
    try:
        issued = services.invite_crew(by=request.viewer.member, crew_member_id=crew_member_id)
    except CrewMember.DoesNotExist as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Invitation sent to {issued.invitation.email}.")
    return _back_to_credits(twin.pk)


@require_POST
@agency_required
def cancel_invitation(request: TenantRequest, twin_id: int, crew_member_id: int) -> HttpResponse:
    twin = _twin_or_404(request, twin_id)
    _managers_only(request)
    try:
        cancelled = services.cancel_crew_invitation(
            by=request.viewer.member, crew_member_id=crew_member_id
        )
    except CrewMember.DoesNotExist as exc:
        raise Http404 from exc
    if cancelled:
        messages.success(request, "Invitation cancelled: its link no longer works.")
    else:
        messages.info(request, "There was no invitation waiting.")
    return _back_to_credits(twin.pk)


def home(request: TenantRequest) -> HttpResponse:
    """The crew member's own page: every twin that credits them, at every agency."""
    viewer = request.viewer
    if not viewer.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not viewer.is_crew:
        raise Http404  # not crew: the page does not exist for them
    return render(request, "crew/home.html", {"credits": selectors.crew_home_credits(viewer.user)})
