"""Serializer helpers shared by the API's query strings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.core.validators import RegexValidator
from rest_framework import fields, serializers

_TEXT = (fields.CharField, fields.ChoiceField)


class QuerySerializer(serializers.Serializer):
    """Validates a query string. An empty text parameter (`?q=`) means "not given", as in the
    web forms; an empty number, flag or list item is invalid, as the schema says."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, _TEXT) and not field.required:
                field.allow_blank = True
            child = getattr(field, "child", None)
            if isinstance(child, fields.ChoiceField):
                child.allow_blank = False

    def to_internal_value(self, data: Any) -> Any:
        errors = {}
        for name, field in self.fields.items():
            if isinstance(field, _TEXT) or not hasattr(data, "getlist"):
                continue
            if "" in data.getlist(name):
                errors[name] = ["Give a value, or leave the parameter out."]
        if errors:
            raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def _type_error(field: fields.Field, value: Any) -> str | None:
    """Why a raw JSON value cannot be this field's type, or None. DRF would coerce
    0 → "0", "5" → 5 and 1 → True; the API takes the types its schema documents."""
    if value is None:
        return None
    if isinstance(field, fields.BooleanField):
        return None if isinstance(value, bool) else "Must be true or false."
    if isinstance(field, fields.IntegerField):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "Must be an integer."
    if isinstance(field, fields.FloatField | fields.DecimalField):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "Must be a number."
    if isinstance(field, fields.CharField | fields.ChoiceField | fields.DateField):
        return None if isinstance(value, str) else "Must be a string."
    if isinstance(field, fields.ListField | serializers.ListSerializer):
        if not isinstance(value, list):
            return "Must be a list."
        child = field.child
        if isinstance(child, fields.Field) and not isinstance(child, serializers.BaseSerializer):
            for item in value:
                problem = _type_error(child, item)
                if problem:
                    return f"Every item: {problem[0].lower()}{problem[1:]}"
        return None
    if isinstance(field, serializers.BaseSerializer | fields.DictField):
        return None if isinstance(value, dict) else "Must be an object."
    return None


# DRF refuses NUL in every CharField (PostgreSQL cannot store it): the schema says so too.
NO_NUL = RegexValidator(r"^[^\x00]*$", "Null characters are not allowed.")
# A required text is trimmed (Python's str.strip) before "may not be blank" is checked, so
# whitespace alone is blank. The schema says "at least one character that is not whitespace",
# naming Python's whitespace explicitly: `\s` means something slightly different in each
# regex dialect that reads the schema.
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NOT_BLANK_NO_NUL = RegexValidator(
    rf"^[^\x00]*[^\x00{_SPACE}][^\x00]*$",
    "Give a value that is not only spaces; null characters are not allowed.",
)


class InputSerializer(serializers.Serializer):
    """A JSON request body, held to the types of its schema (no coercion). A text field without
    a pattern of its own gets NO_NUL, so its schema states that NUL is refused."""

    def get_fields(self) -> dict[str, Any]:
        found = super().get_fields()
        for field in found.values():
            is_text = isinstance(field, serializers.CharField) and not isinstance(
                field, serializers.ChoiceField
            )
            if is_text and not any(isinstance(v, RegexValidator) for v in field.validators):
                blank_is_refused = not field.allow_blank and field.trim_whitespace
                field.validators.append(NOT_BLANK_NO_NUL if blank_is_refused else NO_NUL)
        return found

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            errors = {}
            for name, field in self.fields.items():
                if name in data and not field.read_only:
                    problem = _type_error(field, data[name])
                    if problem:
                        errors[name] = [problem]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class BoundedListSerializer(serializers.ListSerializer):
    """`many=True` with `min_length`/`max_length` that the schema states too (minItems and
    maxItems; drf-spectacular leaves them out for a list of serializers)."""


class KnownSlugField(serializers.SlugField):
    """A slug naming a row that must exist (a category, a style tag). The schema lists the
    slugs as an enum, read when the schema is generated; the service still refuses an
    unknown one, so a slug added later is only missing from an older copy of the schema."""

    def __init__(self, *, slugs: Callable[[], Iterable[str]], **kwargs: Any) -> None:
        self.slugs = slugs
        super().__init__(**kwargs)
