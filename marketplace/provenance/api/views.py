"""The public check over the API: POST a picture, get the verdict /verify shows."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from marketplace.core.api.views import ApiView

from .. import selectors
from ..ratelimit import allow_check
from .serializers import VerdictSerializer, VerifyUploadSerializer


class TooManyChecks(exceptions.Throttled):
    default_detail = "Too many checks from your address. Please wait a minute, then try again."


class VerifyApi(ApiView):
    """Anyone may ask (no key needed): platforms and newsrooms check pictures they host."""

    permission_classes: ClassVar[list] = [permissions.AllowAny]
    parser_classes = [MultiPartParser]
    error_statuses = (400,)

    @extend_schema(
        request={"multipart/form-data": VerifyUploadSerializer},
        responses={200: VerdictSerializer},
        summary="Verify a picture",
        description="Whether a picture was licensed through Likeness, as the public "
        "verification page says: its Content Credentials (C2PA) are read and checked "
        "against the platform's certificate authority; a picture without them is looked up "
        "by perceptual fingerprint. Nothing confidential is answered (no fee, no other "
        "term, no brand). No key needed; checks are limited per address. A file that is no "
        "picture, too large or a decompression bomb: 400, `invalid`, field `image`.",
    )
    def post(self, request: Request) -> Response:
        if not allow_check(request._request):
            raise TooManyChecks(wait=60)
        payload = VerifyUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["image"]
        if upload.size > settings.IMAGE_MAX_BYTES:
            raise serializers.ValidationError(
                {"image": [f"The limit is {settings.IMAGE_MAX_BYTES // (1024 * 1024)} MB."]}
            )
        verdict = selectors.verify_image(upload.read())
        if verdict.outcome == selectors.Outcome.NOT_AN_IMAGE:
            raise serializers.ValidationError({"image": verdict.details or [verdict.headline]})
        return Response(VerdictSerializer(verdict, context={"request": request}).data)
