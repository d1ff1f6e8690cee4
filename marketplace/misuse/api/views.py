"""Protection over the API: an agency's monitoring tools report where its twins were seen
(multipart, idempotent), and read the sightings and the takedown cases they opened. The same
services and scoping as the protection pages: another agency's twin, sighting or case answers
404, like a missing one; brands see none."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.core.api.idempotency import run_idempotent
from marketplace.core.api.pagination import KeysetPagination
from marketplace.core.api.schema import IDEMPOTENCY_PARAMETER
from marketplace.core.api.views import ApiView
from marketplace.talent.models import Twin

from .. import selectors, services
from .serializers import (
    CaseListQuerySerializer,
    SightingListQuerySerializer,
    SightingSerializer,
    SightingUploadSerializer,
    TakedownCaseSerializer,
    sighting_input,
)

READ, WRITE = "protection:read", "protection:write"


class SightingListApi(ApiView):
    """GET: the sightings of the caller's twins. POST: report one."""

    scopes = {"GET": READ, "POST": WRITE}
    error_statuses = (400, 404)
    pagination_class = KeysetPagination
    parser_classes = [MultiPartParser]

    @extend_schema(
        parameters=[SightingListQuerySerializer],
        responses=SightingSerializer(many=True),
        summary="List sightings",
        description="Where the caller's twins were seen, newest first, with what each was "
        "found to be: inside a licence's terms, outside them, or not licensed at all.",
    )
    def get(self, request: Request) -> Response:
        query = SightingListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        sightings = selectors.sightings_visible_to(
            self.viewer, finding=query.validated_data.get("finding", "")
        )
        return self.paginated(sightings, SightingSerializer)

    @extend_schema(
        request={"multipart/form-data": SightingUploadSerializer},
        responses={201: SightingSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Report a sighting",
        description="Where one of the agency's twins (or the model's own) was seen: a URL, a "
        "screenshot, or both. The sighting is matched against the twin's licensed uses "
        "(by the picture's fingerprint, then the address) and classified; outside a licence "
        "or unlicensed, a takedown case is opened and its notice drafted. Another agency's "
        "twin answers 404 and nothing is stored. Send the same `Idempotency-Key` to retry "
        "without reporting twice.",
    )
    def post(self, request: Request) -> Response:
        viewer = self.viewer
        payload = SightingUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        twin = selectors.twins_to_report(viewer).filter(slug=data["twin"]).first()
        if twin is None:
            raise Twin.DoesNotExist

        def execute() -> Response:
            sighting = services.report_sighting(viewer=viewer, data=sighting_input(twin.pk, data))
            stored = selectors.sightings_visible_to(viewer).get(pk=sighting.pk)
            return Response(SightingSerializer(stored).data, status=status.HTTP_201_CREATED)

        # The twin found among the caller's own is the permission: nobody else gets this far.
        return run_idempotent(
            request, organisation=twin.agency, authorise=lambda: None, execute=execute
        )


class SightingReadApi(ApiView):
    scopes = {"GET": READ}
    error_statuses = (404,)

    @extend_schema(responses=SightingSerializer, summary="A sighting")
    def get(self, request: Request, sighting_id: int) -> Response:
        sighting = selectors.sightings_visible_to(self.viewer).get(pk=sighting_id)
        return Response(SightingSerializer(sighting).data)


class CaseListApi(ApiView):
    scopes = {"GET": READ}
    error_statuses = (400,)
    pagination_class = KeysetPagination

    @extend_schema(
        parameters=[CaseListQuerySerializer],
        responses=TakedownCaseSerializer(many=True),
        summary="List takedown cases",
        description="The takedown cases of the caller's twins, newest first, each with the "
        "sighting that opened it and whether its notice is drafted.",
    )
    def get(self, request: Request) -> Response:
        query = CaseListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        cases = selectors.cases_visible_to(
            self.viewer, status=query.validated_data.get("status", "")
        )
        return self.paginated(cases, TakedownCaseSerializer)


class CaseReadApi(ApiView):
    scopes = {"GET": READ}
    error_statuses = (404,)

    @extend_schema(responses=TakedownCaseSerializer, summary="A takedown case")
    def get(self, request: Request, case_id: int) -> Response:
        case = selectors.cases_visible_to(self.viewer).get(pk=case_id)
        return Response(TakedownCaseSerializer(case).data)
