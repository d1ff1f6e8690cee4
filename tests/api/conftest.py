"""The API's world: two agencies, two brands, their people, two models, and keys."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from rest_framework.test import APIClient

from marketplace.accounts import services as accounts
from marketplace.accounts.models import API_SCOPES, Membership
from marketplace.core.api.throttles import ApiRateThrottle
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Licence
from tests.factories import (
    AgencyFactory,
    BrandFactory,
    MembershipFactory,
    TalentFactory,
    TwinFactory,
    UserFactory,
)
from tests.flows import consented_licence

ALL_SCOPES = [scope for scope, _ in API_SCOPES]


@pytest.fixture(autouse=True)
def _api_settings(settings, monkeypatch):
    # Two-factor set-up is another feature's gate; these tests sign in owners directly.
    settings.LIKENESS_REQUIRE_MFA_ROLES = []
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    # Throttle counts of this test only, still in the configured cache (Redis in CI, which
    # other tests and the Celery broker share: never flushed).
    monkeypatch.setattr(
        ApiRateThrottle, "cache_format", f"api-throttle-{uuid.uuid4().hex}:%(scope)s:%(ident)s"
    )


def key_client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def session_client(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def issue_key(owner: Membership, scopes: list[str] | None = None, name: str = "Pipeline") -> str:
    return accounts.create_api_key(by=owner, name=name, scopes=scopes or ALL_SCOPES).token


def active_licence(*, brand_manager, agency_manager, twin, **terms) -> Licence:
    """Requested, approved, consented and activated through the services (payment is the
    payments app's business and not needed to report uses)."""
    licence = consented_licence(
        brand_member=brand_manager, agency_member=agency_manager, twin=twin, **terms
    )
    return licensing.activate_licence(licence_id=licence.pk)


@dataclass
class World:
    orgs: dict[str, Any] = field(default_factory=dict)
    members: dict[str, Membership] = field(default_factory=dict)
    talent: dict[str, Any] = field(default_factory=dict)
    twin: Any = None
    other_twin: Any = None
    tokens: dict[str, str] = field(default_factory=dict)

    def user(self, who: str):
        if who.startswith("talent_"):
            return self.talent[who].user
        return self.members[who].user


@pytest.fixture
def world(db) -> World:
    w = World()
    w.orgs = {
        "agency_a": AgencyFactory(name="Agency A"),
        "agency_b": AgencyFactory(name="Agency B"),
        "brand_a": BrandFactory(name="Brand A"),
        "brand_b": BrandFactory(name="Brand B"),
    }
    for key, org in w.orgs.items():
        for role in ("owner", "manager", "finance", "member"):
            w.members[f"{key}_{role}"] = MembershipFactory(organisation=org, role=role)
    w.talent = {
        "talent_a": TalentFactory(agency=w.orgs["agency_a"], user=UserFactory()),
        "talent_b": TalentFactory(agency=w.orgs["agency_b"], user=UserFactory()),
    }
    w.twin = TwinFactory(talent=w.talent["talent_a"], with_image=True)
    w.other_twin = TwinFactory(talent=w.talent["talent_b"])
    for key in w.orgs:
        w.tokens[key] = issue_key(w.members[f"{key}_owner"], name=f"{key} all scopes")
    return w
