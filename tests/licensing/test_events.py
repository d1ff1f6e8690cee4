"""Licensing tells the other apps through one hook: each licence event is published once, to
the subscribers the apps registered in `ready()`, and their outside work waits for commit."""

from __future__ import annotations

import pytest
from django.db import transaction

from marketplace.contracts.models import Contract
from marketplace.contracts.services import on_licence_consented
from marketplace.licensing import events
from marketplace.licensing import services as licensing
from marketplace.webhooks.services import on_licence_event
from tests import flows
from tests.licensing.conftest import make_terms

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """Every event published, in order (a subscriber like any app's)."""
    published: list[tuple[str, str]] = []

    def record(event: events.LicenceEvent) -> None:
        published.append((event.licence.reference, event.kind))

    events.subscribe(events.ALL, record)
    yield published
    events.unsubscribe(events.ALL, record)


def test_the_apps_subscribe_in_ready():
    assert events.subscribers("consented") == [on_licence_consented, on_licence_event]
    assert events.subscribers("requested") == [on_licence_event]


def test_each_step_of_a_licence_is_published_once(
    heard, brand_manager, agency_manager, twin, django_capture_on_commit_callbacks
):
    licence = licensing.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms())
    licensing.approve_licence(by=agency_manager, reference=licence.reference)
    with django_capture_on_commit_callbacks(execute=True):
        flows.consent_to(licence, twin.talent)

    ref = licence.reference
    assert heard == [
        (ref, "requested"),
        (ref, "approved"),
        (ref, "consent_needed"),
        (ref, "consented"),
        (ref, "contract_ready"),
        (ref, "contract_sign_turn"),
    ]
    assert Contract.objects.filter(licence=licence).count() == 1


def test_no_contract_is_generated_for_a_consent_that_rolled_back(
    brand_manager, agency_manager, twin, django_capture_on_commit_callbacks
):
    licence = licensing.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms())
    licensing.approve_licence(by=agency_manager, reference=licence.reference)

    def consent_then_fail() -> None:
        with transaction.atomic():
            flows.consent_to(licence, twin.talent)
            raise RuntimeError("the request failed after consenting")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        consent_then_fail()

    assert callbacks == []
    assert not Contract.objects.filter(licence=licence).exists()
