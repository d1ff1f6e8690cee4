"""Writes for crew members and their credits on twins."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction

from marketplace.accounts.models import Invitation, Membership
from marketplace.accounts.services import IssuedInvitation, invite_crew_member, revoke_invitation
from marketplace.core import audit
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.talent.models import Twin

from .models import Credit, CrewMember, CrewRole

logger = logging.getLogger("likeness.crew")


@dataclass(frozen=True)
class NewCrewMember:
    """A person the agency has not credited before."""

    full_name: str
    email: str


@dataclass(frozen=True)
class CreditInput:
    role: str
    work: str
    work_date: date | None = None


def _require_manager(by: Membership) -> None:
    if not by.organisation.is_agency:
        raise PermissionDenied("Only agencies credit crew on their twins.")
    if not by.can_manage:
        raise PermissionDenied("Only owners and bookers can change credits.")


def _checked(credit: CreditInput) -> CreditInput:
    if credit.role not in CrewRole.values:
        raise ValidationFailed("Choose a role from the list.", field="role")
    work = " ".join(credit.work.split())
    if not work:
        raise ValidationFailed("Say which shoot or work the credit is for.", field="work")
    if len(work) > 200:
        raise ValidationFailed("Describe the work in at most 200 characters.", field="work")
    return CreditInput(role=credit.role, work=work, work_date=credit.work_date)


def _new_crew_member(by: Membership, person: NewCrewMember) -> CrewMember:
    name = " ".join(person.full_name.split())
    email = person.email.strip().lower()
    if not name or len(name) > 150:
        raise ValidationFailed("Give the person's name (at most 150 characters).", field="name")
    if not email:
        raise ValidationFailed("Give the person's email address.", field="email")
    try:
        with transaction.atomic():
            crew_member = CrewMember.objects.create(
                agency=by.organisation, full_name=name, email=email
            )
    except IntegrityError as exc:
        raise ValidationFailed(
            "This agency already credits someone with that email: choose them from the list.",
            field="email",
        ) from exc
    audit.record(crew_member, "crew.member_added", actor=by.user, organisation=by.organisation)
    return crew_member


@transaction.atomic
def add_credit(
    *,
    by: Membership,
    twin_id: int,
    credit: CreditInput,
    crew_member_id: int | None = None,
    new_person: NewCrewMember | None = None,
    invite: bool = True,
) -> Credit:
    """Credit a crew member (one of the agency's, or a new one) on one of its twins, and by
    default email a new person a link to a login of their own.

    Raises PermissionDenied, ValidationFailed, Twin.DoesNotExist and CrewMember.DoesNotExist
    (also for another agency's twin or crew member)."""
    _require_manager(by)
    if (crew_member_id is None) == (new_person is None):
        raise ValidationFailed("Choose a crew member or add a new one, not both.")
    credit = _checked(credit)
    twin = Twin.objects.for_agency(by.organisation).get(pk=twin_id)
    if crew_member_id is not None:
        crew_member = CrewMember.objects.for_agency(by.organisation).get(pk=crew_member_id)
    else:
        assert new_person is not None
        crew_member = _new_crew_member(by, new_person)
    try:
        with transaction.atomic():
            row = Credit.objects.create(
                twin=twin,
                crew_member=crew_member,
                role=credit.role,
                work=credit.work,
                work_date=credit.work_date,
            )
    except IntegrityError as exc:
        raise ValidationFailed(
            f"{crew_member.full_name} is already credited on this twin as "
            f"{CrewRole(credit.role).label}.",
            field="role",
        ) from exc
    audit.record(
        twin,
        "twin.credit_added",
        actor=by.user,
        organisation=by.organisation,
        data={"credit": _credit_line(row), "crew_member": crew_member.pk},
    )
    if invite and new_person is not None:
        invite_crew(by=by, crew_member_id=crew_member.pk)
    logger.info("crew.credit_added", extra={"twin_id": twin.pk, "credit_id": row.pk})
    return row


def _credit_line(credit: Credit) -> str:
    return f"{credit.crew_member.full_name}, {credit.get_role_display()}"


@transaction.atomic
def remove_credit(*, by: Membership, twin_id: int, credit_id: int) -> Credit:
    """Take a credit off the agency's twin; the crew member stays on the agency's list.
    Audited on the twin. Raises PermissionDenied, Credit.DoesNotExist (also for another
    agency's credit, or another twin's)."""
    _require_manager(by)
    credit = (
        Credit.objects.select_for_update(of=("self",))
        .for_agency(by.organisation)
        .select_related("twin", "crew_member")
        .get(pk=credit_id, twin_id=twin_id)
    )
    line = _credit_line(credit)
    twin = credit.twin
    credit.delete()
    audit.record(
        twin,
        "twin.credit_removed",
        actor=by.user,
        organisation=by.organisation,
        data={"credit": line, "crew_member": credit.crew_member_id},
    )
    return credit


@transaction.atomic
def invite_crew(*, by: Membership, crew_member_id: int) -> IssuedInvitation:
    """Email one of the agency's crew members a link to a login of their own (again, once an
    earlier link expired or was revoked). Raises PermissionDenied, ValidationFailed,
    CrewMember.DoesNotExist (also for another agency's crew member)."""
    _require_manager(by)
    # The crew member's row serialises invitations to them, so two bookers cannot both send.
    crew_member = (
        CrewMember.objects.select_for_update().for_agency(by.organisation).get(pk=crew_member_id)
    )
    if crew_member.user_id is not None:
        raise ValidationFailed(f"{crew_member.full_name} already has a login.")
    pending = Invitation.objects.for_organisation(by.organisation).pending()
    waiting = pending.filter(crew_member=crew_member).order_by("-expires_at").first()
    if waiting is not None:
        raise ValidationFailed(
            f"{crew_member.full_name} already has an invitation waiting, valid until "
            f"{waiting.expires_at:%d %b %Y}: cancel it to send a new one."
        )
    return invite_crew_member(by=by, crew_member=crew_member)


@transaction.atomic
def cancel_crew_invitation(*, by: Membership, crew_member_id: int) -> int:
    """Revoke the crew member's pending invitations; their links stop working. Returns how
    many. Raises PermissionDenied, CrewMember.DoesNotExist (also for another agency's)."""
    _require_manager(by)
    crew_member = (
        CrewMember.objects.select_for_update().for_agency(by.organisation).get(pk=crew_member_id)
    )
    pending = (
        Invitation.objects.for_organisation(by.organisation)
        .pending()
        .filter(crew_member=crew_member)
        .values_list("pk", flat=True)
    )
    revoked = 0
    for invitation_id in list(pending):
        revoke_invitation(by=by, invitation_id=invitation_id)
        revoked += 1
    return revoked
