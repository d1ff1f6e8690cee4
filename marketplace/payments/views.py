from __future__ import annotations

import uuid
from typing import Any

import stripe
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from marketplace.accounts.tenancy import TenantRequest, brand_required
from marketplace.core.errors import DomainError
from marketplace.licensing import selectors as licensing_selectors
from marketplace.licensing.models import Licence

from . import selectors, services
from .forms import UsageForm
from .models import Charge


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
        charge = services.start_licence_checkout(
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
    charge = Charge.objects.filter(brand=request.viewer.org, checkout_session_id=session_id).first()
    if charge is None:
        raise Http404
    services.complete_checkout(session_id=session_id)
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
        },
    )


@require_POST
@brand_required
def pay_usage(request: TenantRequest) -> HttpResponse:
    viewer = request.viewer
    if viewer.member.role not in {"owner", "manager", "finance"}:
        messages.error(request, "Only owners, managers and finance can pay.")
        return redirect("payments:brand_billing")
    charge = services.bill_usage(brand=viewer.org, currency=request.POST.get("currency", ""))
    if charge is None:
        messages.info(request, "Nothing to pay in that currency.")
        return redirect("payments:brand_billing")
    return redirect(charge.checkout_url)


@brand_required
def report_usage(request: TenantRequest, reference: str) -> HttpResponse:
    licence = _licence_or_404(request, reference)
    form = UsageForm(
        request.POST or None,
        request.FILES or None,
        licence=licence,
        initial={"idempotency_key": uuid.uuid4().hex},
    )
    if request.method == "POST" and form.is_valid():
        try:
            _, created = services.record_usage(
                by=request.viewer.member, reference=licence.reference, data=form.usage()
            )
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
        {"licence": licence, "form": form, "uses": selectors.licence_uses(licence)[:200]},
        status=400 if form.errors else 200,
    )


@login_required
def payouts(request: TenantRequest) -> HttpResponse:
    """Talent and agencies connect their Stripe account and see their payouts."""
    viewer = request.viewer
    owner: dict[str, Any]
    if viewer.is_talent:
        owner = {"talent": viewer.own_talent}
    elif viewer.is_agency:
        owner = {"organisation": viewer.org}
    else:
        raise Http404
    account = selectors.connected_account_for(**owner)
    if account and request.GET.get("refresh") is None and not account.ready:
        account = services.sync_account(stripe_id=account.stripe_id)
    return render(
        request,
        "payments/payouts.html",
        {"account": account, "payouts": selectors.payouts_for(account)[:50]},
    )


@require_POST
@login_required
def connect_payouts(request: TenantRequest) -> HttpResponse:
    viewer = request.viewer
    if viewer.is_talent:
        account = services.ensure_connected_account(talent=viewer.own_talent)
    elif viewer.is_agency and viewer.member.role in {"owner", "finance"}:
        account = services.ensure_connected_account(organisation=viewer.org)
    else:
        raise Http404
    return redirect(
        services.onboarding_link(account=account, return_path=reverse("payments:payouts"))
    )


@login_required
def stripe_dashboard(request: TenantRequest) -> HttpResponse:
    viewer = request.viewer
    owner: dict[str, Any]
    if viewer.is_talent:
        owner = {"talent": viewer.own_talent}
    elif viewer.is_agency:
        owner = {"organisation": viewer.org}
    else:
        raise Http404
    account = selectors.connected_account_for(**owner)
    if account is None:
        raise Http404
    return redirect(services.dashboard_link(account=account))


@csrf_exempt
@require_POST
def stripe_webhook(request: TenantRequest) -> HttpResponse:
    try:
        services.receive_webhook(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except (ValueError, stripe.SignatureVerificationError):
        return HttpResponseBadRequest("invalid signature")
    except RecursionError:
        # Signed, but nested too deeply for the decoder.
        return HttpResponseBadRequest("malformed payload")
    return HttpResponse(status=200)
