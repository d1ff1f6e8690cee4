"""Proof pages: the brand submits and resubmits, the model answers on one screen per proof
(side by side with the previous version), everyone party to it reads its history. Thin: the
services decide, the selectors scope."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from marketplace.accounts.tenancy import TenantRequest, brand_required
from marketplace.core.errors import DomainError, PermissionDenied
from marketplace.core.storage import PICTURE_TYPES
from marketplace.licensing.models import Licence
from marketplace.licensing.services import RequestContext
from marketplace.payments import rules

from . import selectors, services
from .forms import DecisionForm, ProofForm
from .models import Proof, ProofVersion, proof_storage


def _fresh_key() -> dict[str, str]:
    return {"idempotency_key": uuid.uuid4().hex}


@login_required
@require_safe
def proof_list(request: TenantRequest) -> HttpResponse:
    """Every proof the viewer is party to: what waits for the model first."""
    viewer = request.viewer
    status = request.GET.get("status", "")
    proofs = selectors.proof_list(viewer, status=status)
    page = Paginator(proofs, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "approvals/proof_list.html",
        {"page": page, "status": status, "statuses": Proof.Status.choices},
    )


def _licence_or_404(request: TenantRequest, reference: str) -> Licence:
    try:
        return selectors.licence_for_proofs(request.viewer, reference)
    except Licence.DoesNotExist as exc:
        raise Http404 from exc


@brand_required
def licence_proofs(request: TenantRequest, reference: str) -> HttpResponse:
    """The brand's proofs under one licence, and the form to submit one."""
    licence = _licence_or_404(request, reference)
    terms = licence.current_terms
    form = ProofForm(request.POST or None, request.FILES or None, terms=terms, initial=_fresh_key())
    if request.method == "POST" and form.is_valid():
        try:
            proof, created = services.submit_proof(
                by=request.viewer.member, reference=licence.reference, data=form.proof()
            )
        except PermissionDenied as exc:
            raise Forbidden(exc.message) from exc
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                "Proof sent to the model." if created else "This proof was already sent.",
            )
            return redirect("approvals:detail", proof.reference)
    proofs = selectors.proof_list(request.viewer, licence=licence.reference)[:100]
    return render(
        request,
        "approvals/licence_proofs.html",
        {
            "licence": licence,
            "terms": terms,
            "form": form,
            "proofs": proofs,
            "can_submit": rules.can_report_usage(request.viewer.member, licence),
        },
        status=400 if form.errors else 200,
    )


def _page_or_404(request: TenantRequest, reference: str) -> selectors.ProofPage:
    try:
        return selectors.proof_page(request.viewer, reference)
    except Proof.DoesNotExist as exc:
        raise Http404 from exc


def _render_detail(
    request: TenantRequest,
    page: selectors.ProofPage,
    *,
    decision_form: DecisionForm | None = None,
    resubmit_form: ProofForm | None = None,
    status: int = 200,
) -> HttpResponse:
    proof = page.proof
    viewer = request.viewer
    can_resubmit = (
        viewer.is_brand
        and proof.status in (Proof.Status.CHANGES_REQUESTED, Proof.Status.LAPSED)
        and rules.can_report_usage(viewer.member, proof.licence)
    )
    if can_resubmit and resubmit_form is None:
        latest = page.latest
        resubmit_form = ProofForm(
            terms=proof.licence.current_terms,
            initial={
                **_fresh_key(),
                "media_type": latest.media_type,
                "territory": latest.territory,
                "publish_on": latest.publish_on,
                "caption": latest.caption,
            },
        )
    return render(
        request,
        "approvals/proof_detail.html",
        {
            "page": page,
            "proof": proof,
            "decision_form": decision_form or DecisionForm(initial={"version": page.latest.number}),
            "resubmit_form": resubmit_form if can_resubmit else None,
        },
        status=status,
    )


@login_required
@require_safe
def proof_detail(request: TenantRequest, reference: str) -> HttpResponse:
    return _render_detail(request, _page_or_404(request, reference))


@login_required
@require_POST
def proof_decide(request: TenantRequest, reference: str) -> HttpResponse:
    """The model (or her agency, where her consent allows it) answers the version shown."""
    viewer = request.viewer
    page = _page_or_404(request, reference)
    if not page.may_answer:
        # A party who does not answer (the brand; the agency without the consent's leave).
        raise Forbidden("Only the model, or her agency where her consent allows it, answers.")
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decide_proof(
                user=request.user,
                proof_reference=reference,
                version=form.cleaned_data["version"],
                decision=form.cleaned_data["decision"],
                note=form.cleaned_data["note"],
                talent=viewer.talent if viewer.membership is None else None,
                member=viewer.membership,
                context=RequestContext.of(request),
            )
        except (Proof.DoesNotExist, Licence.DoesNotExist) as exc:
            raise Http404 from exc
        except PermissionDenied as exc:
            raise Forbidden(exc.message) from exc
        except DomainError as exc:
            form.add_error("note" if exc.field == "note" else None, exc.message)
        else:
            messages.success(request, "Your answer is sent to the brand.")
            return redirect("approvals:detail", reference)
    return _render_detail(request, _page_or_404(request, reference), decision_form=form, status=400)


@brand_required
@require_POST
def proof_resubmit(request: TenantRequest, reference: str) -> HttpResponse:
    page = _page_or_404(request, reference)
    form = ProofForm(request.POST, request.FILES, terms=page.proof.licence.current_terms)
    if form.is_valid():
        try:
            services.resubmit_proof(
                by=request.viewer.member, proof_reference=reference, data=form.proof()
            )
        except PermissionDenied as exc:
            raise Forbidden(exc.message) from exc
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, "New version sent to the model.")
            return redirect("approvals:detail", reference)
    return _render_detail(request, _page_or_404(request, reference), resubmit_form=form, status=400)


@login_required
@require_safe
def proof_picture(request: TenantRequest, reference: str, number: int, kind: str) -> FileResponse:
    """A version's picture (the model; her agency where it answers for her) or watermarked
    preview (every party). Anyone else, or the brand asking for the picture: 404."""
    try:
        name = selectors.proof_picture(request.viewer, reference, number, kind)
    except ProofVersion.DoesNotExist as exc:
        raise Http404 from exc
    content_type = PICTURE_TYPES.get(PurePosixPath(name).suffix.lower())
    if content_type is None:
        raise Http404
    try:
        handle = proof_storage().open(name, "rb")
    except (OSError, ValueError) as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    return response
