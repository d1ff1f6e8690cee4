"""Agency pages to list and manage twins; the talent's own pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_POST, require_safe

from marketplace.accounts.tenancy import TenantRequest, agency_required, talent_required
from marketplace.core.api.auth import media_viewer
from marketplace.core.errors import DomainError
from marketplace.core.storage import picture_response
from marketplace.crew import selectors as crew_selectors

from . import selectors, services
from .forms import (
    ImageApprovalForm,
    RateCardForm,
    RestrictionsForm,
    TalentForm,
    TwinForm,
    TwinImageForm,
)
from .models import TWIN_PICTURES, Talent, Twin, TwinImage


def _managers_only(request: TenantRequest) -> None:
    # Checked after the object lookup, so a foreign twin is a 404 for every role.
    if not request.viewer.can_manage:
        raise PermissionDenied("Only owners and bookers can change listings.")


def _processing(twin: Twin) -> bool:
    # While a preview is being prepared the gallery polls for itself (talent/_gallery.html).
    return twin.images.filter(status=TwinImage.Status.PROCESSING).exists()


def _twin_or_404(request: TenantRequest, twin_id: int) -> Twin:
    try:
        return selectors.agency_twin(request.viewer.org, twin_id)
    except Twin.DoesNotExist as exc:
        raise Http404 from exc


@agency_required
def twin_list(request: TenantRequest) -> HttpResponse:
    agency = request.viewer.org
    status = request.GET.get("status", "")
    if status not in {"", *Twin.Status.values}:
        status = ""
    counts = selectors.agency_status_counts(agency)
    return render(
        request,
        "talent/agency_twins.html",
        {
            "twins": selectors.agency_twins(agency, status=status),
            "status": status,
            "tabs": [(value, label, counts.get(value, 0)) for value, label in Twin.Status.choices],
        },
    )


@agency_required(manage=True)
def twin_create(request: TenantRequest) -> HttpResponse:
    agency = request.viewer.org
    form = TwinForm(request.POST or None, agency=agency)
    if request.method == "POST" and form.is_valid():
        try:
            twin = services.create_twin(
                by=request.viewer.member,
                talent_id=form.cleaned_data["talent"].pk,
                details=form.details(),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"{twin.display_name} created. Next: rate card and images.")
            return redirect("talent:twin_rates", twin_id=twin.pk)
    if not Talent.objects.for_agency(agency).exists():
        messages.info(request, "Add the talent this twin depicts first.")
        return redirect("talent:talent_create")
    return render(request, "talent/twin_form.html", {"form": form, "creating": True})


@agency_required
def twin_manage(request: TenantRequest, twin_id: int) -> HttpResponse:
    twin = _twin_or_404(request, twin_id)
    return render(
        request,
        "talent/twin_manage.html",
        {
            "twin": twin,
            "image_form": TwinImageForm(),
            "processing": _processing(twin),
            "blockers": services.publish_blockers(twin),
            "events": selectors.twin_history(twin),
            "credits": crew_selectors.twin_credits(request.viewer.org, twin),
        },
    )


@agency_required
def twin_edit(request: TenantRequest, twin_id: int) -> HttpResponse:
    twin = _twin_or_404(request, twin_id)
    _managers_only(request)
    initial = {
        **{
            f: getattr(twin, f)
            for f in (
                "display_name",
                "description",
                "height_cm",
                "bust_cm",
                "waist_cm",
                "hips_cm",
                "dress_size_eu",
                "shoe_size_eu",
                "hair",
                "eyes",
            )
        },
        "tags": ", ".join(t.name for t in twin.tags.all()),
        "permitted_categories": list(twin.permitted_categories.all()),
    }
    form = TwinForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_twin(by=request.viewer.member, twin_id=twin.pk, details=form.details())
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Saved.")
            return redirect("talent:twin_manage", twin_id=twin.pk)
    return render(request, "talent/twin_form.html", {"form": form, "twin": twin})


@agency_required
def twin_rates(request: TenantRequest, twin_id: int) -> HttpResponse:
    twin = _twin_or_404(request, twin_id)
    _managers_only(request)
    rate_card = getattr(twin, "rate_card", None)
    form = RateCardForm(request.POST or None, currency=twin.currency, rate_card=rate_card)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_rate_card(by=request.viewer.member, twin_id=twin.pk, card=form.card())
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Rate card saved.")
            return redirect("talent:twin_manage", twin_id=twin.pk)
    return render(request, "talent/twin_rates.html", {"form": form, "twin": twin})


@require_POST
@agency_required
def twin_status(request: TenantRequest, twin_id: int) -> HttpResponse:
    twin = _twin_or_404(request, twin_id)
    _managers_only(request)
    try:
        twin = services.change_twin_status(
            by=request.viewer.member, twin_id=twin.pk, action=request.POST.get("action", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{twin.display_name} is now {twin.get_status_display()}.")
    return redirect("talent:twin_manage", twin_id=twin.pk)


@require_POST
@agency_required
def twin_image_add(request: TenantRequest, twin_id: int) -> HttpResponse:
    twin = _twin_or_404(request, twin_id)
    _managers_only(request)
    form = TwinImageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_twin_image(
                by=request.viewer.member,
                twin_id=twin.pk,
                upload=form.cleaned_data["image"],
                alt_text=form.cleaned_data["alt_text"],
            )
        except DomainError as exc:
            form.add_error("image", exc.message)
        else:
            messages.success(request, "Image uploaded; the preview is being prepared.")
            return redirect("talent:twin_manage", twin_id=twin.pk)
    return render(
        request,
        "talent/twin_manage.html",
        {
            "twin": twin,
            "image_form": form,
            "processing": _processing(twin),
            "blockers": services.publish_blockers(twin),
            "events": selectors.twin_history(twin),
            "credits": crew_selectors.twin_credits(request.viewer.org, twin),
        },
        status=400,
    )


@require_POST
@agency_required
def twin_image_action(request: TenantRequest, twin_id: int, image_id: int) -> HttpResponse:
    twin = _twin_or_404(request, twin_id)
    _managers_only(request)
    if not twin.images.filter(pk=image_id).exists():
        raise Http404
    by = request.viewer.member
    if request.POST.get("action") == "cover":
        services.set_cover_image(by=by, twin_id=twin.pk, image_id=image_id)
        messages.success(request, "Cover picture changed.")
    else:
        services.remove_twin_image(by=by, twin_id=twin.pk, image_id=image_id)
        messages.success(request, "Image removed.")
    return redirect("talent:twin_manage", twin_id=twin.pk)


@agency_required
def image_status(request: TenantRequest, twin_id: int) -> HttpResponse:
    """htmx poll target: the gallery, until every image is processed."""
    twin = _twin_or_404(request, twin_id)
    return render(
        request,
        "talent/_gallery.html",
        {"twin": twin, "manage": True, "processing": _processing(twin)},
    )


@agency_required
def roster(request: TenantRequest) -> HttpResponse:
    return render(
        request,
        "talent/roster.html",
        {"roster": selectors.agency_roster(request.viewer.org)},
    )


@agency_required(manage=True)
def talent_create(request: TenantRequest) -> HttpResponse:
    form = TalentForm(request.POST or None, initial={"invite": True})
    if request.method == "POST" and form.is_valid():
        try:
            talent = services.create_talent(
                by=request.viewer.member,
                full_name=form.cleaned_data["full_name"],
                email=form.cleaned_data["email"],
                invite=form.cleaned_data["invite"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"{talent.full_name} added to your roster.")
            return redirect("talent:twin_create")
    return render(request, "talent/talent_form.html", {"form": form})


# --- The talent's own pages -----------------------------------------------------------------


@talent_required
def my_home(request: TenantRequest) -> HttpResponse:
    talent = request.viewer.own_talent
    return render(
        request,
        "talent/my_home.html",
        {
            "talent": talent,
            "twins": selectors.talent_twins(talent),
            "restrictions": talent.restricted_categories.all(),
        },
    )


@talent_required
def my_twin(request: TenantRequest, twin_id: int) -> HttpResponse:
    talent = request.viewer.own_talent
    twin = (
        selectors.talent_twins(talent).prefetch_related("images", "tags").filter(pk=twin_id).first()
    )
    if twin is None:
        raise Http404
    initial = {
        "image_approval": twin.image_approval,
        "approval_hours": twin.approval_hours,
        "agency_may_answer": twin.agency_may_answer,
    }
    form = ImageApprovalForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_image_approval(
                talent=talent,
                twin_id=twin.pk,
                required=form.cleaned_data["image_approval"],
                hours=form.cleaned_data["approval_hours"],
                agency_may_answer=form.cleaned_data["agency_may_answer"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                "Saved. It applies to new licences; licences you already consented to keep "
                "their terms.",
            )
            return redirect("talent:my_twin", twin.pk)
    return render(
        request, "talent/my_twin.html", {"twin": twin, "talent": talent, "approval_form": form}
    )


@talent_required
def my_restrictions(request: TenantRequest) -> HttpResponse:
    talent = request.viewer.own_talent
    form = RestrictionsForm(
        request.POST or None, initial={"categories": list(talent.restricted_categories.all())}
    )
    if request.method == "POST" and form.is_valid():
        services.update_restrictions(talent=talent, categories=form.cleaned_data["categories"])
        messages.success(request, "Your restrictions are saved and apply to every new request.")
        return redirect("talent:my_home")
    return render(request, "talent/my_restrictions.html", {"form": form})


@require_safe
def twin_picture(request: TenantRequest, name: str) -> FileResponse:
    """A twin's picture or thumbnail, to whoever may see it (`selectors.twin_picture`)."""
    # Resolved only if the picture is not public: a bookable twin's costs one query.
    viewer = SimpleLazyObject(lambda: media_viewer(request))
    try:
        picture = selectors.twin_picture(viewer, f"{TWIN_PICTURES}/{name}")
    except TwinImage.DoesNotExist as exc:
        raise Http404 from exc
    return picture_response(picture.name, public=picture.public)
