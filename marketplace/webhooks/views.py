from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from marketplace.accounts.tenancy import TenantRequest, brand_required
from marketplace.core.errors import DomainError

from . import services
from .forms import EndpointForm
from .models import BrandWebhookEndpoint, WebhookDelivery


@brand_required(manage=True)
def endpoints(request: TenantRequest) -> HttpResponse:
    """A brand's webhook endpoints; a new endpoint's secret is shown once."""
    brand = request.viewer.org
    form = EndpointForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.create_endpoint(
                by=request.viewer.member,
                url=form.cleaned_data["url"],
                description=form.cleaned_data["description"],
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            form = EndpointForm()
    response = render(
        request,
        "webhooks/endpoints.html",
        {
            "endpoints": BrandWebhookEndpoint.objects.for_brand(brand).order_by("-created_at"),
            "deliveries": WebhookDelivery.objects.for_brand(brand)
            .select_related("endpoint")
            .order_by("-created_at", "-id")[:25],
            "form": form,
            "issued": issued,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@brand_required(manage=True)
def disable(request: TenantRequest, endpoint_id: int) -> HttpResponse:
    try:
        services.disable_endpoint(by=request.viewer.member, endpoint_id=endpoint_id)
    except BrandWebhookEndpoint.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(request, "Endpoint disabled.")
    return redirect("webhooks:endpoints")
