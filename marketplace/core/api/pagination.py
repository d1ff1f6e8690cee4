"""Keyset ("cursor") pagination over the order a selector already chose.

The cursor is the last row's sort key; the next page starts strictly after it, so pages stay
consistent while rows are added and ties never skip or repeat a row (the primary key ends
every ordering). NULLs sort as if greater than any value, on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import F, Q, QuerySet
from rest_framework import serializers
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

Key = tuple[str, bool]  # (field name, descending)

# A cursor is URL-safe base64 without padding. The schema states this shape; whether a
# cursor of that shape is one the server issued is for the server to say, like an id.
CURSOR_PATTERN = "^[A-Za-z0-9_-]*$"
MAX_CURSOR_LENGTH = 2000


def _keys(queryset: QuerySet) -> list[Key]:
    keys: list[Key] = []
    for item in queryset.query.order_by:
        if not isinstance(item, str) or "__" in item or item.lstrip("-") in {"", "?"}:
            raise ValueError(f"keyset pagination needs plain field orderings, not {item!r}")
        name = item.lstrip("-")
        keys.append(("id" if name == "pk" else name, item.startswith("-")))
    if not keys:
        raise ValueError("keyset pagination needs an ordered queryset")
    if keys[-1][0] != queryset.model._meta.pk.attname:
        keys.append((queryset.model._meta.pk.attname, keys[0][1]))
    return keys


def _order(keys: list[Key]) -> list[Any]:
    return [
        F(name).desc(nulls_first=True) if descending else F(name).asc(nulls_last=True)
        for name, descending in keys
    ]


def _after(name: str, descending: bool, value: Any) -> Q:
    """Rows strictly after `value` on one key, NULL being the greatest value."""
    if value is None:
        return Q(**{f"{name}__isnull": False}) if descending else Q(pk__in=[])
    if descending:
        return Q(**{f"{name}__lt": value})
    return Q(**{f"{name}__gt": value}) | Q(**{f"{name}__isnull": True})


def _equal(name: str, value: Any) -> Q:
    return Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})


def after_cursor(keys: list[Key], values: list[Any]) -> Q:
    """Lexicographic 'after' over every key: k1 after, or k1 equal and k2 after, …"""
    condition = Q(pk__in=[])
    for index in range(len(keys) - 1, -1, -1):
        name, descending = keys[index]
        condition = _after(name, descending, values[index]) | (
            _equal(name, values[index]) & condition
        )
    return condition


def _dump(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([_dump(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, keys: list[Key], model: Any) -> list[Any]:
    invalid = serializers.ValidationError({"cursor": ["Invalid cursor."]})
    if len(cursor) > MAX_CURSOR_LENGTH or not re.fullmatch(CURSOR_PATTERN, cursor):
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise invalid from exc
    if not isinstance(values, list) or len(values) != len(keys):
        raise invalid
    out: list[Any] = []
    for (name, _), value in zip(keys, values, strict=True):
        if value is None:
            out.append(None)
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise invalid
        try:
            out.append(model._meta.get_field(name).to_python(value))
        except (DjangoValidationError, FieldDoesNotExist, TypeError, ValueError) as exc:
            raise invalid from exc
    # The primary key, last, can never be NULL: a cursor saying so was not ours.
    if out[-1] is None:
        raise invalid
    return out


class KeysetPagination(BasePagination):
    page_size = 50
    max_page_size = 100
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise serializers.ValidationError(
                {
                    self.page_size_query_param: [
                        f"Give a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return size

    def paginate_queryset(self, queryset: QuerySet, request: Request, view=None) -> list[Any]:
        self.request = request
        size = self.get_page_size(request)
        keys = _keys(queryset)
        queryset = queryset.order_by(*_order(keys))
        cursor = request.query_params.get(self.cursor_query_param)
        if cursor:
            queryset = queryset.filter(
                after_cursor(keys, decode_cursor(cursor, keys, queryset.model))
            )
        rows = list(queryset[: size + 1])
        self.next_cursor = (
            encode_cursor([getattr(rows[size - 1], name) for name, _ in keys])
            if len(rows) > size
            else None
        )
        return rows[:size]

    def next_link(self) -> str | None:
        if self.next_cursor is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, self.next_cursor)

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {"next": self.next_link(), "next_cursor": self.next_cursor, "results": data}
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "next_cursor", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page, or null on the last page.",
                },
                "next_cursor": {"type": "string", "nullable": True},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The `next_cursor` of the previous page (empty: the first "
                "page). A cursor the server did not issue is refused (400).",
                "schema": {
                    "type": "string",
                    "pattern": CURSOR_PATTERN,
                    "maxLength": MAX_CURSOR_LENGTH,
                },
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page (default {self.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size},
            },
        ]
