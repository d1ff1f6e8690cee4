from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from marketplace.accounts.tenancy import (
    TenantRequest,
    agency_required,
    brand_required,
    talent_required,
)
from marketplace.catalogue.selectors import catalogue_twin
from marketplace.core import notify
from marketplace.core.errors import DomainError
from marketplace.talent.models import Twin

from . import quotes, selectors, services, terms
from .forms import ConsentForm, CounterTermsForm, ReasonForm, RevokeForm, TermsForm
from .models import Licence

# The terms that set the price; the others only need to be valid to send the request.
PRICE_FIELDS = ("media_types", "territories", "start_date", "end_date", "exclusive")

TABS = {
    "open": ("Open", Licence.OPEN),
    "active": ("Active", (Licence.Status.ACTIVE,)),
    "ended": (
        "Ended",
        (
            Licence.Status.EXPIRED,
            Licence.Status.TERMINATED,
            Licence.Status.REVOKED,
            Licence.Status.DECLINED,
            Licence.Status.WITHDRAWN,
            Licence.Status.REFUSED,
            Licence.Status.LAPSED,
        ),
    ),
}


def _licence_or_404(request: TenantRequest, reference: str) -> Licence:
    try:
        return selectors.licence_for(request.viewer, reference)
    except Licence.DoesNotExist as exc:
        raise Http404 from exc


def _bookable_twin_or_404(slug: str) -> Twin:
    try:
        return catalogue_twin(slug)
    except Twin.DoesNotExist as exc:
        raise Http404 from exc


