"""Earnings over the API: a model's own (browser session only: keys belong to
organisations) and an agency's commission (session, or a key with earnings:read)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.core.api.pagination import KeysetPagination
from marketplace.core.api.views import ApiView
from marketplace.payments import selectors as payments_selectors
from marketplace.payments.models import Earning
from marketplace.talent.models import Talent

from .. import selectors
from .serializers import EarningsSerializer, TalentUseQuerySerializer, TalentUseSerializer

SCOPE = "earnings:read"


class EarningsReadApi(ApiView):
    scopes = {"GET": SCOPE}
    error_statuses = (404,)

    @extend_schema(responses=EarningsSerializer, summary="Earnings figures")
    def get(self, request: Request) -> Response:
        viewer = self.viewer
        data: dict[str, Any]
        if viewer.is_talent:
            talent = viewer.own_talent
            summary = selectors.talent_earnings(talent)  # the dashboard's cached sums
            account = payments_selectors.connected_account_for(talent=talent)
            data = {
                "payee": "talent",
                "figures": selectors.talent_figures(talent, account=account).rows(),
                "monthly": summary.monthly,
                "by_licence": summary.by_licence,
            }
        elif viewer.is_agency:
            agency = viewer.org
            earnings = Earning.objects.for_organisation(agency)
            account = payments_selectors.connected_account_for(organisation=agency)
            figures = selectors.earning_figures(
                earnings, ready=bool(account and account.ready), awaiting={}
            )
            data = {
                "payee": "agency",
                "figures": figures.rows(),
                "monthly": selectors.monthly(earnings),
                "by_licence": [],
            }
        else:
            raise Talent.DoesNotExist
        data["next_payout_at"] = selectors.next_payout_at()
        return Response(EarningsSerializer(data).data)


class TalentUseListApi(ApiView):
    """Every use of the model's twins, newest first (the model's browser session)."""

    scopes = {"GET": SCOPE}
    error_statuses = (400, 404)
    pagination_class = KeysetPagination

    @extend_schema(
        parameters=[TalentUseQuerySerializer],
        responses=TalentUseSerializer(many=True),
        summary="Uses of my twins",
    )
    def get(self, request: Request) -> Response:
        talent = self.viewer.own_talent  # 404 for anyone but a model
        query = TalentUseQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = {key: str(value) for key, value in query.validated_data.items()}
        return self.paginated(selectors.talent_uses(talent, **filters), TalentUseSerializer)
