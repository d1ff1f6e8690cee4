from __future__ import annotations

import uuid
from typing import Any

import stripe
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import FileResponse, Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST, require_safe

from marketplace.accounts.models import Membership, User
from marketplace.accounts.tenancy import TenantRequest, brand_required
from marketplace.core.api.auth import media_viewer
from marketplace.core.errors import DomainError, PermissionDenied
from marketplace.core.storage import picture_response
from marketplace.licensing import selectors as licensing_selectors
from marketplace.licensing import usage_rules
from marketplace.licensing.models import Licence

from . import rules, selectors
from .forms import UsageForm
from .models import USE_PICTURES, Charge, ConnectedAccount, UsageReport
from .services import checkout, onboarding, stripe_events, usage


def _licence_or_404(request: TenantRequest, reference: str) -> Licence:
    try:
        return licensing_selectors.licence_for(request.viewer, reference)
    except Licence.DoesNotExist as exc:
        raise Http404 from exc


@require_POST
@brand_required
def pay_licence(request: TenantRequest, reference: str) -> HttpResponse:
    licence = _licence_or_404(request, reference)
    try:
        charge = checkout.start_licence_checkout(
            by=request.viewer.member, reference=licence.reference
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("licensing:detail", reference=reference)
    if charge.status == Charge.Status.PAID:
        messages.info(request, "This licence is already paid.")
        return redirect("licensing:detail", reference=reference)
    return redirect(charge.checkout_url)


@login_required
def checkout_return(request: TenantRequest) -> HttpResponse:
    """Stripe sends the brand back here; the webhook may not have arrived yet."""
    session_id = request.GET.get("session_id", "")
    if not request.viewer.is_brand:
        raise Http404
    charge = (
        Charge.objects.for_brand(request.viewer.org).filter(checkout_session_id=session_id).first()
    )
    if charge is None:
        raise Http404
    checkout.complete_checkout(session_id=session_id)
    charge.refresh_from_db()
    if charge.status == Charge.Status.PAID:
        messages.success(request, "Payment received. Thank you.")
    else:
        messages.info(request, "We are waiting for Stripe to confirm the payment.")
    if charge.licence:
        return redirect("licensing:detail", reference=charge.licence.reference)
    return redirect("payments:brand_billing")


@brand_required
def brand_billing(request: TenantRequest) -> HttpResponse:
    brand = request.viewer.org
    return render(
        request,
        "payments/brand_billing.html",
        {
            "charges": selectors.brand_charges(brand)[:100],
            "unbilled": selectors.unbilled_usage(brand),
            "can_pay": rules.can_pay(request.viewer.member),
        },
    )


@require_POST
@brand_required
def pay_usage(request: TenantRequest) -> HttpResponse:
    try:
        charge = usage.bill_usage(
            by=request.viewer.member, currency=request.POST.get("currency", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("payments:brand_billing")
    if charge is None:
        messages.info(request, "Nothing to pay in that currency.")
        return redirect("payments:brand_billing")
    return redirect(charge.checkout_url)


@brand_required
def report_usage(request: TenantRequest, reference: str) -> HttpResponse:
    licence = _licence_or_404(request, reference)
    window = usage_rules.report_window(licence, consent_revoked_at=licence.twin.consent_revoked_at)
    form = UsageForm(
        request.POST or None,
        request.FILES or None,
        licence=licence,
        window=window,
        initial={"idempotency_key": uuid.uuid4().hex},
    )
    if request.method == "POST" and form.is_valid():
        try:
            _, created = usage.record_usage(
                by=request.viewer.member, reference=licence.reference, data=form.usage()
            )
        except PermissionDenied as exc:
            raise Forbidden(exc.message) from exc
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request, "Use recorded." if created else "This use was already recorded."
            )
            return redirect("payments:report_usage", reference=reference)
    return render(
        request,
        "payments/usage.html",
        {
            "licence": licence,
            "form": form,
            "uses": selectors.licence_uses(licence)[:200],
            "can_report": rules.can_report_usage(request.viewer.member, licence),
            "window": window,
        },
        status=400 if form.errors else 200,
    )


def _payout_actor(request: TenantRequest) -> Membership | User:
    """Who acts on payouts: a model for herself, else a member for the agency (404 for
    anyone else)."""
    viewer = request.viewer
    if viewer.is_talent:
        return request.user  # type: ignore[return-value]
    if viewer.is_agency:
        return viewer.member
    raise Http404


@login_required
def payouts(request: TenantRequest) -> HttpResponse:
    """Talent and agencies connect their Stripe account and see their payouts."""
    viewer = request.viewer
    owner: dict[str, Any]
    if viewer.is_talent:
        owner, can_manage = {"talent": viewer.own_talent}, True
    elif viewer.is_agency:
        owner, can_manage = {"organisation": viewer.org}, rules.can_manage_payouts(viewer.member)
    else:
        raise Http404
    account = selectors.connected_account_for(**owner)
    if account and request.GET.get("refresh") is None and not account.ready:
        account = onboarding.sync_account(stripe_id=account.stripe_id)
    return render(
        request,
        "payments/payouts.html",
        {
            "account": account,
            "requirements": selectors.account_requirements(account),
            "payouts": selectors.payouts_for(account)[:50],
            "bank_payouts": selectors.bank_payouts_for(account)[:20],
            "can_manage": can_manage,
        },
    )


@require_POST
@login_required
def connect_payouts(request: TenantRequest) -> HttpResponse:
    try:
        link = onboarding.onboarding_link(
            by=_payout_actor(request), return_path=reverse("payments:payouts")
        )
    except PermissionDenied as exc:
        raise Http404 from exc
    return redirect(link)


@login_required
def stripe_dashboard(request: TenantRequest) -> HttpResponse:
    """The payee's Stripe Express dashboard: for those who may set payouts up (404 for the
    rest, as for the page that sets them up)."""
    try:
        link = onboarding.dashboard_link(by=_payout_actor(request))
    except (PermissionDenied, ConnectedAccount.DoesNotExist) as exc:
        raise Http404 from exc
    return redirect(link)


@csrf_exempt
@require_POST
def stripe_webhook(request: TenantRequest) -> HttpResponse:
    try:
        stripe_events.receive_webhook(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except (ValueError, stripe.SignatureVerificationError):
        return HttpResponseBadRequest("invalid signature")
    except RecursionError:
        # Signed, but nested too deeply for the decoder.
        return HttpResponseBadRequest("malformed payload")
    return HttpResponse(status=200)


@require_safe
def use_picture(request: TenantRequest, name: str) -> FileResponse:
    """The picture of a placement, to the parties of its licence (`selectors.use_picture`)."""
    viewer = media_viewer(request)
    try:
        stored = selectors.use_picture(viewer, f"{USE_PICTURES}/{name}")
    except UsageReport.DoesNotExist as exc:
        raise Http404 from exc
    return picture_response(stored, public=False)
