"""The base of every API view, and the JSON 404 for unknown API paths."""

from __future__ import annotations

from typing import Any, ClassVar

from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from marketplace.accounts.tenancy import Viewer

from .errors import error_body
from .parsers import JsonParser


class ApiView(APIView):
    # JSON in and out; authentication, scopes and throttling from settings. Subclasses
    # declare `scopes` per method and the `error_statuses` they can answer with beyond
    # 401/403/429 (documented in the schema). No docstring: the schema would show it as
    # every subclass's description.

    parser_classes = [JsonParser]
    renderer_classes = [JSONRenderer]
    scopes: ClassVar[dict[str, str]] = {}
    error_statuses: ClassVar[tuple[int, ...]] = ()

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        try:
            super().initial(request, *args, **kwargs)
        except (exceptions.NotAuthenticated, exceptions.AuthenticationFailed):
            # DRF throttles only after permissions; anonymous and failed calls count against
            # the caller's address too, so keys cannot be guessed at full speed.
            self.check_throttles(request)
            raise

    @property
    def viewer(self) -> Viewer:
        """The key's identity, or the session's, as the web views see it."""
        return self.request.viewer  # type: ignore[attr-defined]

    def paginated(self, queryset: Any, serializer_class: Any, **context: Any) -> Response:
        page = self.paginator.paginate_queryset(queryset, self.request, view=self)
        data = serializer_class(page, many=True, context={"request": self.request, **context})
        return self.paginator.get_paginated_response(data.data)

    @property
    def paginator(self) -> Any:
        if not hasattr(self, "_paginator"):
            pagination_class = getattr(self, "pagination_class", None)
            self._paginator = pagination_class() if pagination_class else None
        return self._paginator


class ApiNotFound(APIView):
    """Unknown paths under /api/v1/ answer in the API's error format, not an HTML page."""

    authentication_classes: ClassVar[list] = []
    permission_classes: ClassVar[list] = []
    throttle_classes: ClassVar[list] = []
    renderer_classes = [JSONRenderer]
    schema = None

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        self.args, self.kwargs = args, kwargs
        self.request = self.initialize_request(request, *args, **kwargs)
        self.headers = self.default_response_headers
        response = Response(error_body("not_found", "Not found."), status=404)
        return self.finalize_response(self.request, response, *args, **kwargs)
