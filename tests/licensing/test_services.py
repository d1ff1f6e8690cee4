"""Every licence transition, allowed and refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.core.errors import PermissionDenied, TransitionError, ValidationFailed
from marketplace.core.models import AuditEvent
from marketplace.licensing import services
from marketplace.licensing.models import Consent, ExclusivityHold, Licence
from marketplace.talent.models import Category, Twin
from tests.factories import MembershipFactory
from tests.flows import consent_to
from tests.licensing.conftest import make_terms

pytestmark = pytest.mark.django_db
S = Licence.Status


def active_holds(licence):
    return ExclusivityHold.objects.filter(licence=licence, active=True).count()


# --- Request ------------------------------------------------------------------------------


def test_request_stores_an_immutable_quote_and_reserves_the_slot(
    brand_manager, twin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        licence = services.request_licence(
            by=brand_manager, twin_id=twin.pk, terms=make_terms(exclusive=True)
        )

    assert licence.status == S.REQUESTED
    assert licence.terms is not None and licence.reserved_until is not None
    assert licence.terms.total_fee == 300_000  # 1,000 × region 2 × 3 months 1 × excl 1.5
    assert licence.terms.quote["split"]["talent_share"] == 216_000
    assert len(licence.terms.terms_hash) == 64
    assert active_holds(licence) == 2
    assert licence.reserved_until > timezone.now() + timedelta(hours=71)
    assert AuditEvent.objects.filter(verb="licence.requested", target_id=licence.pk).exists()


def test_agency_managers_are_emailed_about_a_request(
    brand_manager, agency_manager, twin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        licence = services.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms())

    assert [m.to for m in mailoutbox] == [[agency_manager.user.email]]
    assert licence.reference in mailoutbox[0].subject


def test_rate_card_change_does_not_change_a_stored_quote(requested, agency_manager):
    services_talent = __import__("marketplace.talent.services", fromlist=["x"])
    services_talent.set_rate_card(
        by=agency_manager,
        twin_id=requested.twin_id,
        card=services_talent.RateCardInput(lines={"social": (500, 0)}),
    )

    requested.refresh_from_db()
    assert requested.terms.total_fee == 200_000


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"intended_use": "Marketing."}, "intended_use", "at least 10 words"),
        (
            {
                "intended_use": "marketing and advertising for our brand in various social "
                "media online campaign content purposes"
            },
            "intended_use",
            "too vague",
        ),
        ({"start_date": timezone.localdate() - timedelta(days=1)}, "start_date", "past"),
        ({"category": "swimwear"}, "category", "does not offer"),
        ({"territories": ["DE", "ZZ"]}, "territories", "Unknown territory"),
        ({"media_types": ["print"]}, "media_types", "not offered"),
        ({"max_uses": 0}, "max_uses", "at least one use"),
        ({"alteration_limits": ["anything_goes"]}, "alteration_limits", "Unknown"),
    ],
)
def test_bad_scope_is_refused_with_a_clear_message(brand_manager, twin, overrides, field, message):
    with pytest.raises(ValidationFailed) as exc:
        services.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms(**overrides))

    assert exc.value.field == field
    assert message in exc.value.message
    assert Licence.objects.count() == 0


def test_restricted_category_is_declined_automatically_with_the_reason(brand_manager, twin):
    twin.talent.restricted_categories.add(Category.objects.get(slug="beauty"))

    licence = services.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms())

    assert licence.status == S.DECLINED
    assert "does not allow" in licence.status_reason and "Beauty" in licence.status_reason
    assert active_holds(licence) == 0


@pytest.mark.parametrize("status", ["draft", "paused", "retired"])
def test_only_published_twins_take_requests(brand_manager, twin, status):
    Twin.objects.filter(pk=twin.pk).update(status=status)

    with pytest.raises((Twin.DoesNotExist, ValidationFailed)):
        services.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms())


@pytest.mark.parametrize("role", ["finance", "member"])
def test_brand_readers_cannot_commit_the_brand(brand, twin, role):
    with pytest.raises(PermissionDenied):
        services.request_licence(
            by=MembershipFactory(organisation=brand, role=role), twin_id=twin.pk, terms=make_terms()
        )


def test_agencies_cannot_request(agency_manager, twin):
    with pytest.raises(PermissionDenied):
        services.request_licence(by=agency_manager, twin_id=twin.pk, terms=make_terms())


# --- Exclusivity --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "second", "conflict"),
    [
        ({"exclusive": True}, {"exclusive": True}, True),
        ({"exclusive": True}, {"exclusive": False}, True),
        ({"exclusive": False}, {"exclusive": True}, True),
        ({"exclusive": False}, {"exclusive": False}, False),
        ({"exclusive": True}, {"exclusive": True, "territories": ["IT"]}, False),
        ({"exclusive": True}, {"exclusive": True, "category": "fast-fashion"}, False),
        ({"exclusive": True}, {"exclusive": True, "territories": ["EU"]}, True),
    ],
)
def test_exclusivity_rules_between_brands(
    brand_manager, other_brand_manager, twin, first, second, conflict
):
    services.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms(**first))

    if conflict:
        with pytest.raises(services.ExclusivityConflict):
            services.request_licence(
                by=other_brand_manager, twin_id=twin.pk, terms=make_terms(**second)
            )
    else:
        services.request_licence(
            by=other_brand_manager, twin_id=twin.pk, terms=make_terms(**second)
        )


def test_windows_that_do_not_touch_do_not_conflict(brand_manager, other_brand_manager, twin):
    today = timezone.localdate()
    services.request_licence(
        by=brand_manager,
        twin_id=twin.pk,
        terms=make_terms(
            exclusive=True,
            start_date=today + timedelta(days=10),
            end_date=today + timedelta(days=40),
        ),
    )

    second = services.request_licence(
        by=other_brand_manager,
        twin_id=twin.pk,
        terms=make_terms(
            exclusive=True,
            start_date=today + timedelta(days=41),
            end_date=today + timedelta(days=90),
        ),
    )

    assert second.status == S.REQUESTED


def test_same_brand_may_overlap_itself(brand_manager, twin):
    services.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms(exclusive=True))

    again = services.request_licence(
        by=brand_manager, twin_id=twin.pk, terms=make_terms(exclusive=True)
    )

    assert again.status == S.REQUESTED


def test_conflict_says_what_blind_availability_shows_and_never_the_brand(
    brand_manager, other_brand_manager, twin
):
    first = services.request_licence(
        by=brand_manager, twin_id=twin.pk, terms=make_terms(exclusive=True)
    )

    with pytest.raises(services.ExclusivityConflict) as exc:
        services.request_licence(
            by=other_brand_manager, twin_id=twin.pk, terms=make_terms(territories=["FR", "IT"])
        )

    message = exc.value.message
    assert first.terms is not None
    assert message == (
        f"Not available: Beauty and cosmetics in FR is reserved by a pending exclusive request "
        f"until {first.terms.end_date:%Y-%m-%d}. Choose other dates, territories or category."
    )
    # The start of another brand's window is not public (the catalogue shows "until").
    assert first.terms.start_date.isoformat() not in message
    assert brand_manager.organisation.name not in message
    assert first.reference not in message


def test_a_lapsed_reservation_stops_blocking_at_once(brand_manager, other_brand_manager, twin):
    first = services.request_licence(
        by=brand_manager, twin_id=twin.pk, terms=make_terms(exclusive=True)
    )
    Licence.objects.filter(pk=first.pk).update(reserved_until=timezone.now() - timedelta(1))

    second = services.request_licence(
        by=other_brand_manager, twin_id=twin.pk, terms=make_terms(exclusive=True)
    )

    first.refresh_from_db()
    assert first.status == S.LAPSED
    assert second.status == S.REQUESTED


# --- Agency -------------------------------------------------------------------------------


def test_approve_then_consent_then_activate(requested, agency_manager, talent, ctx):
    services.approve_licence(by=agency_manager, reference=requested.reference)
    requested.refresh_from_db()
    assert requested.status == S.AWAITING_CONSENT

    consent = services.give_consent(
        talent=talent,
        user=talent.user,
        reference=requested.reference,
        typed_name=f"  {talent.full_name.upper()} ",
        terms_hash=requested.terms.terms_hash,
        context=ctx,
    )
    assert consent.decision == Consent.Decision.GIVEN
    assert consent.ip_address == "203.0.113.9"
    assert consent.terms_hash == requested.terms.terms_hash
    assert talent.full_name in consent.statement

    licence = services.activate_licence(licence_id=requested.pk)
    assert licence.status == S.ACTIVE
    assert licence.reserved_until is None
    assert active_holds(licence) == 2


def test_counter_offer_accepted_by_the_brand(requested, agency_manager, brand_manager):
    services.counter_licence(
        by=agency_manager,
        reference=requested.reference,
        terms=make_terms(territories=["DE"], exclusive=True),
    )
    requested.refresh_from_db()
    assert requested.status == S.COUNTERED
    assert requested.terms.version == 2
    assert requested.terms.proposed_by == "agency"
    assert list(requested.holds.filter(active=True).values_list("territory", flat=True)) == ["DE"]

    services.accept_counter(by=brand_manager, reference=requested.reference)
    requested.refresh_from_db()
    assert requested.status == S.AWAITING_CONSENT


def test_counter_offer_declined_releases_the_slot(requested, agency_manager, brand_manager):
    services.counter_licence(
        by=agency_manager, reference=requested.reference, terms=make_terms(territories=["DE"])
    )

    services.decline_counter(by=brand_manager, reference=requested.reference)

    requested.refresh_from_db()
    assert requested.status == S.DECLINED
    assert active_holds(requested) == 0


def test_decline_needs_a_reason(requested, agency_manager):
    with pytest.raises(ValidationFailed, match="reason"):
        services.decline_licence(by=agency_manager, reference=requested.reference, reason=" ")

    services.decline_licence(
        by=agency_manager, reference=requested.reference, reason="Talent unavailable in that window"
    )
    requested.refresh_from_db()
    assert requested.status == S.DECLINED
    assert active_holds(requested) == 0


def test_another_agency_cannot_touch_the_request(requested, other_agency):
    outsider = MembershipFactory(organisation=other_agency, role="owner")

    with pytest.raises(Licence.DoesNotExist):
        services.approve_licence(by=outsider, reference=requested.reference)
    requested.refresh_from_db()
    assert requested.status == S.REQUESTED


AGENCY_ACTIONS = {
    "approve": lambda by, ref: services.approve_licence(by=by, reference=ref),
    "counter": lambda by, ref: services.counter_licence(by=by, reference=ref, terms=make_terms()),
    "decline": lambda by, ref: services.decline_licence(by=by, reference=ref, reason="late"),
}


@pytest.mark.parametrize("action", sorted(AGENCY_ACTIONS))
def test_agency_actions_refused_after_the_decision(requested, agency_manager, action):
    services.approve_licence(by=agency_manager, reference=requested.reference)

    with pytest.raises(TransitionError):
        AGENCY_ACTIONS[action](agency_manager, requested.reference)


# --- Brand withdraws ------------------------------------------------------------------------


def test_brand_withdraws_before_signing(requested, brand_manager):
    services.withdraw_licence(by=brand_manager, reference=requested.reference)

    requested.refresh_from_db()
    assert requested.status == S.WITHDRAWN
    assert active_holds(requested) == 0


def test_withdraw_is_refused_once_active(requested, agency_manager, brand_manager, talent, ctx):
    services.approve_licence(by=agency_manager, reference=requested.reference)
    consent_to(requested, talent, context=ctx)
    services.activate_licence(licence_id=requested.pk)

    with pytest.raises(TransitionError):
        services.withdraw_licence(by=brand_manager, reference=requested.reference)


# --- Consent ------------------------------------------------------------------------------


@pytest.fixture
def awaiting(requested, agency_manager):
    services.approve_licence(by=agency_manager, reference=requested.reference)
    requested.refresh_from_db()
    return requested


def test_consent_to_other_terms_is_refused(awaiting, talent, ctx):
    with pytest.raises(ValidationFailed, match="terms changed"):
        services.give_consent(
            talent=talent,
            user=talent.user,
            reference=awaiting.reference,
            typed_name=talent.full_name,
            terms_hash="0" * 64,
            context=ctx,
        )
    awaiting.refresh_from_db()
    assert awaiting.status == S.AWAITING_CONSENT
    assert Consent.objects.count() == 0


def test_consent_needs_the_exact_full_name(awaiting, talent, ctx):
    with pytest.raises(ValidationFailed, match="full name"):
        services.give_consent(
            talent=talent,
            user=talent.user,
            reference=awaiting.reference,
            typed_name="someone else",
            terms_hash=awaiting.terms.terms_hash,
            context=ctx,
        )


def test_another_talent_cannot_consent(awaiting, agency, ctx):
    from tests.factories import TalentFactory, UserFactory

    stranger = TalentFactory(agency=agency, user=UserFactory())
    with pytest.raises(Licence.DoesNotExist):
        consent_to(awaiting, stranger, context=ctx)


def test_refusal_releases_the_slot_and_is_recorded(awaiting, talent, ctx):
    services.refuse_consent(
        talent=talent,
        user=talent.user,
        reference=awaiting.reference,
        reason="Not comfortable with this brand",
        context=ctx,
    )

    awaiting.refresh_from_db()
    assert awaiting.status == S.REFUSED
    assert active_holds(awaiting) == 0
    assert Consent.objects.get().decision == Consent.Decision.REFUSED


def test_no_licence_becomes_active_without_consent(awaiting):
    Licence.objects.filter(pk=awaiting.pk).update(status=S.CONSENTED)

    with pytest.raises(TransitionError, match="consent"):
        services.activate_licence(licence_id=awaiting.pk)


def test_consent_to_old_terms_does_not_activate_new_terms(awaiting, talent, ctx):
    consent_to(awaiting, talent, context=ctx)
    # Terms swapped behind the model's back (e.g. by a bug): activation must refuse.
    from marketplace.licensing.models import LicenceTerms

    old = awaiting.terms
    newer = LicenceTerms.objects.create(
        **{
            f.name: getattr(old, f.name)
            for f in LicenceTerms._meta.fields
            if f.name not in {"id", "version", "created_at", "terms_hash"}
        },
        version=9,
        terms_hash="f" * 64,
    )
    Licence.objects.filter(pk=awaiting.pk).update(terms=newer)

    with pytest.raises(TransitionError):
        services.activate_licence(licence_id=awaiting.pk)


# --- Revocation ---------------------------------------------------------------------------


def test_revocation_ends_open_and_winds_down_active_licences(
    twin, talent, brand_manager, other_brand_manager, agency_manager, ctx
):
    active = services.request_licence(
        by=brand_manager, twin_id=twin.pk, terms=make_terms(exclusive=True)
    )
    services.approve_licence(by=agency_manager, reference=active.reference)
    consent_to(active, talent, context=ctx)
    services.activate_licence(licence_id=active.pk)
    pending = services.request_licence(
        by=other_brand_manager, twin_id=twin.pk, terms=make_terms(territories=["IT"])
    )

    services.revoke_twin_consent(
        talent=talent,
        user=talent.user,
        twin_id=twin.pk,
        reason="I no longer want this",
        context=ctx,
    )

    active.refresh_from_db()
    pending.refresh_from_db()
    twin.refresh_from_db()
    assert active.terms is not None
    expected_end = min(timezone.localdate() + timedelta(days=30), active.terms.end_date)
    assert active.status == S.ACTIVE
    assert active.ends_early_on == expected_end
    assert "30-day notice" in active.status_reason
    assert set(active.holds.values_list("end_date", flat=True)) == {expected_end}
    assert pending.status == S.REVOKED
    assert twin.consent_revoked_at is not None
    assert not Twin.objects.in_catalogue().filter(pk=twin.pk).exists()
    with pytest.raises(Twin.DoesNotExist):
        services.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms())
    with pytest.raises(ValidationFailed, match="already revoked"):
        services.revoke_twin_consent(
            talent=talent, user=talent.user, twin_id=twin.pk, reason="", context=ctx
        )


# --- Time ---------------------------------------------------------------------------------


def _activate(licence, agency_manager, talent, ctx):
    services.approve_licence(by=agency_manager, reference=licence.reference)
    consent_to(licence, talent, context=ctx)
    return services.activate_licence(licence_id=licence.pk)


def test_reservations_lapse_once(requested):
    later = timezone.now() + timedelta(hours=73)

    assert services.lapse_reservations(now=later) == 1
    assert services.lapse_reservations(now=later) == 0
    requested.refresh_from_db()
    assert requested.status == S.LAPSED
    assert active_holds(requested) == 0


def test_licences_expire_after_their_end_once(requested, agency_manager, talent, ctx):
    licence = _activate(requested, agency_manager, talent, ctx)
    after_end = licence.terms.end_date + timedelta(days=1)

    assert services.expire_licences(today=licence.terms.end_date) == 0
    assert services.expire_licences(today=after_end) == 1
    assert services.expire_licences(today=after_end) == 0
    licence.refresh_from_db()
    assert licence.status == S.EXPIRED
    assert active_holds(licence) == 0


def test_reminder_thirty_days_before_the_end_is_sent_once(
    requested,
    agency_manager,
    brand_manager,
    talent,
    ctx,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    licence = _activate(requested, agency_manager, talent, ctx)
    end = licence.terms.end_date

    with django_capture_on_commit_callbacks(execute=True):
        assert services.remind_ending(today=end - timedelta(days=31)) == 0
        assert services.remind_ending(today=end - timedelta(days=30)) == 1
        assert services.remind_ending(today=end - timedelta(days=29)) == 0

    reminders = [m for m in mailoutbox if "renew" in m.subject]
    assert sorted(m.to[0] for m in reminders) == sorted(
        [brand_manager.user.email, agency_manager.user.email]
    )
