"""Every web route, fed hostile input, answers below 500.

The URL resolver is walked, so a route added later is fuzzed too. Each path parameter is
filled with hostile values (a NUL byte, 10,000 characters, an over-long number, unicode, a
`../` walk); every route is also asked with NUL in its query string and POSTed a form with
NUL values, JSON nested 5,000 levels deep and JSON carrying NUL, once with well-formed
parameters (the actor's own licence, twin, contract) so the body reaches the view. Asked by
an anonymous visitor and by a signed-in brand manager. A NUL byte is refused by PostgreSQL
alone, so this is worth most there."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import (
    AgencyFactory,
    BrandFactory,
    MembershipFactory,
    TalentFactory,
    TwinFactory,
    UserFactory,
)
from tests.flows import consented_licence

pytestmark = pytest.mark.django_db

PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")

HOSTILE_VALUES = [
    "\x00",
    "LIC\x00",
    "x" * 10_000,
    "9" * 40,
    "ünïcødé-名前-🙂",
    "../../../etc/passwd",
    "' OR 1=1 --",
]
NUL_QUERY = dict.fromkeys(
    ("session_id", "cursor", "status", "q", "page", "month", "next", "org"), "a\x00b"
)
LONG_QUERY = {"session_id": "s" * 10_000, "cursor": "c" * 10_000, "q": "q" * 10_000}
NUL_FORM = dict.fromkeys(
    ("reason", "name", "email", "typed_name", "action", "next", "org", "terms_hash"), "a\x00b"
)


def deep_json(depth: int = 5_000) -> str:
    return "[" * depth + "]" * depth


def walk(patterns: list, prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def routes() -> list[str]:
    """Every route, the admin's per-model routes once: every registered model's list, add,
    change, history and delete pages are the same views, so one model stands for all."""
    shapes: dict[str, str] = {}
    for route in sorted(set(walk(get_resolver().url_patterns))):
        shapes.setdefault(re.sub(r"^admin/\w+/\w+/", "admin/<model>/", route), route)
    return sorted(shapes.values())


def fill(route: str, value_for) -> str:
    """The route as a path, each parameter replaced by value_for(name) (percent-quoted)."""

    def parameter(match: re.Match) -> str:
        return quote(value_for(match["name"]), safe="")

    path = PARAMETER.sub(parameter, route)
    if path.startswith("^") or "(?P<" in path or path.endswith("$"):
        path = REGEX_GROUP.sub(parameter, path).replace("^", "").replace("$", "")
        # A regular expression's remaining syntax (`.*`, `[\s\S]*`) stands for anything.
        path = re.sub(r"\[[^\]]*\][*+?]?|\.\*|\.\+", quote(value_for("rest"), safe=""), path)
    return "/" + path


def query(data: dict[str, str]) -> str:
    return "&".join(f"{quote(k)}={quote(v, safe='')}" for k, v in data.items())


@pytest.fixture
def brand_scene(db):
    """A brand manager with a consented licence (and its contract), and the twin it is for."""
    agency, brand = AgencyFactory(), BrandFactory()
    agency_manager = MembershipFactory(organisation=agency, role="manager")
    brand_manager = MembershipFactory(organisation=brand, role="manager")
    twin = TwinFactory(talent=TalentFactory(agency=agency, user=UserFactory()), with_image=True)
    licence = consented_licence(brand_member=brand_manager, agency_member=agency_manager, twin=twin)
    contract = licence.contracts.first()
    valid = {
        "reference": licence.reference,
        "contract_reference": getattr(contract, "reference", "CON-1"),
        "slug": twin.slug,
        "twin_id": str(twin.pk),
        "image_id": str(twin.cover_id),
        "month": "2026-01",
    }
    return brand_manager, valid


def server_errors(client: Client, valid: dict[str, str], user=None) -> list[str]:
    failures: list[str] = []

    signed_in = False

    def ask(method: str, path: str, **kwargs) -> None:
        nonlocal signed_in
        if user is not None and not signed_in:
            client.force_login(user)
            signed_in = True
        # Each request in a savepoint: on PostgreSQL a failed statement would otherwise abort
        # the test's transaction and fail every request after it.
        savepoint = transaction.savepoint()
        response = getattr(client, method)(path, **kwargs)
        if settings.SESSION_COOKIE_NAME in response.cookies:
            # The session changed (one of the routes is the sign-out): sign in again.
            signed_in = False
        if response.status_code < 500:
            transaction.savepoint_commit(savepoint)
        else:
            transaction.savepoint_rollback(savepoint)
            failures.append(f"{method.upper()} {path[:120]} {kwargs.get('content_type', '')}")

    for route in routes():
        well_formed = fill(route, lambda name: valid.get(name, "1"))
        for value in HOSTILE_VALUES:
            path = fill(route, lambda name, value=value: value)
            if path != well_formed:
                ask("get", path)
                ask("post", path, data={"reason": "x"})
        ask("get", f"{well_formed}?{query(NUL_QUERY)}")
        ask("get", f"{well_formed}?{query(LONG_QUERY)}")
        ask("post", f"{well_formed}?{query(NUL_QUERY)}", data={"reason": "x"})
        ask("post", well_formed, data=NUL_FORM)
        ask("post", well_formed, data=deep_json(), content_type="application/json")
        ask(
            "post",
            well_formed,
            data=json.dumps(dict.fromkeys((*NUL_FORM, "uses", "url", "events"), "a\x00b")),
            content_type="application/json",
        )
    return failures


def test_no_route_answers_a_server_error_to_an_anonymous_visitor(brand_scene):
    # given an anonymous visitor
    _, valid = brand_scene
    client = Client(raise_request_exception=False)

    # when every route is asked with hostile input
    failures = server_errors(client, valid)

    # then none answers 500
    assert failures == [], "\n".join(failures)


def test_no_route_answers_a_server_error_to_a_signed_in_brand_manager(brand_scene):
    # given a brand manager, signed in, with a licence of her own
    brand_manager, valid = brand_scene
    client = Client(raise_request_exception=False)

    # when every route is asked with hostile input
    failures = server_errors(client, valid, user=brand_manager.user)

    # then none answers 500
    assert failures == [], "\n".join(failures)
