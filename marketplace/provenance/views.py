from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from marketplace.core import notify
from marketplace.core.api.auth import media_viewer
from marketplace.core.errors import DomainError, PermissionDenied
from marketplace.payments import rules
from marketplace.payments.models import UsageReport
from marketplace.payments.services import usage

from . import selectors
from .forms import FinalAssetForm, VerifyForm
from .models import Copy, CredentialedImage
from .ratelimit import allow_check


@require_http_methods(["GET", "HEAD", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Public: anyone uploads a picture and learns whether it is licensed through Likeness."""
    verdict = None
    status = 200
    if request.method == "POST" and not allow_check(request):
        form = VerifyForm()
        verdict = selectors.Verdict(
            outcome=selectors.Outcome.TOO_MANY,
            headline="Too many checks from your address.",
            details=["Please wait a minute, then try again."],
        )
        status = 429
    elif request.method == "POST":
        form = VerifyForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["image"]
            if upload.size > settings.IMAGE_MAX_BYTES:
                # Never read into memory: a file over the limit gets its answer unread.
                verdict = selectors.Verdict(
                    outcome=selectors.Outcome.NOT_AN_IMAGE,
                    headline="This file is too large to check.",
                    details=[
                        f"The limit is {settings.IMAGE_MAX_BYTES // (1024 * 1024)} MB.",
                    ],
                )
            else:
                verdict = selectors.verify_image(upload.read())
            if verdict.outcome == selectors.Outcome.NOT_AN_IMAGE:
                status = 400
        else:
            status = 400
    else:
        form = VerifyForm()
    return render(
        request, "provenance/verify.html", {"form": form, "verdict": verdict}, status=status
    )


@require_safe
def verify_use(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the verify URL written into a credentialed picture's manifest."""
    verdict = selectors.verdict_for_token(token)
    if verdict is None:
        raise Http404
    return render(request, "provenance/verify.html", {"form": VerifyForm(), "verdict": verdict})


@require_safe
def use_credentials(request: HttpRequest, use_id: int) -> HttpResponse:
    """A use's copies (credentialed, labelled) and its disclosure text, to its licence's
    parties; while a worker makes them, a status that refreshes itself (htmx)."""
    try:
        found = selectors.use_credentials(request.viewer, use_id)  # type: ignore[attr-defined]
    except UsageReport.DoesNotExist as exc:
        raise Http404 from exc
    notify.mark_opened(request.user, request.path)
    template = (
        "provenance/_use_credentials.html"
        if request.headers.get("HX-Request")
        else "provenance/use_credentials.html"
    )
    viewer = request.viewer  # type: ignore[attr-defined]
    # The brand's members who report uses may add the final picture of a use without one.
    can_attach = found.state == "none" and rules.can_report_usage(
        viewer.membership, found.use.licence
    )
    return render(
        request,
        template,
        {
            "found": found,
            "use": found.use,
            "image": found.image,
            "can_attach": can_attach,
            "form": FinalAssetForm() if can_attach else None,
        },
    )


@require_safe
def credentialed_download(request: HttpRequest, image_id: int) -> FileResponse:
    """The credentialed copy, to the parties of its licence only (anyone else: 404)."""
    return _download(request, image_id, Copy.CREDENTIALED)


@require_safe
def labelled_download(request: HttpRequest, image_id: int) -> FileResponse:
    """The labelled copy (EU AI Act label drawn on it), to the licence's parties only."""
    return _download(request, image_id, Copy.LABELLED)


def _download(request: HttpRequest, image_id: int, copy: str) -> FileResponse:
    try:
        image = selectors.credentialed_image(media_viewer(request), image_id)
    except CredentialedImage.DoesNotExist as exc:
        raise Http404 from exc
    stored = image.file if copy == Copy.CREDENTIALED else image.labelled_file
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except (OSError, ValueError) as exc:
        raise Http404 from exc
    ext = stored.name.rsplit(".", 1)[-1]
    suffix = "-labelled" if copy == Copy.LABELLED else ""
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{image.use.licence.reference}-use-{image.use_id}{suffix}.{ext}",
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
def attach_final_asset(request: HttpRequest, use_id: int) -> HttpResponse:
    """The brand adds the final picture of one of its uses reported without one; anybody else
    finds no such use (404)."""
    viewer = request.viewer  # type: ignore[attr-defined]
    if (
        not viewer.is_brand
        or not UsageReport.objects.for_brand(viewer.organisation).filter(pk=use_id).exists()
    ):
        raise Http404
    form = FinalAssetForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form.first_error())
        return redirect("provenance:use_credentials", use_id=use_id)
    try:
        usage.attach_final_asset(
            by=viewer.member,
            use_id=use_id,
            image=form.cleaned_data["image"],
            choices=form.copy_choices(),
        )
    except PermissionDenied as exc:
        raise Forbidden(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Picture added. Its credentialed copies are being made.")
    return redirect("provenance:use_credentials", use_id=use_id)
