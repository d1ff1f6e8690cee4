"""The OpenAPI schema, the docs page, and schemathesis against the live schema.

Schemathesis generates requests from /api/schema/ for every operation (valid and invalid
input) and sends them through the WSGI application with a key holding every scope, on seeded
data, and the model's own operations (consent) again with the model's signed-in session.
Every response must be no server error, documented (status, content type, headers), match
its schema, reject schema-invalid input, accept schema-valid input, and be refused without
the credentials.

The schema states every rule of an input's shape (territory codes, the categories and tags
that exist, a batch of at least one use, the words of an intended use, a cursor's
alphabet). What it cannot state is the marketplace's state and the calendar: which cursor
the server issued, which dates are not past or lie in the licence's window, the terms the
model is shown and their name, that a lower bound is below the upper one, that an upload is
a picture, that the intended use is specific rather than vague. The seeded world accepts
everything else (the twin offered for every category and medium, a worldwide licence for
every medium), and schema-valid requests get those few values from it, as path parameters
get real objects."""

from __future__ import annotations

import io
import os
from datetime import timedelta
from decimal import Decimal

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.core import signals
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string
from hypothesis import HealthCheck, settings
from PIL import Image
from rest_framework.test import APIClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from marketplace.approvals import services as approvals
from marketplace.licensing import services as licensing
from marketplace.talent.demo_images import studio_portrait
from marketplace.talent.models import Category, MediaType, RateCardLine, StyleTag
from marketplace.webhooks import services as webhooks
from tests.api.conftest import active_licence
from tests.licensing.conftest import INTENDED_USE, make_terms

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    ignored_auth,
]


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


def _offer_everything(twin) -> None:
    """The twin offered for every category and on every medium, so that any category and
    medium the schema allows is one the service accepts."""
    twin.permitted_categories.set(Category.objects.all())
    for media_type in MediaType.values:
        RateCardLine.objects.get_or_create(
            rate_card=twin.rate_card,
            media_type=media_type,
            defaults={"base_fee": 100_000, "per_use_fee": 1_000},
        )


@pytest.fixture
def seeded(world, settings, in_process_requests):
    """Objects for the generated requests to find, and rates no run reaches."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "100000/min", "api_user": None, "api_anon": None},
    }
    _offer_everything(world.twin)
    licensing.request_licence(
        by=world.members["brand_a_manager"], twin_id=world.twin.pk, terms=make_terms()
    )
    active = active_licence(
        brand_manager=world.members["brand_a_manager"],
        agency_manager=world.members["agency_a_manager"],
        twin=world.twin,
        start_date=timezone.localdate(),
        territories=["WORLDWIDE"],
        media_types=list(MediaType.values),
    )
    endpoint = webhooks.create_endpoint(
        by=world.members["brand_a_manager"], url="http://127.0.0.1:9/hooks"
    ).endpoint
    # Proofs are submitted under a licence whose terms ask for the model's approval.
    with_approval = active_licence(
        brand_manager=world.members["brand_a_manager"],
        agency_manager=world.members["agency_a_manager"],
        twin=world.twin,
        start_date=timezone.localdate(),
        territories=["WORLDWIDE"],
        media_types=list(MediaType.values),
        image_approval=True,
    )
    proof, _ = approvals.submit_proof(
        by=world.members["brand_a_manager"],
        reference=with_approval.reference,
        data=approvals.ProofInput(
            media_type="social",
            territory="DE",
            publish_on=timezone.localdate(),
            caption="",
            image=SimpleUploadedFile("p.jpg", studio_portrait(1), content_type="image/jpeg"),
            idempotency_key="seeded-proof",
        ),
    )
    return {
        "token": world.tokens["brand_a"],
        "active": active,
        "endpoint": endpoint,
        "approval": with_approval,
        "proof": proof,
    }


@pytest.fixture
def api_schema(world, in_process_requests):
    """The schema as the server states it for this database (the categories and tags that
    exist are enums), loaded through the WSGI application."""
    world.twin.tags.set([StyleTag.objects.create(slug="editorial", name="Editorial")])
    world.twin.save()  # a new catalogue version: the filter's tags are read afresh
    loaded = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    # The key is sent by the test; schemathesis still checks every operation without it.
    loaded.config.generation.update(with_security_parameters=False)
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    # schemathesis' fixture-loaded schemas read the node's `_nodeid`, which pytest 9 no
    # longer sets on a test function.
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


def _positive(case, location: ParameterLocation) -> bool:
    component = case.meta.components.get(location) if case.meta else None
    return component is None or component.mode == GenerationMode.POSITIVE


def _png() -> bytes:
    """A picture the server takes: the smallest side it accepts (a placement photo, not an icon)."""
    side = django_settings.IMAGE_MIN_SIDE
    out = io.BytesIO()
    Image.new("RGB", (side + 40, side), (200, 120, 80)).save(out, format="PNG")
    return out.getvalue()


def keep_to_what_the_schema_cannot_state(case, real: dict) -> None:
    """Schema-valid input, given the values only the state and the calendar decide."""
    if case.path_parameters and _positive(case, ParameterLocation.PATH):
        case.path_parameters = {
            name: real.get(name, value) for name, value in case.path_parameters.items()
        }
    query = case.query
    if isinstance(query, dict) and _positive(case, ParameterLocation.QUERY):
        # A cursor is valid when the server issued it, like an id.
        query.pop("cursor", None)
        for low, high in (("height_min", "height_max"), ("price_min", "price_max")):
            if query.get(low) not in (None, "") and query.get(high) not in (None, ""):
                bounds = sorted([query[low], query[high]], key=Decimal)
                query[low], query[high] = bounds
    body = case.body
    if isinstance(body, dict) and _positive(case, ParameterLocation.BODY):
        today = timezone.localdate()
        values = {
            "twin": real.get("slug"),
            "start_date": (today + timedelta(days=1)).isoformat(),
            "end_date": (today + timedelta(days=60)).isoformat(),
            "intended_use": INTENDED_USE,
            "used_on": today.isoformat(),
            "publish_on": today.isoformat(),
            "terms_hash": real.get("terms_hash"),
            "typed_name": real.get("typed_name"),
        }
        for name, value in values.items():
            if name in body and value is not None:
                body[name] = value
        if "image" in body:
            body["image"] = _png()
        for use in body.get("uses") or []:
            if isinstance(use, dict):
                use["used_on"] = today.isoformat()


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
        "licence": seeded["approval"].reference,
        "proof": seeded["proof"].reference,
    }
    keep_to_what_the_schema_cannot_state(case, real)
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
    licence = model_seeded["awaiting"][0]
    real = {
        "reference": licence.reference,
        "terms_hash": licence.current_terms.terms_hash,
        "typed_name": licence.talent.full_name,
    }
    keep_to_what_the_schema_cannot_state(case, real)
    case.call_and_validate(
        headers=model_seeded["headers"], cookies=model_seeded["cookies"], checks=MODEL_CHECKS
    )
