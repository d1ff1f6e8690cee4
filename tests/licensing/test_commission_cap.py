"""The agency's commission cap (20 %, New York Fashion Workers Act) is one constant: the
organisation service, the quote's split and the database constraint all read it."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.loader import MigrationLoader

from marketplace.accounts import services as accounts
from marketplace.accounts.models import Organisation
from marketplace.core.errors import ValidationFailed
from marketplace.core.money import MAX_AGENCY_COMMISSION_BPS
from marketplace.licensing.quotes import split_fee
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
CAP = "organisation_commission_cap_20pct"


def cap_of(model) -> object:
    constraint = next(c for c in model._meta.constraints if c.name == CAP)
    return dict(constraint.condition.children)["commission_bps__lte"]


def test_the_legal_cap_is_twenty_percent():
    assert MAX_AGENCY_COMMISSION_BPS == 2000


def test_the_database_constraint_and_its_migration_read_the_constant():
    migrated = (
        MigrationLoader(connection).project_state().apps.get_model("accounts", "Organisation")
    )

    assert cap_of(Organisation) == MAX_AGENCY_COMMISSION_BPS
    assert cap_of(migrated) == MAX_AGENCY_COMMISSION_BPS


def test_the_database_refuses_a_commission_above_the_cap(agency):
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.filter(pk=agency.pk).update(
            commission_bps=MAX_AGENCY_COMMISSION_BPS + 1
        )

    Organisation.objects.filter(pk=agency.pk).update(commission_bps=MAX_AGENCY_COMMISSION_BPS)
    agency.refresh_from_db()
    assert agency.commission_bps == MAX_AGENCY_COMMISSION_BPS


def test_the_service_refuses_a_commission_above_the_cap():
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_organisation(
            kind="agency",
            name="Greedy",
            owner=UserFactory(),
            commission_bps=MAX_AGENCY_COMMISSION_BPS + 1,
        )

    assert exc.value.field == "commission_bps"
    assert not Organisation.objects.filter(name="Greedy").exists()


def test_the_quote_s_split_refuses_a_commission_above_the_cap():
    split_fee(100_000, platform_fee_bps=1000, agency_commission_bps=MAX_AGENCY_COMMISSION_BPS)

    with pytest.raises(ValidationFailed) as exc:
        split_fee(
            100_000, platform_fee_bps=1000, agency_commission_bps=MAX_AGENCY_COMMISSION_BPS + 1
        )

    assert exc.value.code == "commission_cap"


def test_no_setting_can_move_the_cap(settings):
    settings.AGENCY_COMMISSION_CAP_BPS = 5000

    with pytest.raises(ValidationFailed):
        split_fee(100_000, platform_fee_bps=1000, agency_commission_bps=2500)
