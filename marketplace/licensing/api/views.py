"""Licences over the API: the same services as the web pages, the same scoping.

Another party's licence answers 404 exactly like a missing one. A party of the licence
asking for an action that is not theirs (a brand approving, a model withdrawing) is refused
with 403 by the service's own permission check. The model consents or refuses through the
consent page's services, with the request's address and browser recorded the same way."""

from __future__ import annotations

from collections.abc import Callable

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.accounts.models import Membership
from marketplace.catalogue.selectors import catalogue_twin
from marketplace.core.api.auth import request_api_key
from marketplace.core.api.idempotency import run_idempotent
from marketplace.core.api.pagination import KeysetPagination
from marketplace.core.api.schema import IDEMPOTENCY_PARAMETER
from marketplace.core.api.views import ApiView
from marketplace.core.errors import PermissionDenied
from marketplace.talent.models import Talent, Twin, approval_rule

from .. import selectors, services, terms
from ..models import Licence
from .serializers import (
    ConsentInputSerializer,
    ConsentRequestSerializer,
    ConsentSerializer,
    LicenceDetailSerializer,
    LicenceListQuerySerializer,
    LicenceRequestSerializer,
    LicenceSerializer,
    QuoteSerializer,
    ReasonSerializer,
    TermsInputSerializer,
)

READ, WRITE = "licences:read", "licences:write"


def _member(view: ApiView) -> Membership:
    membership = view.viewer.membership
    if membership is None:
        raise PermissionDenied("Only members of the brand or the agency can do this.")
    return membership


def _licence(view: ApiView, reference: str) -> Licence:
    """The licence if the caller is one of its parties. Raises Licence.DoesNotExist (404)."""
    return selectors.licence_for(view.viewer, reference)


def _party(view: ApiView) -> None:
    viewer = view.viewer
    if not (viewer.is_brand or viewer.is_agency or viewer.is_talent):
        raise Licence.DoesNotExist


