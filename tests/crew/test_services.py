"""Credits on a twin and the crew's own logins: the rules the services and the database keep."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.accounts import services as accounts
from marketplace.accounts.models import Invitation, Membership
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.core.models import AuditEvent
from marketplace.crew import services
from marketplace.crew.models import Credit, CrewMember
from marketplace.crew.services import CreditInput, NewCrewMember
from marketplace.talent import selectors as talent_selectors
from marketplace.talent.models import Twin
from tests.factories import (
    CreditFactory,
    CrewMemberFactory,
    MembershipFactory,
    TwinFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-passphrase-9"
SHOOT = CreditInput(role="photographer", work="SS26 studio scan", work_date=date(2026, 3, 14))


def _token(text: str) -> str:
    match = re.search(r"/invite/([^/\s]+)/", text)
    assert match is not None
    return match.group(1)


def _credit_new(by, twin, *, name="Ana Pereira", email="Ana@Studio.test", role="photographer"):
    return services.add_credit(
        by=by,
        twin_id=twin.pk,
        credit=CreditInput(role=role, work="SS26 studio scan"),
        new_person=NewCrewMember(full_name=name, email=email),
    )


# --- Credits -------------------------------------------------------------------------------


def test_a_new_person_is_credited_and_emailed_a_link_of_their_own(
    agency_manager, twin, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        credit = services.add_credit(
            by=agency_manager,
            twin_id=twin.pk,
            credit=SHOOT,
            new_person=NewCrewMember(full_name="  Ana   Pereira ", email="Ana@Studio.test"),
        )

    assert (credit.crew_member.full_name, credit.crew_member.email) == (
        "Ana Pereira",
        "ana@studio.test",
    )
    assert (credit.role, credit.work, credit.work_date) == (
        "photographer",
        "SS26 studio scan",
        date(2026, 3, 14),
    )
    invitation = Invitation.objects.get()
    assert (invitation.crew_member, invitation.talent, invitation.email) == (
        credit.crew_member,
        None,
        "ana@studio.test",
    )
    assert [m.to for m in mailoutbox] == [["ana@studio.test"]]
    assert "credited your work" in mailoutbox[0].body
    assert invitation.token_hash not in mailoutbox[0].body  # only the hash is stored
    assert talent_selectors.twin_history(twin)[0].sentence.startswith(
        f"{twin.agency.name} credited Ana Pereira, Photographer"
    )


def test_an_existing_crew_member_is_credited_without_a_new_invitation(agency_manager, twin):
    person = CrewMemberFactory(agency=twin.agency)

    credit = services.add_credit(
        by=agency_manager, twin_id=twin.pk, credit=SHOOT, crew_member_id=person.pk
    )

    assert credit.crew_member == person
    assert not Invitation.objects.exists()


def test_the_same_person_in_the_same_role_twice_is_refused(agency_manager, twin):
    person = CrewMemberFactory(agency=twin.agency)
    services.add_credit(by=agency_manager, twin_id=twin.pk, credit=SHOOT, crew_member_id=person.pk)

    with pytest.raises(ValidationFailed, match="already credited on this twin as Photographer"):
        services.add_credit(
            by=agency_manager, twin_id=twin.pk, credit=SHOOT, crew_member_id=person.pk
        )
    # Another role is another credit.
    services.add_credit(
        by=agency_manager,
        twin_id=twin.pk,
        credit=CreditInput(role="stylist", work="SS26 studio scan"),
        crew_member_id=person.pk,
    )
    assert Credit.objects.filter(crew_member=person).count() == 2


def test_the_database_keeps_one_credit_per_twin_person_and_role(twin):
    credit = CreditFactory(twin=twin)

    with pytest.raises(IntegrityError), transaction.atomic():
        Credit.objects.create(
            twin=twin, crew_member=credit.crew_member, role=credit.role, work="Another day"
        )


def test_the_database_keeps_one_crew_member_per_agency_and_email_whatever_the_case(agency):
    CrewMemberFactory(agency=agency, email="ana@studio.test")

    with pytest.raises(IntegrityError), transaction.atomic():
        CrewMember.objects.create(agency=agency, full_name="Ana P.", email="ANA@Studio.test")


def test_a_known_email_is_a_clear_error_not_a_second_person(agency_manager, twin):
    CrewMemberFactory(agency=twin.agency, email="ana@studio.test")

    with pytest.raises(ValidationFailed, match="already credits someone with that email"):
        _credit_new(agency_manager, twin, email="ANA@studio.test")
    assert CrewMember.objects.count() == 1
    assert not Credit.objects.exists()


def test_another_agency_may_credit_the_same_person(agency_manager, twin, other_agency):
    CrewMemberFactory(agency=other_agency, email="ana@studio.test")

    _credit_new(agency_manager, twin)

    assert CrewMember.objects.filter(email="ana@studio.test").count() == 2


@pytest.mark.parametrize(
    ("credit", "field"),
    [
        (CreditInput(role="director", work="SS26"), "role"),
        (CreditInput(role="stylist", work="   "), "work"),
        (CreditInput(role="stylist", work="x" * 201), "work"),
    ],
)
def test_bad_credit_input_is_a_clear_error_and_writes_nothing(agency_manager, twin, credit, field):
    with pytest.raises(ValidationFailed) as caught:
        services.add_credit(
            by=agency_manager,
            twin_id=twin.pk,
            credit=credit,
            new_person=NewCrewMember(full_name="Ana", email="ana@studio.test"),
        )

    assert caught.value.field == field
    assert not CrewMember.objects.exists() and not Credit.objects.exists()


def test_another_agencys_twin_or_crew_member_is_not_found_and_nothing_changes(
    agency_manager, twin, other_agency
):
    foreign_twin = TwinFactory(talent__agency=other_agency)
    foreign_person = CrewMemberFactory(agency=other_agency)
    foreign_credit = CreditFactory(twin=foreign_twin, crew_member=foreign_person)
    events = AuditEvent.objects.count()

    with pytest.raises(Twin.DoesNotExist):
        _credit_new(agency_manager, foreign_twin)
    with pytest.raises(CrewMember.DoesNotExist):
        services.add_credit(
            by=agency_manager, twin_id=twin.pk, credit=SHOOT, crew_member_id=foreign_person.pk
        )
    with pytest.raises(Credit.DoesNotExist):
        services.remove_credit(
            by=agency_manager, twin_id=foreign_twin.pk, credit_id=foreign_credit.pk
        )
    with pytest.raises(CrewMember.DoesNotExist):
        services.invite_crew(by=agency_manager, crew_member_id=foreign_person.pk)
    with pytest.raises(CrewMember.DoesNotExist):
        services.cancel_crew_invitation(by=agency_manager, crew_member_id=foreign_person.pk)

    assert list(Credit.objects.values_list("pk", flat=True)) == [foreign_credit.pk]
    assert CrewMember.objects.count() == 1
    assert not Invitation.objects.exists()
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize("role", ["finance", "member"])
def test_only_owners_and_bookers_change_credits(twin, role):
    reader = MembershipFactory(organisation=twin.agency, role=role)
    credit = CreditFactory(twin=twin)

    with pytest.raises(PermissionDenied):
        _credit_new(reader, twin)
    with pytest.raises(PermissionDenied):
        services.remove_credit(by=reader, twin_id=twin.pk, credit_id=credit.pk)
    with pytest.raises(PermissionDenied):
        services.invite_crew(by=reader, crew_member_id=credit.crew_member_id)


def test_a_brand_cannot_credit(brand_manager, twin):
    with pytest.raises(PermissionDenied):
        _credit_new(brand_manager, twin)


def test_removing_a_credit_is_audited_on_the_twin_and_keeps_the_person(agency_manager, twin):
    credit = _credit_new(agency_manager, twin)

    services.remove_credit(by=agency_manager, twin_id=twin.pk, credit_id=credit.pk)

    assert not Credit.objects.exists()
    assert CrewMember.objects.filter(pk=credit.crew_member_id).exists()
    event = AuditEvent.objects.filter(verb="twin.credit_removed").get()
    assert (event.target_id, event.actor_id, event.data["credit"]) == (
        twin.pk,
        agency_manager.user_id,
        "Ana Pereira, Photographer",
    )
    assert talent_selectors.twin_history(twin)[0].sentence.startswith(
        f"{twin.agency.name} removed the credit of Ana Pereira, Photographer"
    )


def test_a_credit_is_removed_only_through_its_own_twin(agency_manager, twin):
    credit = _credit_new(agency_manager, twin)
    other_twin = TwinFactory(talent=twin.talent)

    with pytest.raises(Credit.DoesNotExist):
        services.remove_credit(by=agency_manager, twin_id=other_twin.pk, credit_id=credit.pk)
    assert Credit.objects.filter(pk=credit.pk).exists()


# --- Invitations ---------------------------------------------------------------------------


def test_inviting_while_an_invitation_is_pending_is_a_clear_error(agency_manager, twin):
    credit = _credit_new(agency_manager, twin)

    with pytest.raises(ValidationFailed, match="already has an invitation waiting, valid until"):
        services.invite_crew(by=agency_manager, crew_member_id=credit.crew_member_id)
    assert Invitation.objects.count() == 1


def test_after_cancelling_or_expiry_a_new_invitation_may_be_sent(agency_manager, twin):
    credit = _credit_new(agency_manager, twin)
    person = credit.crew_member_id

    assert services.cancel_crew_invitation(by=agency_manager, crew_member_id=person) == 1
    again = services.invite_crew(by=agency_manager, crew_member_id=person)
    Invitation.objects.filter(pk=again.invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    third = services.invite_crew(by=agency_manager, crew_member_id=person)

    assert Invitation.objects.pending().get() == third.invitation


def test_the_crew_member_accepts_and_has_a_login_of_their_own(agency_manager, twin):
    credit = _credit_new(agency_manager, twin)
    token = _token(services_url(agency_manager, credit))

    user = accounts.accept_invitation(token=token, full_name="Ana Pereira", password=PASSWORD)

    credit.crew_member.refresh_from_db()
    assert credit.crew_member.user == user
    assert user.email == "ana@studio.test"
    assert not Membership.objects.filter(user=user).exists()  # crew, not the agency's team


def services_url(by, credit) -> str:
    """A fresh link for the credit's person (the first one's token is only in the email)."""
    services.cancel_crew_invitation(by=by, crew_member_id=credit.crew_member_id)
    return services.invite_crew(by=by, crew_member_id=credit.crew_member_id).url


def test_a_used_or_expired_link_is_refused_clearly(agency_manager, twin):
    credit = _credit_new(agency_manager, twin)
    token = _token(services_url(agency_manager, credit))
    accounts.accept_invitation(token=token, full_name="Ana", password=PASSWORD)

    with pytest.raises(ValidationFailed, match="invalid, used or expired"):
        accounts.accept_invitation(token=token, full_name="Ana", password=PASSWORD)

    person = CrewMemberFactory(agency=twin.agency)
    late = services.invite_crew(by=agency_manager, crew_member_id=person.pk)
    Invitation.objects.filter(pk=late.invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(ValidationFailed, match="invalid, used or expired"):
        accounts.accept_invitation(token=_token(late.url), full_name="B", password=PASSWORD)
    person.refresh_from_db()
    assert person.user is None


def test_a_crew_member_with_a_login_is_not_invited_again(agency_manager, twin):
    person = CrewMemberFactory(agency=twin.agency, user=UserFactory())

    with pytest.raises(ValidationFailed, match="already has a login"):
        services.invite_crew(by=agency_manager, crew_member_id=person.pk)


def test_one_login_holds_crew_profiles_at_several_agencies(agency_manager, twin, other_agency):
    user = UserFactory(email="ana@studio.test")
    CrewMemberFactory(agency=other_agency, email="ana@studio.test", user=user)
    credit = _credit_new(agency_manager, twin)

    accepted = accounts.accept_invitation(
        token=_token(services_url(agency_manager, credit)), full_name="Ana", password=""
    )

    assert accepted == user
    assert CrewMember.objects.filter(user=user).count() == 2


def test_a_login_that_is_already_another_crew_profile_at_the_agency_is_refused(
    agency_manager, twin
):
    user = UserFactory(email="ana@studio.test")
    CrewMemberFactory(agency=twin.agency, email="ana.old@studio.test", user=user)
    credit = _credit_new(agency_manager, twin)

    with pytest.raises(ValidationFailed, match="already another crew profile at this agency"):
        accounts.accept_invitation(
            token=_token(services_url(agency_manager, credit)), full_name="Ana", password=""
        )
    credit.crew_member.refresh_from_db()
    assert credit.crew_member.user is None
    assert Invitation.objects.pending().count() == 1  # nothing accepted


def test_an_invitation_is_for_a_talent_or_a_crew_member_never_both(agency, twin):
    person = CrewMemberFactory(agency=agency)

    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.create(
            organisation=agency,
            email="x@example.test",
            talent=twin.talent,
            crew_member=person,
            token_hash="1" * 64,
        )


def test_a_crew_invitation_is_not_a_team_invitation(agency_owner, agency_manager, twin):
    _credit_new(agency_manager, twin)

    # The team page does not list it, and the same address may still join the team.
    accounts.invite_member(by=agency_owner, email="ana@studio.test", role="member")
    assert Invitation.objects.for_team().get().email == "ana@studio.test"
    assert Invitation.objects.count() == 2
