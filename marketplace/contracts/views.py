"""Contract pages: reached only through the viewer's scoped licence (404 for anyone else)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from marketplace.accounts.tenancy import TenantRequest
from marketplace.core.errors import DomainError
from marketplace.licensing.models import Licence
from marketplace.licensing.services import RequestContext

from . import selectors, services
from .forms import DeclineForm, SignForm
from .models import Contract


def _licence_or_404(request: TenantRequest, reference: str) -> Licence:
    try:
        return selectors.licence_for_contract(request.viewer, reference)
    except Licence.DoesNotExist as exc:
        raise Http404 from exc


def _contract_or_404(licence: Licence, contract_reference: str) -> Contract:
    try:
        return selectors.contract_of(licence, contract_reference)
    except Contract.DoesNotExist as exc:
        raise Http404 from exc


@require_GET
@login_required
def panel(request: TenantRequest, reference: str) -> HttpResponse:
    """htmx: the contract panel, polled while the contract is in progress."""
    licence = _licence_or_404(request, reference)
    panel = selectors.contract_panel(request.viewer, licence)
    response = render(request, "contracts/_panel.html", {"panel": panel})
    seen = request.GET.get("seen", "")
    if seen and seen != panel.state and panel.state in {"executed", "void"}:
        # The licence moved on (status, timeline, actions): refresh the whole page once.
        response["HX-Refresh"] = "true"
    return response


@login_required
def sign(request: TenantRequest, reference: str) -> HttpResponse:
    licence = _licence_or_404(request, reference)
    panel = selectors.contract_panel(request.viewer, licence)
    contract = panel.contract
    if panel.state == "failed":
        messages.error(request, "The contract could not be generated; we have been notified.")
        return redirect("licensing:detail", reference=reference)
    if contract is None or not contract.document_sha256:
        messages.info(request, "The contract is still being prepared.")
        return redirect("licensing:detail", reference=reference)
    form = SignForm(request.POST or None, initial={"document_sha256": contract.document_sha256})
    if panel.can_sign and panel.next_role:
        expected = services.expected_name(licence, panel.next_role, request.user)
        form.fields["typed_name"].help_text = f"As on your account: {expected}"
    if request.method == "POST" and form.is_valid():
        try:
            services.sign_contract(
                contract_id=contract.pk,
                user=request.user,
                membership=request.viewer.membership,
                typed_name=form.cleaned_data["typed_name"],
                document_sha256=form.cleaned_data["document_sha256"],
                context=RequestContext.of(request),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "Signed. The other parties are told.")
            return redirect("licensing:detail", reference=reference)
    return render(
        request,
        "contracts/sign.html",
        {
            "licence": licence,
            "panel": panel,
            "contract": contract,
            "form": form,
            "decline_form": DeclineForm(),
        },
    )


@require_POST
@login_required
def decline(request: TenantRequest, reference: str) -> HttpResponse:
    licence = _licence_or_404(request, reference)
    contract = selectors.current_contract(licence)
    if contract is None:
        raise Http404
    form = DeclineForm(request.POST)
    form.is_valid()
    try:
        services.decline_contract(
            contract_id=contract.pk,
            user=request.user,
            membership=request.viewer.membership,
            reason=form.cleaned_data.get("reason", ""),
            context=RequestContext.of(request),
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("contracts:sign", reference=reference)
    messages.success(request, "You declined to sign. The licence goes back to the agency.")
    return redirect("licensing:detail", reference=reference)


@require_POST
@login_required
def retry(request: TenantRequest, reference: str) -> HttpResponse:
    """Render a contract that could not be generated again (brand or agency managers, staff)."""
    licence = _licence_or_404(request, reference)
    try:
        services.retry_contract_generation(licence_id=licence.pk, by=request.viewer)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The contract is being generated again.")
    return redirect("licensing:detail", reference=reference)


def _pdf_response(field, filename: str, *, download: bool) -> FileResponse:
    try:
        handle = field.open("rb")
    except (OSError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle, content_type="application/pdf", as_attachment=download, filename=filename
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@login_required
@xframe_options_sameorigin
def document(request: TenantRequest, reference: str, contract_reference: str) -> FileResponse:
    """The contract as generated: shown in the signing page's frame, or downloaded."""
    contract = _contract_or_404(_licence_or_404(request, reference), contract_reference)
    if not contract.document:
        raise Http404
    return _pdf_response(
        contract.document, f"{contract.reference}.pdf", download="download" in request.GET
    )


@require_GET
@login_required
@xframe_options_sameorigin
def executed_document(
    request: TenantRequest, reference: str, contract_reference: str
) -> FileResponse:
    """The executed copy, sealed by the platform."""
    contract = _contract_or_404(_licence_or_404(request, reference), contract_reference)
    if not contract.executed_document:
        raise Http404
    return _pdf_response(
        contract.executed_document,
        f"{contract.reference}-executed.pdf",
        download="download" in request.GET,
    )