class LicenceListApi(ApiView):
    """GET: the caller's licences (brand, agency or model). POST: a brand requests one."""

    scopes = {"GET": READ, "POST": WRITE}
    error_statuses = (400, 404, 409)
    pagination_class = KeysetPagination

    @extend_schema(
        parameters=[LicenceListQuerySerializer],
        responses=LicenceSerializer(many=True),
        summary="List licences",
    )
    def get(self, request: Request) -> Response:
        _party(self)
        query = LicenceListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        statuses = tuple(query.validated_data.get("status") or ()) or None
        licences = selectors.licences_for(self.viewer, statuses=statuses).order_by(
            "-created_at", "-id"
        )
        return self.paginated(licences, LicenceSerializer)

    @extend_schema(
        request=LicenceRequestSerializer,
        responses={201: LicenceSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Request a licence",
        description="Reserves the slot while the agency reviews. A request in a category the "
        "model refuses is created and declined at once, with the reason.",
    )
    def post(self, request: Request) -> Response:
        by = _member(self)
        payload = LicenceRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        twin = catalogue_twin(payload.validated_data["twin"])

        def execute() -> Response:
            licence = services.request_licence(by=by, twin_id=twin.pk, terms=payload.to_terms())
            return Response(LicenceSerializer(licence).data, status=status.HTTP_201_CREATED)

        return run_idempotent(
            request,
            organisation=by.organisation,
            authorise=lambda: services.check_may_request_licence(by),
            execute=execute,
        )


class LicenceReadApi(ApiView):
    scopes = {"GET": READ}
    error_statuses = (404,)

    @extend_schema(responses=LicenceDetailSerializer, summary="A licence")
    def get(self, request: Request, reference: str) -> Response:
        return Response(LicenceDetailSerializer(_licence(self, reference)).data)


class _TransitionApi(ApiView):
    scopes = {"POST": WRITE}
    error_statuses = (400, 404, 409)
    service: Callable[..., Licence]

    def transition(self, reference: str, **kwargs: object) -> Response:
        licence = _licence(self, reference)
        updated = type(self).service(by=_member(self), reference=licence.reference, **kwargs)
        return Response(LicenceSerializer(updated).data)


def _reason(request: Request) -> str:
    payload = ReasonSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    return payload.validated_data["reason"]


class LicenceWithdrawApi(_TransitionApi):
    service = staticmethod(services.withdraw_licence)

    @extend_schema(request=ReasonSerializer, responses=LicenceSerializer, summary="Withdraw")
    def post(self, request: Request, reference: str) -> Response:
        return self.transition(reference, reason=_reason(request))


class LicenceCounterAcceptApi(_TransitionApi):
    service = staticmethod(services.accept_counter)

    @extend_schema(request=None, responses=LicenceSerializer, summary="Accept a counter-offer")
    def post(self, request: Request, reference: str) -> Response:
        return self.transition(reference)


class LicenceCounterDeclineApi(_TransitionApi):
    service = staticmethod(services.decline_counter)

    @extend_schema(
        request=ReasonSerializer, responses=LicenceSerializer, summary="Decline a counter-offer"
    )
    def post(self, request: Request, reference: str) -> Response:
        return self.transition(reference, reason=_reason(request))


class LicenceApproveApi(_TransitionApi):
    service = staticmethod(services.approve_licence)

    @extend_schema(request=None, responses=LicenceSerializer, summary="Approve (agency)")
    def post(self, request: Request, reference: str) -> Response:
        return self.transition(reference)


class LicenceDeclineApi(_TransitionApi):
    service = staticmethod(services.decline_licence)

    @extend_schema(
        request=ReasonSerializer, responses=LicenceSerializer, summary="Decline (agency)"
    )
    def post(self, request: Request, reference: str) -> Response:
        return self.transition(reference, reason=_reason(request))


class LicenceCounterApi(_TransitionApi):
    service = staticmethod(services.counter_licence)

    @extend_schema(
        request=TermsInputSerializer, responses=LicenceSerializer, summary="Counter (agency)"
    )
    def post(self, request: Request, reference: str) -> Response:
        payload = TermsInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        return self.transition(reference, terms=payload.to_terms())


class TwinQuoteApi(ApiView):
    """The live quote for terms on a twin, as the request page shows it. Writes nothing."""

    scopes = {"POST": "catalogue:read"}
    error_statuses = (400, 404)

    @extend_schema(request=TermsInputSerializer, responses=QuoteSerializer, summary="Quote")
    def post(self, request: Request, slug: str) -> Response:
        viewer = self.viewer
        if not (viewer.is_brand or viewer.is_agency):
            raise Twin.DoesNotExist
        twin = catalogue_twin(slug)
        if viewer.is_agency and twin.agency_id != viewer.org.pk:
            raise Twin.DoesNotExist
        payload = TermsInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        preview = terms.quote_preview(twin=twin, terms=payload.to_terms(), viewer=viewer.org)
        data = {
            **preview.quote.as_dict(),
            "territories": preview.checked.countries,
            "available": preview.available,
            "image_approval": approval_rule(
                preview.checked.image_approval,
                hours=preview.checked.approval_hours,
                agency_may_answer=preview.checked.agency_may_answer,
            ),
            "conflict": preview.conflict,
        }
        return Response(QuoteSerializer(data).data)


# --- The model's consent --------------------------------------------------------------------
# Models are individuals: they use the API with their signed-in session, never with an
# organisation's key. A key (whatever its scopes) or any caller who is not the licence's
# model gets 404, as the web consent pages answer them.


def _own_talent(view: ApiView) -> Talent:
    """The caller's talent profile. Raises Licence.DoesNotExist (404) for anyone else."""
    talent = view.viewer.talent
    if talent is None or request_api_key(view.request) is not None:
        raise Licence.DoesNotExist
    return talent


def _own_licence(talent: Talent, reference: str) -> str:
    """The reference of one of the model's own licences, checked before the input is read
    so that another model's licence answers exactly like a missing one."""
    if not Licence.objects.for_talent(talent).filter(reference=reference).exists():
        raise Licence.DoesNotExist
    return reference


class ConsentRequestListApi(ApiView):
    """The licences awaiting the signed-in model's consent, with the full terms and the
    statement they would sign."""

    scopes = {"GET": READ}
    error_statuses = (400, 404)
    pagination_class = KeysetPagination

    @extend_schema(
        responses=ConsentRequestSerializer(many=True),
        summary="Licences awaiting my consent (model)",
        description="For the model signed in with their session; soonest deadline first.",
    )
    def get(self, request: Request) -> Response:
        talent = _own_talent(self)
        licences = selectors.consent_inbox(talent).select_related("agency", "talent")
        return self.paginated(licences, ConsentRequestSerializer)


class LicenceConsentApi(ApiView):
    scopes = {"POST": WRITE}
    error_statuses = (400, 404, 409)

    @extend_schema(
        request=ConsentInputSerializer,
        responses={201: ConsentSerializer},
        summary="Consent (model)",
        description="The model's written consent to the exact terms they were shown (their "
        "`terms_hash`), signed with their full name. The address and browser of the request "
        "are recorded with it, as on the consent page.",
    )
    def post(self, request: Request, reference: str) -> Response:
        talent = _own_talent(self)
        reference = _own_licence(talent, reference)
        payload = ConsentInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        consent = services.give_consent(
            talent=talent,
            user=request.user,
            reference=reference,
            typed_name=payload.validated_data["typed_name"],
            terms_hash=payload.validated_data["terms_hash"],
            context=services.RequestContext.of(request._request),
        )
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)


class LicenceRefuseApi(ApiView):
    scopes = {"POST": WRITE}
    error_statuses = (400, 404, 409)

    @extend_schema(
        request=ReasonSerializer,
        responses={201: ConsentSerializer},
        summary="Refuse consent (model)",
        description="The licence ends; the brand and the agency are told, with the reason.",
    )
    def post(self, request: Request, reference: str) -> Response:
        talent = _own_talent(self)
        reference = _own_licence(talent, reference)
        consent = services.refuse_consent(
            talent=talent,
            user=request.user,
            reference=reference,
            reason=_reason(request),
            context=services.RequestContext.of(request._request),
        )
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)
