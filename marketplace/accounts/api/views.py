from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.core.api.auth import request_api_key
from marketplace.core.api.permissions import ANY_SCOPE
from marketplace.core.api.views import ApiView

from .serializers import IdentitySerializer


class IdentityReadApi(ApiView):
    """Who the credentials stand for: the organisation, role and scopes."""

    scopes = {"GET": ANY_SCOPE}

    @extend_schema(responses=IdentitySerializer, summary="Who am I")
    def get(self, request: Request) -> Response:
        viewer = self.viewer
        api_key = request_api_key(request)
        membership = viewer.membership
        organisation = membership.organisation if membership else None
        data = {
            "kind": "api_key"
            if api_key
            else "member"
            if membership
            else "talent"
            if viewer.is_talent
            else "user",
            "organisation": {
                "slug": organisation.slug,
                "name": organisation.name,
                "kind": organisation.kind,
            }
            if organisation
            else None,
            "role": membership.role if membership else None,
            "scopes": list(api_key.scopes) if api_key else None,
            "key_prefix": api_key.display_prefix if api_key else None,
        }
        return Response(IdentitySerializer(data).data)
