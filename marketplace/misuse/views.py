"""The model's and her agency's protection pages: refused uses, sightings and takedown cases.
A brand, an anonymous visitor or anyone else's model or agency gets 404 for every object."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from marketplace.accounts.tenancy import TenantRequest
from marketplace.core import notify
from marketplace.core.errors import DomainError, PermissionDenied
from marketplace.core.storage import picture_response
from marketplace.talent.models import Twin

from . import selectors, services
from .forms import MoveCaseForm, SightingForm
from .models import Sighting, TakedownCase

R = TypeVar("R", bound=HttpResponseBase)

ACTION_LABELS: dict[str, str] = {
    TakedownCase.Status.NOTICE_SENT: "Mark the notice sent",
    TakedownCase.Status.REMOVED: "Mark removed",
    TakedownCase.Status.LICENSED: "Licensed after all",
    TakedownCase.Status.DISMISSED: "Dismiss",
}


def protection_required(view: Callable[..., R]) -> Callable[..., R | HttpResponse]:
    """Signed in, as a model or a member of an agency; for anyone else the page is not there."""

    @wraps(view)
    def wrapper(request: TenantRequest, *args: Any, **kwargs: Any) -> R | HttpResponse:
        viewer = request.viewer
        if not viewer.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not (viewer.is_agency or viewer.is_talent):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


@require_safe
@protection_required
def protection(request: TenantRequest) -> HttpResponse:
    viewer = request.viewer
    cases = list(selectors.cases_visible_to(viewer)[:100])
    return render(
        request,
        "misuse/protection.html",
        {
            "open_cases": [c for c in cases if not c.is_closed],
            "closed_cases": [c for c in cases if c.is_closed],
            "sightings": selectors.sightings_visible_to(viewer)[:50],
            "refusals": selectors.refused_uses(viewer)[:50],
            "can_report": selectors.twins_to_report(viewer).exists(),
        },
    )


@protection_required
def report_sighting(request: TenantRequest) -> HttpResponse:
    twins = selectors.twins_to_report(request.viewer)
    form = SightingForm(request.POST or None, request.FILES or None, twins=twins)
    if request.method == "POST" and form.is_valid():
        try:
            sighting = services.report_sighting(viewer=request.viewer, data=form.sighting())
        except Twin.DoesNotExist as exc:
            raise Http404 from exc
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            case = getattr(sighting, "case", None)
            if case is not None:
                messages.success(request, "Reported. We opened a takedown case.")
                return redirect("misuse:case", case_id=case.pk)
            messages.success(request, "Reported.")
            return redirect("misuse:sighting", sighting_id=sighting.pk)
    return render(
        request,
        "misuse/report.html",
        {"form": form, "has_twins": twins.exists()},
        status=400 if form.errors else 200,
    )


def _sighting_or_404(request: TenantRequest, sighting_id: int) -> Sighting:
    try:
        return selectors.sightings_visible_to(request.viewer).get(pk=sighting_id)
    except Sighting.DoesNotExist as exc:
        raise Http404 from exc


def _case_or_404(request: TenantRequest, case_id: int) -> TakedownCase:
    try:
        return selectors.cases_visible_to(request.viewer).get(pk=case_id)
    except TakedownCase.DoesNotExist as exc:
        raise Http404 from exc


@require_safe
@protection_required
def sighting_detail(request: TenantRequest, sighting_id: int) -> HttpResponse:
    sighting = _sighting_or_404(request, sighting_id)
    case = getattr(sighting, "case", None)
    if case is not None:
        return redirect("misuse:case", case_id=case.pk)
    return render(request, "misuse/sighting.html", {"sighting": sighting})


@require_safe
@protection_required
def sighting_screenshot(request: TenantRequest, sighting_id: int) -> FileResponse:
    sighting = _sighting_or_404(request, sighting_id)
    if not sighting.screenshot:
        raise Http404
    return picture_response(sighting.screenshot.name, public=False)


@require_safe
@protection_required
def case_detail(request: TenantRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)
    notify.mark_opened(request.user, request.path)
    viewer = request.viewer
    can_move = viewer.is_agency and viewer.can_manage
    actions = [
        (to, ACTION_LABELS[to])
        for to in case.next_statuses()
        if to != TakedownCase.Status.NOTICE_SENT or case.notice
    ]
    return render(
        request,
        "misuse/case.html",
        {
            "case": case,
            "sighting": case.sighting,
            "timeline": selectors.case_history(case),
            "actions": actions if can_move else [],
            "form": MoveCaseForm(),
        },
    )


@require_POST
@protection_required
def case_move(request: TenantRequest, case_id: int) -> HttpResponse:
    case = _case_or_404(request, case_id)  # the model's own too: she may look, not act
    viewer = request.viewer
    if not viewer.is_agency:
        raise Forbidden("Her agency moves a case on.")
    form = MoveCaseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what happened, with a note of at most 500 characters.")
        return redirect("misuse:case", case_id=case.pk)
    try:
        services.move_case(
            by=viewer.member,
            case_id=case.pk,
            to=form.cleaned_data["to"],
            note=form.cleaned_data["note"],
        )
    except TakedownCase.DoesNotExist as exc:
        raise Http404 from exc
    except PermissionDenied as exc:
        raise Forbidden(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Case updated.")
    return redirect("misuse:case", case_id=case.pk)


@require_safe
@protection_required
def case_notice(request: TenantRequest, case_id: int) -> FileResponse:
    case = _case_or_404(request, case_id)
    if not case.notice:
        raise Http404
    try:
        handle = case.notice.open("rb")
    except (OSError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        content_type="application/pdf",
        as_attachment=False,
        filename=f"{case.reference}-takedown-notice.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response