def _form_error(form, exc: DomainError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


# --- Brand ----------------------------------------------------------------------------------


@brand_required
def request_licence(request: TenantRequest, slug: str) -> HttpResponse:
    twin = _bookable_twin_or_404(slug)
    form = TermsForm(request.POST or None, twin=twin)
    if request.method == "POST":
        if not request.viewer.can_manage:
            raise PermissionDenied("Only owners and managers can request licences.")
        if form.is_valid():
            try:
                licence = services.request_licence(
                    by=request.viewer.member, twin_id=twin.pk, terms=form.terms()
                )
            except DomainError as exc:
                _form_error(form, exc)
            else:
                if licence.status == Licence.Status.DECLINED:
                    messages.error(request, licence.status_reason)
                else:
                    messages.success(
                        request,
                        f"Request {licence.reference} sent to "
                        f"{twin.agency.name}. The slot is reserved for you "
                        "while they review it.",
                    )
                return redirect("licensing:detail", reference=licence.reference)
    return render(
        request,
        "licensing/request_form.html",
        {"twin": twin, "form": form, "availability": selectors.blind_availability(twin)},
    )


@require_POST
@login_required
def quote(request: TenantRequest, slug: str) -> HttpResponse:
    """htmx: the live quote for the terms typed so far. Writes nothing."""
    viewer = request.viewer
    if not (viewer.is_brand or viewer.is_agency):
        raise Http404
    twin = _bookable_twin_or_404(slug)
    if viewer.is_agency and twin.agency_id != viewer.org.pk:
        raise Http404
    # The agency's page is the counter-offer, whose image-approval term changes the price.
    form = (CounterTermsForm if viewer.is_agency else TermsForm)(request.POST, twin=twin)
    # oob: the errors of fields fixed since the page was sent are cleared beside the quote.
    context: dict[str, object] = {"form": form, "twin": twin, "oob": True}
    valid = form.is_valid()
    # The price shows as soon as the terms that set it are valid; the rest (category, the
    # wording of the intended use, the use cap) is listed apart, by field, until it is too.
    problems: list[tuple[str, str, str]] = [
        (name, str(form[name].label), " ".join(str(e) for e in errors))
        for name, errors in form.errors.items()
        if name not in PRICE_FIELDS and name in form.fields
    ]
    if not any(name in form.errors for name in PRICE_FIELDS):
        d = form.cleaned_data
        try:
            price = terms.price_only(
                twin,
                media_types=list(d["media_types"]),
                territory_codes=list(d["territories"]),
                start=d["start_date"],
                end=d["end_date"],
                exclusive=d["exclusive"],
                image_approval=d.get("image_approval"),
            )
        except DomainError as exc:
            context["error"] = exc.message
        else:
            context["quote"] = price
    if valid and "error" not in context:
        try:
            preview = terms.quote_preview(twin=twin, terms=form.terms(), viewer=viewer.org)
        except DomainError as exc:
            if exc.field in PRICE_FIELDS:
                context.pop("quote", None)
                context["error"] = exc.message
            else:
                name = exc.field if exc.field in form.fields else ""
                label = str(form[name].label) if name else "Terms"
                problems.append((name, label, exc.message))
        else:
            context.update(
                quote=preview.quote,
                checked=preview.checked,
                conflict=preview.conflict,
                public_only=viewer.is_brand,
            )
    context["problems"] = [(label, message) for _, label, message in problems]
    still_wrong = {name for name, _, _ in problems} | set(form.errors)
    if context.get("conflict"):  # the slot is taken: the scope's errors still stand
        still_wrong |= {*PRICE_FIELDS, "category"}
    context["still_wrong"] = still_wrong
    context["missing_price_fields"] = [
        form[name].label for name in PRICE_FIELDS if name in form.errors
    ]
    return render(request, "licensing/_quote.html", context)


@brand_required
def brand_withdraw(request: TenantRequest, reference: str) -> HttpResponse:
    return _transition(
        request,
        reference,
        lambda lic, by, data: services.withdraw_licence(
            by=by, reference=lic.reference, reason=data.get("reason", "")
        ),
        "Request withdrawn.",
    )


@brand_required
def accept_counter(request: TenantRequest, reference: str) -> HttpResponse:
    return _transition(
        request,
        reference,
        lambda lic, by, data: services.accept_counter(by=by, reference=lic.reference),
        "Counter-offer accepted; the model is asked to consent.",
    )


@brand_required
def decline_counter(request: TenantRequest, reference: str) -> HttpResponse:
    return _transition(
        request,
        reference,
        lambda lic, by, data: services.decline_counter(
            by=by, reference=lic.reference, reason=data.get("reason", "")
        ),
        "Counter-offer declined.",
    )


# --- Agency ---------------------------------------------------------------------------------


@agency_required
def agency_inbox(request: TenantRequest) -> HttpResponse:
    return render(
        request,
        "licensing/agency_inbox.html",
        {"licences": selectors.agency_inbox(request.viewer.org)},
    )


@agency_required
def approve(request: TenantRequest, reference: str) -> HttpResponse:
    return _transition(
        request,
        reference,
        lambda lic, by, data: services.approve_licence(by=by, reference=lic.reference),
        "Approved. The model is asked to consent.",
    )


@agency_required
def decline(request: TenantRequest, reference: str) -> HttpResponse:
    return _transition(
        request,
        reference,
        lambda lic, by, data: services.decline_licence(
            by=by, reference=lic.reference, reason=data.get("reason", "")
        ),
        "Request declined.",
    )


@agency_required
def counter(request: TenantRequest, reference: str) -> HttpResponse:
    licence = _licence_or_404(request, reference)
    if not request.viewer.can_manage:
        raise PermissionDenied
    twin = (
        Twin.objects.for_agency(request.viewer.org)
        .select_related("rate_card", "talent")
        .get(pk=licence.twin_id)
    )
    form = CounterTermsForm(
        request.POST or None, twin=twin, initial=CounterTermsForm.initial_from(licence.terms)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.counter_licence(
                by=request.viewer.member, reference=reference, terms=form.terms()
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Counter-offer sent to the brand.")
            return redirect("licensing:detail", reference=reference)
    return render(
        request, "licensing/counter_form.html", {"licence": licence, "twin": twin, "form": form}
    )


# --- Talent ---------------------------------------------------------------------------------


@talent_required
def consent_inbox(request: TenantRequest) -> HttpResponse:
    return render(
        request,
        "licensing/consent_inbox.html",
        {"licences": selectors.consent_inbox(request.viewer.own_talent)},
    )


@talent_required
def consent(request: TenantRequest, reference: str) -> HttpResponse:
    licence = _licence_or_404(request, reference)
    talent = request.viewer.own_talent
    form = ConsentForm(
        request.POST or None, initial={"terms_hash": licence.current_terms.terms_hash}
    )
    refuse_form = ReasonForm()
    if request.method == "POST" and form.is_valid():
        try:
            services.give_consent(
                talent=talent,
                user=request.user,
                reference=reference,
                typed_name=form.cleaned_data["typed_name"],
                terms_hash=form.cleaned_data["terms_hash"],
                context=services.RequestContext.of(request),
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request, "Thank you. Your consent is recorded; the contract is prepared next."
            )
            return redirect("licensing:detail", reference=reference)
    return render(
        request,
        "licensing/consent.html",
        {
            "licence": licence,
            "form": form,
            "refuse_form": refuse_form,
            "statement": services.consent_statement(licence),
            "pay": quotes.talent_pay(licence.current_terms.quote),
        },
    )


@require_POST
@talent_required
def refuse(request: TenantRequest, reference: str) -> HttpResponse:
    licence = _licence_or_404(request, reference)
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        services.refuse_consent(
            talent=request.viewer.own_talent,
            user=request.user,
            reference=licence.reference,
            reason=form.cleaned_data.get("reason", ""),
            context=services.RequestContext.of(request),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "You refused this licence. The brand and agency are told.")
    return redirect("licensing:detail", reference=reference)


@talent_required
def revoke(request: TenantRequest, twin_id: int) -> HttpResponse:
    talent = request.viewer.own_talent
    twin = Twin.objects.for_talent(talent).filter(pk=twin_id).first()
    if twin is None:
        raise Http404
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.revoke_twin_consent(
                talent=talent,
                user=request.user,
                twin_id=twin.pk,
                reason=form.cleaned_data["reason"],
                context=services.RequestContext.of(request),
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request,
                "Consent revoked. Your twin is out of the catalogue; "
                "brands and your agency are told.",
            )
            return redirect("talent:my_home")
    today = timezone.localdate()
    active = [
        (licence, services.revocation_end(licence, today=today))
        for licence in twin.licences.filter(status=Licence.Status.ACTIVE).select_related(
            "terms", "brand"
        )
    ]
    return render(request, "licensing/revoke.html", {"twin": twin, "form": form, "active": active})


# --- Every party ----------------------------------------------------------------------------


@login_required
def licence_list(request: TenantRequest) -> HttpResponse:
    viewer = request.viewer
    if not (viewer.is_brand or viewer.is_agency or viewer.is_talent):
        raise Http404
    tab = request.GET.get("tab", "open")
    _, statuses = TABS.get(tab, TABS["open"])
    return render(
        request,
        "licensing/licence_list.html",
        {
            "licences": selectors.licences_for(viewer, statuses=statuses)[:200],
            "tab": tab if tab in TABS else "open",
            "tabs": [(key, value[0]) for key, value in TABS.items()],
        },
    )


@login_required
def licence_detail(request: TenantRequest, reference: str) -> HttpResponse:
    licence = _licence_or_404(request, reference)
    viewer = request.viewer
    notify.mark_opened(request.user, request.path)
    context: dict[str, object] = {
        "licence": licence,
        "terms": licence.terms,
        "versions": licence.versions.select_related("category"),
        "timeline": selectors.licence_history(licence),
        "consent": services.valid_consent(licence),
        "reason_form": ReasonForm(),
        "can_withdraw": viewer.is_brand and services.can_withdraw(licence),
    }
    if viewer.is_agency and licence.status == Licence.Status.REQUESTED:
        context["conflicts"] = selectors.conflicts_for_review(licence)
    return render(request, "licensing/licence_detail.html", context)


def _transition(request: TenantRequest, reference: str, action, done: str) -> HttpResponse:
    if request.method != "POST":
        return redirect("licensing:detail", reference=reference)
    licence = _licence_or_404(request, reference)
    if not request.viewer.can_manage:
        raise PermissionDenied
    form = ReasonForm(request.POST)
    form.is_valid()
    try:
        action(licence, request.viewer.member, form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("licensing:detail", reference=reference)
