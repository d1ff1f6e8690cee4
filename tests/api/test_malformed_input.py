"""Malformed input is refused in the API's error format (400/404), never a server error: JSON
nested deeper than any request of ours, and NUL bytes (which PostgreSQL refuses in text)."""

from __future__ import annotations

import base64

import pytest
from rest_framework.test import APIClient

from marketplace.core.api.parsers import MAX_DEPTH
from marketplace.licensing.models import Licence
from tests.api.conftest import active_licence, key_client

pytestmark = pytest.mark.django_db


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def too_deep() -> dict:
    return {
        "error": {
            "code": "parse_error",
            "message": f"JSON parse error - nested deeper than {MAX_DEPTH} levels.",
            "field": None,
        }
    }


@pytest.fixture
def licence(world) -> Licence:
    return active_licence(
        brand_manager=world.members["brand_a_manager"],
        agency_manager=world.members["agency_a_manager"],
        twin=world.twin,
    )


def json_endpoints(world, licence) -> list[tuple[str, str]]:
    """Every API endpoint that reads a JSON body, with the organisation whose key may call it."""
    ref = licence.reference
    return [
        ("brand_a", f"/api/v1/catalogue/twins/{world.twin.slug}/quote"),
        ("brand_a", "/api/v1/licences"),
        ("brand_a", f"/api/v1/licences/{ref}/withdraw"),
        ("brand_a", f"/api/v1/licences/{ref}/uses"),
        ("brand_a", f"/api/v1/licences/{ref}/uses/batch"),
        ("brand_a", "/api/v1/webhooks/endpoints"),
        ("agency_a", f"/api/v1/licences/{ref}/decline"),
        ("agency_a", f"/api/v1/licences/{ref}/counter"),
    ]


def test_json_nested_5000_deep_is_a_400_on_every_json_endpoint(world, licence):
    # given every endpoint that reads JSON
    for org, path in json_endpoints(world, licence):
        # when it is sent an array nested 5,000 levels deep
        response = key_client(world.tokens[org]).post(
            path, nested(5_000), content_type="application/json"
        )

        # then it answers 400 in the error envelope
        assert (path, response.status_code) == (path, 400)
        assert response.json() == too_deep()


def test_nesting_is_refused_past_the_limit_only(world):
    client = key_client(world.tokens["brand_a"])

    at_limit = client.post("/api/v1/licences", nested(MAX_DEPTH), content_type="application/json")
    past_it = client.post(
        "/api/v1/licences", nested(MAX_DEPTH + 1), content_type="application/json"
    )

    # At the limit the body is parsed (and found not to be a licence request).
    assert at_limit.status_code == 400
    assert at_limit.json()["error"]["code"] == "invalid"
    assert past_it.status_code == 400
    assert past_it.json() == too_deep()
    assert not Licence.objects.exists()


def test_a_cursor_nested_5000_deep_is_an_invalid_cursor(world):
    cursor = base64.urlsafe_b64encode(nested(5_000).encode()).decode().rstrip("=")

    response = key_client(world.tokens["brand_a"]).get("/api/v1/licences", {"cursor": cursor})

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "cursor"


def test_nul_in_an_api_path_is_404_in_the_error_envelope(world, licence):
    client = key_client(world.tokens["brand_a"])

    for path in (f"/api/v1/licences/{licence.reference}%00", "/api/v1/licences/LIC%00/uses"):
        response = client.get(path)

        assert response.status_code == 404
        assert response.json() == {
            "error": {"code": "not_found", "message": "Not found.", "field": None}
        }


def test_nul_in_an_api_query_string_is_400_in_the_error_envelope(world):
    response = key_client(world.tokens["brand_a"]).get("/api/v1/licences?status=active%00")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_an_anonymous_caller_is_refused_before_the_body_is_read(world):
    response = APIClient().post("/api/v1/licences", nested(5_000), content_type="application/json")

    assert response.status_code == 401
