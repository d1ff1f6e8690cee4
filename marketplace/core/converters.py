"""Path converters for the site's and the API's URLs: a value that cannot be a reference or an
id answers 404 before any query (an over-long integer would overflow the database column; a
NUL byte is refused by PostgreSQL)."""

from __future__ import annotations

from django.urls import register_converter

REFERENCE_PATTERN = "[A-Za-z0-9-]{1,20}"
SLUG_PATTERN = "[-a-zA-Z0-9_]{1,140}"
ID_PATTERN = "[0-9]{1,18}"


class ReferenceConverter:
    regex = REFERENCE_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ObjectIdConverter:
    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


class ApiSlugConverter(ReferenceConverter):
    regex = SLUG_PATTERN


register_converter(ReferenceConverter, "ref")
register_converter(ObjectIdConverter, "dbid")
register_converter(ApiSlugConverter, "apislug")
