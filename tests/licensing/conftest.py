from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from marketplace.licensing import services
from tests.factories import BrandFactory, MembershipFactory

INTENDED_USE = (
    "Product detail pages and Instagram carousel posts for the spring denim "
    "collection: twelve looks, studio backgrounds, no voice, no nudity."
)


def make_terms(**overrides) -> services.TermsInput:
    today = timezone.localdate()
    values: dict[str, Any] = {
        "media_types": ["social"],
        "territories": ["DE", "FR"],
        "start_date": today + timedelta(days=10),
        "end_date": today + timedelta(days=99),
        "category": "beauty",
        "intended_use": INTENDED_USE,
        "exclusive": False,
    }
    values.update(overrides)
    return services.TermsInput(**values)


@pytest.fixture
def other_brand_manager(db):
    return MembershipFactory(organisation=BrandFactory(name="Rival Brand"), role="manager")


@pytest.fixture
def requested(brand_manager, twin):
    return services.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms())


@pytest.fixture
def ctx():
    return services.RequestContext(ip_address="203.0.113.9", user_agent="pytest")
