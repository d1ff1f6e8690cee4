"""Requests no view should see."""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse

from marketplace.core.api.errors import error_body

NUL = "\x00"
FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def _has_nul_field(request: HttpRequest) -> bool:
    if request.method != "POST" or request.content_type not in FORM_TYPES:
        return False
    # Values only: a field is read by its name, and no name the server reads holds a NUL, so a
    # NUL in the name of a field nobody reads reaches nothing (and the schema cannot say so).
    return any(
        isinstance(value, str) and NUL in value
        for _key, values in request.POST.lists()
        for value in values
    )


class RefuseNulMiddleware:
    """A NUL byte is no part of any reference, id or text of ours, and PostgreSQL refuses it in
    a query (a server error), so it is refused at the door: in the path 404 (no such page), in
    the query string or a form field 400. Under /api/ in the API's error format."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        api = request.path_info.startswith("/api/")
        if NUL in request.path_info:
            if api:
                return JsonResponse(error_body("not_found", "Not found."), status=404)
            raise Http404
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or NUL in query or _has_nul_field(request):
            message = "A NUL character is not allowed in a request."
            if api:
                return JsonResponse(error_body("invalid", message), status=400)
            raise BadRequest(message)
        return self.get_response(request)
