from __future__ import annotations

from typing import Any

import pytest

from marketplace.core.errors import PermissionDenied, TransitionError, ValidationFailed
from marketplace.core.models import AuditEvent
from marketplace.talent import services
from marketplace.talent.models import Category, Twin
from tests.factories import MembershipFactory, TalentFactory, TwinFactory

pytestmark = pytest.mark.django_db


def _details(**overrides):
    values: dict[str, Any] = {
        "display_name": "Ines — twin",
        "description": "A studio-scanned twin " * 3,
        "height_cm": 178,
        "hair": "black",
        "tags": ["Editorial", "editorial", " runway "],
        "permitted_categories": list(Category.objects.filter(slug="beauty")),
    }
    values.update(overrides)
    return services.TwinDetails(**values)


def test_create_twin_starts_as_draft_with_a_rate_card_in_the_agency_currency(agency_manager):
    agency_manager.organisation.currency = "GBP"
    agency_manager.organisation.save()
    talent = TalentFactory(agency=agency_manager.organisation)

    twin = services.create_twin(by=agency_manager, talent_id=talent.pk, details=_details())

    assert twin.status == Twin.Status.DRAFT
    assert twin.agency == agency_manager.organisation
    assert twin.rate_card.currency == "GBP"
    assert sorted(t.slug for t in twin.tags.all()) == ["editorial", "runway"]
    assert "ines" in twin.search_document and "runway" in twin.search_document
    assert AuditEvent.objects.filter(verb="twin.created", target_id=twin.pk).count() == 1


def test_create_twin_for_another_agencys_talent_is_not_found(agency_manager, other_agency):
    foreign = TalentFactory(agency=other_agency)

    with pytest.raises(type(foreign).DoesNotExist):
        services.create_twin(by=agency_manager, talent_id=foreign.pk, details=_details())
    assert Twin.objects.count() == 0


@pytest.mark.parametrize("role", ["finance", "member"])
def test_only_owners_and_managers_change_listings(agency, role):
    membership = MembershipFactory(organisation=agency, role=role)
    talent = TalentFactory(agency=agency)

    with pytest.raises(PermissionDenied):
        services.create_twin(by=membership, talent_id=talent.pk, details=_details())


def test_brands_cannot_create_twins(brand_manager, talent):
    with pytest.raises(PermissionDenied):
        services.create_twin(by=brand_manager, talent_id=talent.pk, details=_details())


def test_rate_card_sets_lines_and_price_from(agency_manager, talent):
    twin = TwinFactory(talent=talent)

    services.set_rate_card(
        by=agency_manager,
        twin_id=twin.pk,
        card=services.RateCardInput(lines={"print": (250_000, 5_000), "social": (90_000, 1_000)}),
    )

    twin.refresh_from_db()
    assert twin.price_from == 90_000
    assert {
        (line.media_type, line.base_fee, line.per_use_fee) for line in twin.rate_card.lines.all()
    } == {("print", 250_000, 5_000), ("social", 90_000, 1_000)}


@pytest.mark.parametrize(
    "lines", [{"social": (0, 0)}, {"social": (100, -1)}, {"hologram": (100, 0)}]
)
def test_rate_card_rejects_bad_fees(agency_manager, talent, lines):
    twin = TwinFactory(talent=talent)

    with pytest.raises(ValidationFailed):
        services.set_rate_card(
            by=agency_manager, twin_id=twin.pk, card=services.RateCardInput(lines=lines)
        )
    assert twin.rate_card.lines.count() == 2


def test_publishing_needs_fees_image_and_categories(agency_manager, talent):
    twin = TwinFactory(talent=talent, status="draft", categories=[])

    with pytest.raises(ValidationFailed) as exc:
        services.change_twin_status(by=agency_manager, twin_id=twin.pk, action="publish")

    assert "add a preview image" in exc.value.message
    assert "permit at least one usage category" in exc.value.message
    twin.refresh_from_db()
    assert twin.status == Twin.Status.DRAFT


def test_publish_pause_retire_cycle(agency_manager, talent):
    twin = TwinFactory(talent=talent, status="draft", with_image=True, published_at=None)

    services.change_twin_status(by=agency_manager, twin_id=twin.pk, action="publish")
    services.change_twin_status(by=agency_manager, twin_id=twin.pk, action="pause")
    services.change_twin_status(by=agency_manager, twin_id=twin.pk, action="publish")
    services.change_twin_status(by=agency_manager, twin_id=twin.pk, action="retire")

    twin.refresh_from_db()
    assert twin.status == Twin.Status.RETIRED
    assert twin.published_at is not None
    with pytest.raises(TransitionError):
        services.change_twin_status(by=agency_manager, twin_id=twin.pk, action="publish")


def test_talent_sets_their_own_restrictions(talent):
    alcohol = Category.objects.get(slug="alcohol")

    services.update_restrictions(talent=talent, categories=[alcohol])

    assert list(talent.restricted_categories.all()) == [alcohol]
    assert AuditEvent.objects.filter(verb="talent.restrictions_updated").count() == 1


def test_create_talent_sends_an_invitation(
    agency_manager, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        talent = services.create_talent(
            by=agency_manager, full_name="Noor Haddad", email="Noor@Example.test"
        )

    assert talent.email == "noor@example.test"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["noor@example.test"]
    assert "/invite/" in mailoutbox[0].body


def test_duplicate_talent_email_is_a_clear_error(agency_manager):
    services.create_talent(by=agency_manager, full_name="A", email="a@example.test", invite=False)

    with pytest.raises(ValidationFailed, match="already represents"):
        services.create_talent(
            by=agency_manager, full_name="B", email="A@example.test", invite=False
        )
