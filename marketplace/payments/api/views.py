"""Usage reporting over the API: one use through `record_usage`, exactly as the web form
records one, or up to 1,000 in a batch through `record_usage_batch`, which decides each use
as `record_usage` does, in one transaction of a few statements. A single use may
carry the picture of the placement (multipart/form-data), checked and re-encoded by the
service as the web form's upload is."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.core.api.idempotency import header_key, run_idempotent
from marketplace.core.api.pagination import KeysetPagination
from marketplace.core.api.parsers import JsonParser
from marketplace.core.api.schema import IDEMPOTENCY_PARAMETER
from marketplace.core.api.views import ApiView
from marketplace.licensing import selectors as licensing_selectors
from marketplace.licensing.models import Licence

from .. import rules, selectors
from ..services import usage
from .serializers import (
    UsageBatchResultSerializer,
    UsageBatchSerializer,
    UsageItemSerializer,
    UsageReportSerializer,
    UsageUploadSerializer,
    usage_input,
)

IMAGE_RULES = (
    f"JPEG, PNG or WebP, at most {settings.IMAGE_MAX_BYTES // (1024 * 1024)} MB and "
    f"{settings.IMAGE_MAX_PIXELS // 1_000_000} megapixels, each side at least "
    f"{settings.IMAGE_MIN_SIDE} pixels"
)


def _brand_licence(view: ApiView, reference: str, *, look_up: bool = True) -> str:
    """The reference of the brand's own licence. Anyone else's (or a non-brand caller): 404,
    as on the web, before an Idempotency-Key is taken. Only whether it exists is asked, and
    only when `look_up`: `record_usage` loads and locks the licence itself, scoped to the
    brand, so with nothing to keep beforehand the service's own look-up answers 404."""
    viewer = view.viewer
    if not viewer.is_brand or (
        look_up and not Licence.objects.visible_to(viewer).filter(reference=reference).exists()
    ):
        raise Licence.DoesNotExist
    return reference


def _use_payload(request: Request) -> UsageItemSerializer:
    """The validated use: JSON, or multipart/form-data when a picture comes with it."""
    if request.content_type.startswith("multipart/"):
        return UsageUploadSerializer(data=request.data)
    if isinstance(request.data, dict) and "image" in request.data:
        # Never silently dropped: a client that sent a picture must learn it was not kept.
        raise serializers.ValidationError(
            {"image": ["Send the picture as a file in a multipart/form-data request."]}
        )
    return UsageItemSerializer(data=request.data)


class LicenceUseListApi(ApiView):
    """GET: uses reported on a licence (its brand, agency and model). POST: the brand reports
    one use, with or without the picture of the placement."""

    scopes = {"GET": "licences:read", "POST": "usage:write"}
    error_statuses = (400, 404, 409)
    pagination_class = KeysetPagination
    parser_classes = [JsonParser, MultiPartParser]

    @extend_schema(responses=UsageReportSerializer(many=True), summary="Uses of a licence")
    def get(self, request: Request, reference: str) -> Response:
        licence = licensing_selectors.licence_for(self.viewer, reference)
        uses = selectors.licence_uses(licence).prefetch_related("credentialed_images")
        return self.paginated(uses, UsageReportSerializer)

    @extend_schema(
        request={
            "application/json": UsageItemSerializer,
            "multipart/form-data": UsageUploadSerializer,
        },
        responses={201: UsageReportSerializer, 200: UsageReportSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Report a use",
        description="201 when recorded, 200 when this use (same `idempotency_key`) was "
        "already recorded. A use outside the licence is refused with the reason.\n\n"
        "To attach the picture of the placement, send the same fields as "
        f"`multipart/form-data` with the file in `image` ({IMAGE_RULES}). It is checked by "
        "decoding it and kept re-encoded, without "
        "metadata; anything else is refused (400, `invalid`, field `image`) and nothing is "
        "recorded.",
    )
    def post(self, request: Request, reference: str) -> Response:
        reference = _brand_licence(self, reference, look_up=header_key(request) is not None)
        payload = _use_payload(request)
        payload.is_valid(raise_exception=True)
        default_key = header_key(request) or uuid.uuid4().hex
        by = self.viewer.member

        def execute() -> Response:
            report, created = usage.record_usage(
                by=by,
                reference=reference,
                data=usage_input(payload.validated_data, default_key),
            )
            return Response(
                UsageReportSerializer(report, context={"request": request}).data,
                status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            )

        return run_idempotent(
            request,
            organisation=by.organisation,
            authorise=lambda: rules.require_report_usage(by),
            execute=execute,
        )


class LicenceUseBatchApi(ApiView):
    scopes = {"POST": "usage:write"}
    error_statuses = (400, 404, 409)

    @extend_schema(
        request=UsageBatchSerializer,
        responses=UsageBatchResultSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Report up to 1,000 uses",
        description="Each use is recorded on its own: the response says, per item, whether "
        "it was created, replayed (already recorded under its key) or refused, with the "
        "code and reason. A malformed item rejects the whole batch (400) before anything "
        "is recorded. With an Idempotency-Key the whole response is replayed on retry.",
    )
    def post(self, request: Request, reference: str) -> Response:
        reference = _brand_licence(self, reference)
        by = self.viewer.member
        # The rule record_usage applies to each use, asked once: a member who may not commit
        # the brand to fees is refused the whole batch (403), not each use in it.
        rules.require_report_usage(by)
        payload = UsageBatchSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        request_key = header_key(request)
        base = request_key or uuid.uuid4().hex

        def execute() -> Response:
            outcomes = usage.record_usage_batch(
                by=by,
                reference=reference,
                uses=[
                    usage_input(item, f"{base}:{index}")
                    for index, item in enumerate(payload.validated_data["uses"])
                ],
            )
            results: list[dict[str, Any]] = []
            counts = {"created": 0, "replayed": 0, "refused": 0}
            for index, outcome in enumerate(outcomes):
                exc = outcome.error
                counts[outcome.outcome] += 1
                results.append(
                    {
                        "index": index,
                        "outcome": outcome.outcome,
                        "use": UsageReportSerializer(
                            outcome.report, context={"request": request}
                        ).data
                        if outcome.report is not None
                        else None,
                        "error": {"code": exc.code, "message": exc.message, "field": exc.field}
                        if exc is not None
                        else None,
                    }
                )
            # Already serialized item by item: through the result serializer again, each
            # use would lose its licence and picture (read as attributes of a dict).
            return Response({"licence": reference, "summary": counts, "results": results})

        return run_idempotent(
            request,
            organisation=by.organisation,
            authorise=lambda: rules.require_report_usage(by),
            execute=execute,
        )
