"""Stripe's form encoding: ``metadata[key]=v``, ``line_items[0][price_data][unit_amount]=...``,
``expand[]=x``; and typed, validated access to the decoded parameters."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import StripeError, invalid, missing_param, unknown_param

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")

# Hash keys under these names are free-form (digits stay strings, never become list indexes).
FREE_FORM = frozenset({"metadata"})


def split_key(key: str) -> list[str]:
    match = _KEY.match(key)
    if not match:
        return [key]
    return [match.group(1), *_SEGMENT.findall(match.group(2))]


def decode(text: str) -> dict[str, Any]:
    """Decode a form-encoded body or query string into nested dicts and lists."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        path = split_key(key)
        node: dict[str, Any] = root
        for depth, segment in enumerate(path):
            name = segment if segment != "" else str(len(node))
            last = depth == len(path) - 1
            if last:
                if isinstance(node.get(name), dict):
                    raise invalid(f"Invalid hash: {_render(path[: depth + 1])}", param=key)
                node[name] = value
            else:
                child = node.get(name)
                if child is None:
                    child = node[name] = {}
                elif not isinstance(child, dict):
                    if child == "":
                        # ``metadata=`` followed by ``metadata[k]=v``: the later keys win.
                        child = node[name] = {}
                    else:
                        raise invalid(
                            f"Invalid hash: {_render(path[: depth + 1])}", param=_render(path)
                        )
                node = child
    return _listify(root, free_form=False)


def _render(path: list[str]) -> str:
    return path[0] + "".join(f"[{p}]" for p in path[1:])


def _listify(node: Any, *, free_form: bool) -> Any:
    if not isinstance(node, dict):
        return node
    out = {k: _listify(v, free_form=k in FREE_FORM) for k, v in node.items()}
    if not free_form and out and all(k.isdigit() for k in out):
        return [out[k] for k in sorted(out, key=int)]
    return out


class Params:
    """Typed access to one level of decoded parameters; ``prefix`` renders nested names."""

    def __init__(self, data: Any, prefix: str = "") -> None:
        if data == "":
            data = {}
        if not isinstance(data, dict):
            raise invalid(f"Invalid object: {prefix or 'parameters'}", param=prefix or None)
        self.data: dict[str, Any] = data
        self.prefix = prefix

    def name(self, key: str) -> str:
        return f"{self.prefix}[{key}]" if self.prefix else key

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def allow(self, *allowed: str) -> Params:
        permitted = set(allowed) | ({"expand"} if not self.prefix else set())
        for key in self.data:
            if key not in permitted:
                raise unknown_param(self.name(key))
        return self

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def string(
        self,
        key: str,
        *,
        required: bool = False,
        choices: tuple[str, ...] | None = None,
        max_length: int = 5000,
        empty_is_none: bool = True,
    ) -> str | None:
        value = self.data.get(key)
        if value is None or (value == "" and empty_is_none):
            if required:
                raise missing_param(self.name(key))
            return None
        if not isinstance(value, str):
            raise invalid(f"Invalid string: {self.name(key)}", param=self.name(key))
        if len(value) > max_length:
            raise invalid(
                f"Invalid string: {value[:20]}...; must be at most {max_length} characters",
                param=self.name(key),
                code="string_length_exceeds_maximum",
            )
        if choices is not None and value not in choices:
            listed = ", ".join(choices[:-1]) + (" or " if len(choices) > 1 else "") + choices[-1]
            raise invalid(
                f"Invalid {self.name(key)}: must be one of {listed}", param=self.name(key)
            )
        return value

    def integer(
        self,
        key: str,
        *,
        required: bool = False,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise missing_param(self.name(key))
            return None
        if not isinstance(value, str) or not re.fullmatch(r"-?\d+", value.strip()):
            raise invalid(
                f"Invalid integer: {value}",
                param=self.name(key),
                code="parameter_invalid_integer",
            )
        number = int(value)
        if minimum is not None and number < minimum:
            raise invalid(
                f"This value must be greater than or equal to {minimum}.",
                param=self.name(key),
                code="parameter_invalid_integer",
            )
        if maximum is not None and number > maximum:
            raise invalid(
                f"This value must be less than or equal to {maximum} (it currently is '{number}').",
                param=self.name(key),
                code="parameter_invalid_integer",
            )
        return number

    def boolean(self, key: str, default: bool | None = None) -> bool | None:
        value = self.data.get(key)
        if value is None or value == "":
            return default
        if value in ("true", "True", "1"):
            return True
        if value in ("false", "False", "0"):
            return False
        raise invalid(f"Invalid boolean: {value}", param=self.name(key))

    def hash(self, key: str, *, required: bool = False) -> Params | None:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise missing_param(self.name(key))
            return None
        return Params(value, self.name(key))

    def array(self, key: str, *, required: bool = False) -> list[Any]:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise missing_param(self.name(key))
            return []
        if isinstance(value, dict):
            # ``expand[foo]=bar`` style or an unindexed single value.
            raise invalid(f"Invalid array: {self.name(key)}", param=self.name(key))
        if not isinstance(value, list):
            return [value]
        return value

    def strings(self, key: str, *, required: bool = False) -> list[str]:
        items = self.array(key, required=required)
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise invalid(f"Invalid string: {self.name(key)}[{index}]", param=self.name(key))
        return items

    def metadata(self, current: dict[str, str] | None = None) -> dict[str, str]:
        """Stripe's metadata semantics: merge; ``metadata[k]=`` unsets k; ``metadata=`` clears."""
        result = dict(current or {})
        if "metadata" not in self.data:
            return result
        value = self.data["metadata"]
        param = self.name("metadata")
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise invalid("Invalid hash", param=param)
        for key, item in value.items():
            if not isinstance(item, str):
                raise invalid(
                    f"Invalid value for metadata key {key}: metadata values must be strings",
                    param=f"{param}[{key}]",
                )
            if len(key) > 40:
                raise invalid(
                    f"Metadata key length exceeds the limit of 40 characters: {key}",
                    param=f"{param}[{key}]",
                )
            if len(item) > 500:
                raise invalid(
                    f"Metadata values can have up to 500 characters, but you passed in a value "
                    f"that is {len(item)} characters. Invalid value: {item[:40]}",
                    param=f"{param}[{key}]",
                )
            if item == "":
                result.pop(key, None)
            else:
                result[key] = item
        if len(result) > 50:
            raise invalid(
                f"You can have up to 50 metadata keys, but you passed in {len(result)} keys.",
                param=param,
            )
        return result


def parse_expand(params: Params) -> list[str]:
    try:
        return params.strings("expand")
    except StripeError:
        raise invalid("Invalid array", param="expand") from None
