"""One error format for the whole API: {"error": {"code", "message", "field", "details"}}.

Domain errors keep their machine-readable code; DRF's own exceptions use their default code.
400 invalid input, 401 no or bad credentials, 403 role or scope, 404 missing *or another
tenant's* object, 409 a conflict with the current state, 429 throttled."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from marketplace.core.errors import DomainError, PermissionDenied, TransitionError

CONFLICT_CODES = {
    "exclusivity_conflict",
    "idempotency_conflict",
    "idempotency_in_progress",
    # The brand's live endpoints are at the limit: a state, not a fault of the input.
    "endpoint_limit",
}


class IdempotencyConflict(DomainError):
    code = "idempotency_conflict"


def error_body(
    code: str, message: str, *, field: str | None = None, details: Any = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message, "field": field}
    if details is not None:
        error["details"] = details
    return {"error": error}


def domain_status(exc: DomainError) -> int:
    if isinstance(exc, PermissionDenied):
        return status.HTTP_403_FORBIDDEN
    if isinstance(exc, TransitionError) or exc.code in CONFLICT_CODES:
        return status.HTTP_409_CONFLICT
    return status.HTTP_400_BAD_REQUEST


def _plain(detail: Any) -> Any:
    if isinstance(detail, dict):
        return {str(key): _plain(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_plain(value) for value in detail]
    return str(detail)


def _first(detail: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], str]:
    """The first message in a nested DRF error structure and the path of the field at fault."""
    if isinstance(detail, dict):
        for key, value in detail.items():
            if value:
                return _first(value, (*path, str(key)))
    if isinstance(detail, list):
        for index, value in enumerate(detail):
            if isinstance(value, dict | list):
                if value:
                    return _first(value, (*path, str(index)))
            else:
                return path, str(value)
    return path, str(detail)


def validation_response(detail: Any) -> Response:
    path, message = _first(detail)
    field = ".".join(part for part in path if part != "non_field_errors") or None
    details = _plain(detail) if isinstance(detail, dict) else {"non_field_errors": _plain(detail)}
    return Response(
        error_body("invalid", message, field=field, details=details),
        status=status.HTTP_400_BAD_REQUEST,
    )


def form_invalid(form: Any) -> exceptions.ValidationError:
    """A Django form's errors as an API validation error (the same envelope)."""
    return exceptions.ValidationError(
        {field: [str(message) for message in messages] for field, messages in form.errors.items()}
    )


def error_response(exc: Exception) -> Response | None:
    """The API response for an exception, or None for an unexpected one (a server error)."""
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.message, field=exc.field), status=domain_status(exc)
        )
    if isinstance(exc, Http404 | ObjectDoesNotExist | exceptions.NotFound):
        # Missing and foreign look the same: nothing is said about which it was.
        return Response(error_body("not_found", "Not found."), status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoPermissionDenied):
        return Response(
            error_body("permission_denied", str(exc) or "You may not do this."),
            status=status.HTTP_403_FORBIDDEN,
        )
    if isinstance(exc, exceptions.ValidationError):
        return validation_response(exc.detail)
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
        detail = exc.detail
        code = detail.code if isinstance(detail, exceptions.ErrorDetail) else exc.default_code
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            code = exc.default_code
        return Response(error_body(str(code), str(detail)), status=exc.status_code, headers=headers)
    return None


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = error_response(exc)
    if response is not None:
        set_rollback()
    return response
