"""Proofs over the API: the brand submits (multipart, idempotent) and resubmits, every party
lists and reads its proofs with their status, the model (or her agency where her consent
allows it) answers. The same services and scoping as the web pages: another party's proof
or licence answers 404, like a missing one."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.core.api.idempotency import header_key, run_idempotent
from marketplace.core.api.pagination import KeysetPagination
from marketplace.core.api.schema import IDEMPOTENCY_PARAMETER
from marketplace.core.api.views import ApiView
from marketplace.licensing.models import Licence
from marketplace.licensing.services import RequestContext
from marketplace.payments.rules import require_report_usage

from .. import selectors, services
from ..models import Proof
from .serializers import (
    DecisionInputSerializer,
    ProofListQuerySerializer,
    ProofSerializer,
    ProofUploadSerializer,
    proof_input,
)

READ, WRITE = "licences:read", "usage:write"

IMAGE_NOTE = (
    "Send `multipart/form-data` with the picture in `image`. A picture that does not decode "
    "is refused (400, field `image`) and nothing is stored."
)


_listed = selectors.with_decisions


def _proof(view: ApiView, reference: str) -> Proof:
    return _listed(selectors.proof_list(view.viewer)).get(reference=reference)


class LicenceProofListApi(ApiView):
    """GET: the proofs under a licence (its parties). POST: the brand submits one."""

    scopes = {"GET": READ, "POST": WRITE}
    error_statuses = (400, 404, 409)
    pagination_class = KeysetPagination
    parser_classes = [MultiPartParser]

    @extend_schema(responses=ProofSerializer(many=True), summary="Proofs under a licence")
    def get(self, request: Request, licence: str) -> Response:
        if not Licence.objects.visible_to(self.viewer).filter(reference=licence).exists():
            raise Licence.DoesNotExist
        return self.paginated(
            _listed(selectors.proof_list(self.viewer, licence=licence)), ProofSerializer
        )

    @extend_schema(
        request={"multipart/form-data": ProofUploadSerializer},
        responses={201: ProofSerializer, 200: ProofSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Submit a proof",
        description="Under a licence whose terms ask for the model's approval of each image: "
        "201 when the proof is sent to the model, 200 when this proof (same "
        "`idempotency_key`) was sent already. A licence without that term, or a placement "
        "outside the terms, is refused with the reason before the model sees anything. "
        + IMAGE_NOTE,
    )
    def post(self, request: Request, licence: str) -> Response:
        viewer = self.viewer
        if not viewer.is_brand:
            raise Licence.DoesNotExist
        payload = ProofUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        by = viewer.member
        default_key = header_key(request) or uuid.uuid4().hex

        def execute() -> Response:
            proof, created = services.submit_proof(
                by=by, reference=licence, data=proof_input(payload.validated_data, default_key)
            )
            return Response(
                ProofSerializer(_proof(self, proof.reference)).data,
                status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            )

        return run_idempotent(
            request,
            organisation=by.organisation,
            authorise=lambda: require_report_usage(by),
            execute=execute,
        )


class ProofListApi(ApiView):
    scopes = {"GET": READ}
    error_statuses = (400,)
    pagination_class = KeysetPagination

    @extend_schema(
        parameters=[ProofListQuerySerializer],
        responses=ProofSerializer(many=True),
        summary="List proofs",
        description="The caller's proofs with their status, newest first: the brand's own, "
        "the model's, her agency's.",
    )
    def get(self, request: Request) -> Response:
        query = ProofListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        proofs = selectors.proof_list(self.viewer, status=query.validated_data.get("status", ""))
        return self.paginated(_listed(proofs), ProofSerializer)


class ProofReadApi(ApiView):
    scopes = {"GET": READ}
    error_statuses = (404,)

    @extend_schema(responses=ProofSerializer, summary="A proof")
    def get(self, request: Request, proof: str) -> Response:
        return Response(ProofSerializer(_proof(self, proof)).data)


class ProofVersionApi(ApiView):
    scopes = {"POST": WRITE}
    error_statuses = (400, 404, 409)
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": ProofUploadSerializer},
        responses={201: ProofSerializer, 200: ProofSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Resubmit a proof",
        description="A new version after the model asked for changes (or did not answer in "
        "time); her answer time starts again. 409 in any other state. " + IMAGE_NOTE,
    )
    def post(self, request: Request, proof: str) -> Response:
        viewer = self.viewer
        if not viewer.is_brand:
            raise Proof.DoesNotExist
        payload = ProofUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        by = viewer.member
        default_key = header_key(request) or uuid.uuid4().hex

        def execute() -> Response:
            resubmitted, created = services.resubmit_proof(
                by=by,
                proof_reference=proof,
                data=proof_input(payload.validated_data, default_key),
            )
            return Response(
                ProofSerializer(_proof(self, resubmitted.reference)).data,
                status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
            )

        return run_idempotent(
            request,
            organisation=by.organisation,
            authorise=lambda: require_report_usage(by),
            execute=execute,
        )


class ProofDecisionApi(ApiView):
    scopes = {"POST": "licences:write"}
    error_statuses = (400, 404, 409)

    @extend_schema(
        request=DecisionInputSerializer,
        responses={200: ProofSerializer},
        summary="Answer a proof (model)",
        description="The model approves the latest version, rejects it with a note or asks "
        "for changes with a note; her agency may answer only where her consent says so (403 "
        "otherwise). An approval records the use. 409 when the proof or its licence is no "
        "longer open to an answer (answered, no answer in time, licence ended).",
    )
    def post(self, request: Request, proof: str) -> Response:
        viewer = self.viewer
        if not (viewer.is_talent or viewer.is_agency):
            raise Proof.DoesNotExist
        payload = DecisionInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        services.decide_proof(
            user=request.user,
            proof_reference=proof,
            version=data["version"],
            decision=data["decision"],
            note=data["note"],
            talent=viewer.talent if viewer.membership is None else None,
            member=viewer.membership,
            context=RequestContext.of(request._request),
        )
        return Response(ProofSerializer(_proof(self, proof)).data)
