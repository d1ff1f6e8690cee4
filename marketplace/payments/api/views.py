"""Usage reporting over the API: one use, or up to 1,000 in a batch, each through
`record_usage` in its own transaction, exactly as the web form records one."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.core.api.idempotency import header_key, run_idempotent
from marketplace.core.api.pagination import KeysetPagination
from marketplace.core.api.schema import IDEMPOTENCY_PARAMETER
from marketplace.core.api.views import ApiView
from marketplace.core.errors import DomainError
from marketplace.licensing import selectors as licensing_selectors
from marketplace.licensing.models import Licence

from .. import selectors, services
from .serializers import (
    UsageBatchResultSerializer,
    UsageBatchSerializer,
    UsageItemSerializer,
    UsageReportSerializer,
    usage_input,
)


def _brand_licence(view: ApiView, reference: str) -> str:
    """The reference of the brand's own licence. Anyone else's (or a non-brand caller): 404,
    as on the web, before an Idempotency-Key is taken. Only whether it exists is asked:
    `record_usage` loads and locks the licence itself."""
    viewer = view.viewer
    if not viewer.is_brand or not (
        Licence.objects.visible_to(viewer).filter(reference=reference).exists()
    ):
        raise Licence.DoesNotExist
    return reference


class LicenceUseListApi(ApiView):
    """GET: uses reported on a licence (its brand, agency and model). POST: the brand reports
    one use."""

    scopes = {"GET": "licences:read", "POST": "usage:write"}
    error_statuses = (400, 404, 409)
    pagination_class = KeysetPagination

    @extend_schema(responses=UsageReportSerializer(many=True), summary="Uses of a licence")
    def get(self, request: Request, reference: str) -> Response:
        licence = licensing_selectors.licence_for(self.viewer, reference)
        return self.paginated(selectors.licence_uses(licence), UsageReportSerializer)

    @extend_schema(
        request=UsageItemSerializer,
        responses={201: UsageReportSerializer, 200: UsageReportSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Report a use",
        description="201 when recorded, 200 when this use (same `idempotency_key`) was "
        "already recorded. A use outside the licence is refused with the reason.",
    )
    def post(self, request: Request, reference: str) -> Response:
        reference = _brand_licence(self, reference)
        payload = UsageItemSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        default_key = header_key(request) or uuid.uuid4().hex
        by = self.viewer.member

        def execute() -> Response:
            report, created = services.record_usage(
                by=by,
                reference=reference,
                data=usage_input(payload.validated_data, default_key),
            )
            return Response(
                UsageReportSerializer(report).data,
                status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            )

        return run_idempotent(request, organisation=by.organisation, execute=execute)


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
        payload = UsageBatchSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        by = self.viewer.member
        request_key = header_key(request)
        base = request_key or uuid.uuid4().hex

        def execute() -> Response:
            results: list[dict[str, Any]] = []
            counts = {"created": 0, "replayed": 0, "refused": 0}
            for index, item in enumerate(payload.validated_data["uses"]):
                try:
                    report, created = services.record_usage(
                        by=by,
                        reference=reference,
                        data=usage_input(item, f"{base}:{index}"),
                    )
                except DomainError as exc:
                    outcome, use = "refused", None
                    error: dict[str, Any] | None = {
                        "code": exc.code,
                        "message": exc.message,
                        "field": exc.field,
                    }
                else:
                    outcome = "created" if created else "replayed"
                    use, error = UsageReportSerializer(report).data, None
                counts[outcome] += 1
                results.append({"index": index, "outcome": outcome, "use": use, "error": error})
            body = {"licence": reference, "summary": counts, "results": results}
            return Response(UsageBatchResultSerializer(body).data)

        return run_idempotent(request, organisation=by.organisation, execute=execute)
