"""The OpenAPI schema, the docs page, and schemathesis against the live schema.

Schemathesis generates requests from /api/schema/ for every operation (valid and invalid
input) and sends them through the WSGI application with a key holding every scope, on seeded
data, and the model's own operations (consent) again with the model's signed-in session.
Every response must be no server error, documented (status, content type, headers), match
its schema, reject schema-invalid input, and be refused without the credentials."""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from marketplace.licensing import services as licensing
from marketplace.webhooks import services as webhooks
from tests.api.conftest import active_licence
from tests.licensing.conftest import make_terms

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    ignored_auth,
]
# Not run: positive_data_acceptance. Input that fits the schema can still break a rule of
# the marketplace (a vague intended use, dates in the past, a category the twin does not
# offer) and is rightly refused with 400 and the reason.


def test_the_schema_is_served_as_json_and_yaml(db):
    client = APIClient()

    as_json = client.get("/api/schema/?format=json")
    as_yaml = client.get("/api/schema/")

    assert as_json.status_code == as_yaml.status_code == 200
    assert as_json.json()["openapi"].startswith("3.")
    assert "/api/v1/licences/{reference}/uses/batch" in as_json.json()["paths"]
    assert as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")


def test_the_docs_page_uses_local_assets_only(db):
    page = APIClient().get("/api/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn." not in page and "https://" not in page
    # No inline script or style: the page runs under the site's Content-Security-Policy.
    assert "<style" not in page
    assert page.count("<script") == page.count("<script src=")


@pytest.mark.parametrize(
    "path", ["/api/v1/nope", "/api/v1/licences/a%0Ab", "/api/v1/licences/%00", "/api/v1/x/y/z"]
)
def test_unknown_api_paths_answer_404_in_the_error_format(db, path):
    """Found by schemathesis: a path with a newline fell through to Django's HTML 404."""
    response = APIClient().get(path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.fixture
def in_process_requests():
    """Requests go straight to the WSGI application inside the test's transaction; like
    Django's test client, keep the end of a request from closing the database connection
    (PostgreSQL would lose the test's data with it)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(world, settings, in_process_requests):
    """Objects for the generated requests to find, and rates no run reaches."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "100000/min", "api_user": None, "api_anon": None},
    }
    licensing.request_licence(
        by=world.members["brand_a_manager"], twin_id=world.twin.pk, terms=make_terms()
    )
    active = active_licence(
        brand_manager=world.members["brand_a_manager"],
        agency_manager=world.members["agency_a_manager"],
        twin=world.twin,
        start_date=timezone.localdate(),
        territories=["IT"],
    )
    endpoint = webhooks.create_endpoint(
        by=world.members["brand_a_manager"], url="http://127.0.0.1:9/hooks"
    ).endpoint
    return {"token": world.tokens["brand_a"], "active": active, "endpoint": endpoint}


# Loaded once, at collection, through the WSGI application (no database needed for it).
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
# The key is sent by the test; schemathesis still checks every operation without it.
schema.config.generation.update(with_security_parameters=False)


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("LIKENESS_SCHEMATHESIS_EXAMPLES", "12")),
    deadline=None,
    derandomize=os.environ.get("LIKENESS_SCHEMATHESIS_RANDOM") != "1",
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_to_the_schema(case, seeded):
    # Real objects for valid path parameters: otherwise nearly every request is a 404.
    real = {
        "reference": seeded["active"].reference,
        "slug": seeded["active"].twin.slug,
        "endpoint_id": seeded["endpoint"].pk,
    }
    path = case.meta.components.get("path") if case.meta else None
    if case.path_parameters and (path is None or path.mode == GenerationMode.POSITIVE):
        case.path_parameters = {
            name: real.get(name, value) for name, value in case.path_parameters.items()
        }
    case.call_and_validate(headers={"Authorization": f"Bearer {seeded['token']}"}, checks=CHECKS)


# --- The model's operations, with the signed-in session ------------------------------------

MODEL_OPERATIONS = r"^/api/v1/(consent-requests|licences/\{reference\}/(consent|refuse))$"
# Without ignored_auth: it would swap in a made-up session cookie, which the real one sent
# with every call overrides. The run above already checks these operations without
# credentials (401).
MODEL_CHECKS = [check for check in CHECKS if check is not ignored_auth]


@pytest.fixture
def model_seeded(world, settings, in_process_requests):
    """Licences awaiting talent A's consent, and talent A's session with its CSRF token."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": None, "api_user": "100000/min", "api_anon": None},
    }
    awaiting = []
    for territory in ("IT", "ES"):
        licence = licensing.request_licence(
            by=world.members["brand_a_manager"],
            twin_id=world.twin.pk,
            terms=make_terms(territories=[territory]),
        )
        licensing.approve_licence(by=world.members["agency_a_manager"], reference=licence.reference)
        awaiting.append(licence)
    client = Client()
    client.force_login(world.user("talent_a"))
    csrf = get_random_string(32)
    cookies = {
        django_settings.SESSION_COOKIE_NAME: client.cookies[
            django_settings.SESSION_COOKIE_NAME
        ].value,
        django_settings.CSRF_COOKIE_NAME: csrf,
    }
    return {"awaiting": awaiting, "cookies": cookies, "headers": {"X-CSRFToken": csrf}}


@schema.include(path_regex=MODEL_OPERATIONS).parametrize()
@settings(
    max_examples=int(os.environ.get("LIKENESS_SCHEMATHESIS_EXAMPLES", "12")),
    deadline=None,
    derandomize=os.environ.get("LIKENESS_SCHEMATHESIS_RANDOM") != "1",
    suppress_health_check=list(HealthCheck),
)
def test_the_model_s_operations_conform_to_the_schema(case, model_seeded):
    path = case.meta.components.get("path") if case.meta else None
    if case.path_parameters and (path is None or path.mode == GenerationMode.POSITIVE):
        case.path_parameters = {"reference": model_seeded["awaiting"][0].reference}
    case.call_and_validate(
        headers=model_seeded["headers"], cookies=model_seeded["cookies"], checks=MODEL_CHECKS
    )
