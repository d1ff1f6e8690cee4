"""Every licence transition: locked (twin first, then licence), permission-checked, audited,
and announced to the parties after commit."""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from marketplace.accounts.models import Membership
from marketplace.core import audit, http
from marketplace.core.entry_points import system_entry_point
from marketplace.core.errors import PermissionDenied, TransitionError, ValidationFailed
from marketplace.core.money import format_money
from marketplace.talent.models import Talent, Twin

from . import exclusivity, notifications, quotes, signals, territories
from .exclusivity import ExclusivityConflict as ExclusivityConflict
from .models import (
    Consent,
    ConsentRevocation,
    Licence,
    LicenceTerms,
)
from .terms import CheckedTerms, TermsInput, check_terms, checked_from_terms, quote_terms

S = Licence.Status


# --- Exclusivity ----------------------------------------------------------------------------


def _release_lapsed_holds(twin_id: int, now: datetime) -> None:
    """Lapse reservations that ran out on this twin, so they stop blocking right away."""
    lapsed = list(
        Licence.objects.filter(
            twin_id=twin_id, status__in=Licence.OPEN, reserved_until__lt=now
        ).values_list("pk", flat=True)
    )
    for licence_id in lapsed:
        _lapse(Licence.objects.select_for_update().get(pk=licence_id))


# --- Locking helpers -------------------------------------------------------------------------


def _lock(licence_qs, reference_or_id: int | str) -> Licence:
    """Twin first, then the licence: one lock order for every service."""
    lookup: dict[str, int | str] = (
        {"pk": reference_or_id}
        if isinstance(reference_or_id, int)
        else {"reference": reference_or_id}
    )
    twin_id = licence_qs.values_list("twin_id", flat=True).get(**lookup)
    Twin.objects.select_for_update().filter(pk=twin_id).first()
    return (
        licence_qs.select_for_update(of=("self",))
        .select_related("terms", "twin", "brand", "agency", "talent")
        .get(**lookup)
    )


def _require(licence: Licence, *allowed: str) -> None:
    if licence.status not in allowed:
        raise TransitionError(
            f"This licence is {licence.get_status_display().lower()}; "
            "that action is no longer possible."
        )


def _set_status(
    licence: Licence,
    status: str,
    *,
    actor: Any,
    verb: str,
    reason: str = "",
    data: dict[str, Any] | None = None,
    **fields: Any,
) -> None:
    licence.status = status
    licence.status_reason = reason
    for name, value in fields.items():
        setattr(licence, name, value)
    licence.save()
    audit.record(
        licence,
        verb,
        actor=actor,
        organisation=None,
        data={"status": status, **({"reason": reason} if reason else {}), **(data or {})},
    )


def _reservation_deadline() -> datetime:
    return timezone.now() + timedelta(hours=settings.LICENCE_RESERVATION_HOURS)


def _new_reference() -> str:
    return "LIC-" + secrets.token_hex(4).upper()


def _write_terms(
    licence: Licence, checked: CheckedTerms, quote: quotes.Quote, *, proposer: str
) -> LicenceTerms:
    version = licence.versions.count() + 1
    payload = {
        "licence": licence.reference,
        "version": version,
        "twin": licence.twin.slug,
        "brand": licence.brand_id,
        "media_types": checked.media_types,
        "territories": checked.countries,
        "start_date": checked.start_date.isoformat(),
        "end_date": checked.end_date.isoformat(),
        "category": checked.category.slug,
        "max_uses": checked.max_uses,
        "exclusive": checked.exclusive,
        "alteration_limits": checked.alteration_limits,
        "ai_training_forbidden": checked.ai_training_forbidden,
        "intended_use": checked.intended_use,
        "quote": quote.as_dict(),
    }
    if checked.image_approval:
        # Hashed (so consented) only when on: terms without it hash as they always did.
        payload["image_approval"] = {
            "answer_hours": checked.approval_hours,
            "agency_may_answer": checked.agency_may_answer,
        }
    terms = LicenceTerms.objects.create(
        licence=licence,
        version=version,
        proposed_by=proposer,
        media_types=checked.media_types,
        territories=checked.countries,
        territory_label=territories.describe(checked.countries)[:200],
        start_date=checked.start_date,
        end_date=checked.end_date,
        category=checked.category,
        max_uses=checked.max_uses,
        exclusive=checked.exclusive,
        alteration_limits=checked.alteration_limits,
        ai_training_forbidden=checked.ai_training_forbidden,
        intended_use=checked.intended_use,
        image_approval=checked.image_approval,
        approval_hours=checked.approval_hours,
        agency_may_answer=checked.agency_may_answer,
        quote=quote.as_dict(),
        currency=quote.currency,
        total_fee=quote.total,
        terms_hash=quotes.terms_hash(payload),
    )
    licence.terms = terms
    licence.save(update_fields=["terms", "updated_at"])
    return terms


def _brand_manager(by: Membership) -> None:
    if not by.organisation.is_brand:
        raise PermissionDenied("Only brands request licences.")
    if not by.can_manage:
        raise PermissionDenied("Only owners and managers can commit the brand to a licence.")


def _agency_manager(by: Membership) -> None:
    if not by.organisation.is_agency:
        raise PermissionDenied("Only the agency reviews requests.")
    if not by.can_manage:
        raise PermissionDenied("Only owners and bookers can decide on requests.")


# --- Brand ----------------------------------------------------------------------------------


def check_may_request_licence(by: Membership) -> None:
    """Raises PermissionDenied unless `by` may commit the brand to a licence."""
    _brand_manager(by)


@transaction.atomic
def request_licence(*, by: Membership, twin_id: int, terms: TermsInput) -> Licence:
    """A brand asks to use a twin. Reserves the slot while the agency reviews.

    A request in a category the talent refuses is created and declined at once, with the
    reason. Raises ValidationFailed, ExclusivityConflict, PermissionDenied,
    Twin.DoesNotExist.
    """
    check_may_request_licence(by)
    twin = (
        Twin.objects.select_for_update(of=("self",))
        .in_catalogue()
        .select_related("agency", "talent", "rate_card")
        .get(pk=twin_id)
    )
    if not twin.is_bookable:
        raise ValidationFailed("This twin is not taking bookings at the moment.")
    if twin.image_approval and terms.image_approval is False:
        # The model's own choice for her twin: a brand may ask for approval, never waive it.
        raise ValidationFailed(
            "The model approves every image of this twin before use; a request cannot waive it.",
            field="image_approval",
        )
    checked = check_terms(twin, terms)
    quote = quote_terms(twin, checked)
    now = timezone.now()
    _release_lapsed_holds(twin.pk, now)
    licence = Licence.objects.create(
        reference=_new_reference(),
        brand=by.organisation,
        agency=twin.agency,
        twin=twin,
        talent=twin.talent,
        requested_by=by.user,
        reserved_until=_reservation_deadline(),
    )
    _write_terms(licence, checked, quote, proposer=LicenceTerms.Proposer.BRAND)
    audit.record(
        licence,
        "licence.requested",
        actor=by.user,
        data={"terms_hash": licence.current_terms.terms_hash, "total": quote.total},
    )
    if twin.talent.restricted_categories.filter(pk=checked.category.pk).exists():
        _set_status(
            licence,
            S.DECLINED,
            actor=None,
            verb="licence.auto_declined",
            reason=f"The model does not allow their likeness to be used for "
            f"{checked.category.name}.",
            reserved_until=None,
        )
        notifications.tell(licence, "declined", brand=True, note=licence.status_reason)
        return licence
    exclusivity.hold(licence, checked)
    notifications.tell(licence, "requested", agency=True)
    return licence


WITHDRAWABLE = (S.REQUESTED, S.COUNTERED, S.AWAITING_CONSENT, S.CONSENTED)


def can_withdraw(licence: Licence) -> bool:
    """Whether the brand may still withdraw: until the first signature on the contract."""
    return licence.status in WITHDRAWABLE and not (
        licence.status == S.CONSENTED and licence.signing_started_at is not None
    )


@transaction.atomic
def withdraw_licence(*, by: Membership, reference: str, reason: str = "") -> Licence:
    _brand_manager(by)
    licence = _lock(Licence.objects.for_brand(by.organisation), reference)
    _require(licence, *WITHDRAWABLE)
    if not can_withdraw(licence):
        raise TransitionError(
            "The contract is being signed; a signed licence cannot be "
            "withdrawn. Ask the agency to decline it instead."
        )
    exclusivity.release(licence)
    _set_status(
        licence,
        S.WITHDRAWN,
        actor=by.user,
        verb="licence.withdrawn",
        reason=reason,
        reserved_until=None,
        ended_at=timezone.now(),
    )
    notifications.tell(
        licence,
        "withdrawn",
        agency=True,
        talent=licence.versions.filter(consents__isnull=False).exists(),
    )
    return licence


@transaction.atomic
def accept_counter(*, by: Membership, reference: str) -> Licence:
    _brand_manager(by)
    licence = _lock(Licence.objects.for_brand(by.organisation), reference)
    _require(licence, S.COUNTERED)
    if not licence.holds.filter(active=True).exists():
        exclusivity.hold(licence, checked_from_terms(licence.current_terms))
    _set_status(
        licence,
        S.AWAITING_CONSENT,
        actor=by.user,
        verb="licence.counter_accepted",
        reserved_until=_reservation_deadline(),
    )
    notifications.tell(licence, "counter_accepted", agency=True)
    notifications.tell(licence, "consent_needed", talent=True)
    return licence


@transaction.atomic
def decline_counter(*, by: Membership, reference: str, reason: str = "") -> Licence:
    _brand_manager(by)
    licence = _lock(Licence.objects.for_brand(by.organisation), reference)
    _require(licence, S.COUNTERED)
    exclusivity.release(licence)
    _set_status(
        licence,
        S.DECLINED,
        actor=by.user,
        verb="licence.counter_declined",
        reason=reason or "The brand declined the counter-offer.",
        reserved_until=None,
    )
    notifications.tell(licence, "counter_declined", agency=True)
    return licence


# --- Agency ---------------------------------------------------------------------------------


@transaction.atomic
def approve_licence(*, by: Membership, reference: str) -> Licence:
    """The agency agrees; the slot is held for the reservation window while the model
    consents, the parties sign and the brand pays."""
    _agency_manager(by)
    licence = _lock(Licence.objects.for_agency(by.organisation), reference)
    _require(licence, S.REQUESTED)
    if licence.twin.consent_revoked_at:
        raise TransitionError("The model has revoked consent for this twin.")
    if not licence.holds.filter(active=True).exists():
        exclusivity.hold(licence, checked_from_terms(licence.current_terms))
    _set_status(
        licence,
        S.AWAITING_CONSENT,
        actor=by.user,
        verb="licence.approved",
        reserved_until=_reservation_deadline(),
    )
    notifications.tell(licence, "approved", brand=True)
    notifications.tell(licence, "consent_needed", talent=True)
    return licence


@transaction.atomic
def counter_licence(*, by: Membership, reference: str, terms: TermsInput) -> Licence:
    """The agency proposes other terms; the brand accepts or declines them."""
    _agency_manager(by)
    licence = _lock(Licence.objects.for_agency(by.organisation), reference)
    _require(licence, S.REQUESTED)
    twin = Twin.objects.select_related("agency", "rate_card").get(pk=licence.twin_id)
    checked = check_terms(twin, terms)
    quote = quote_terms(twin, checked)
    _write_terms(licence, checked, quote, proposer=LicenceTerms.Proposer.AGENCY)
    exclusivity.hold(licence, checked)
    _set_status(
        licence,
        S.COUNTERED,
        actor=by.user,
        verb="licence.countered",
        reserved_until=_reservation_deadline(),
        data={"terms_hash": licence.current_terms.terms_hash, "total": quote.total},
    )
    notifications.tell(licence, "countered", brand=True)
    return licence


@transaction.atomic
def decline_licence(*, by: Membership, reference: str, reason: str) -> Licence:
    _agency_manager(by)
    if not reason.strip():
        raise ValidationFailed("Give the brand a reason.", field="reason")
    licence = _lock(Licence.objects.for_agency(by.organisation), reference)
    _require(licence, S.REQUESTED, S.COUNTERED)
    exclusivity.release(licence)
    _set_status(
        licence,
        S.DECLINED,
        actor=by.user,
        verb="licence.declined",
        reason=reason.strip(),
        reserved_until=None,
    )
    notifications.tell(licence, "declined", brand=True, note=licence.status_reason)
    return licence


# --- Talent ---------------------------------------------------------------------------------


def consent_statement(licence: Licence) -> str:
    t = licence.current_terms
    fee = quotes.Split(**t.quote["split"])
    uses = f"at most {t.max_uses} uses" if t.max_uses else "metered use, paid per use"
    return (
        f"I, {licence.talent.full_name}, consent to {licence.brand.name} using my digital twin "
        f"'{licence.twin.display_name}' for {', '.join(t.media_labels())} in "
        f"{t.territory_label}, for {t.category.name}, from {t.start_date:%d %B %Y} to "
        f'{t.end_date:%d %B %Y} ({uses}), for this purpose: "{t.intended_use}". '
        f"{'Exclusive. ' if t.exclusive else ''}"
        f"{'No AI training. ' if t.ai_training_forbidden else ''}"
        f"{t.approval_rule + ' ' + t.approval_premium_note + ' ' if t.image_approval else ''}"
        f"My share is {format_money(fee.talent_share, t.currency)} of a licence fee of "
        f"{format_money(t.total_fee, t.currency)}. "
        f"Terms hash {t.terms_hash}."
    )


def same_name(typed: str, expected: str) -> bool:
    """Does the typed name match, whatever the case, spacing or Unicode composition? The one
    rule for consent and contract signatures; the name is stored as it was typed."""

    def normal(name: str) -> str:
        return " ".join(unicodedata.normalize("NFKC", name).casefold().split())

    return normal(typed) == normal(expected)


@dataclass(frozen=True)
class RequestContext:
    """Where a consent or signature came from: recorded with it."""

    ip_address: str | None = None
    user_agent: str = ""

    @classmethod
    def of(cls, request: HttpRequest) -> RequestContext:
        return cls(ip_address=http.client_ip(request), user_agent=http.user_agent(request))


@transaction.atomic
def give_consent(
    *,
    talent: Talent,
    user: Any,
    reference: str,
    typed_name: str,
    terms_hash: str,
    context: RequestContext,
) -> Consent:
    """The model's explicit, written consent to the exact terms they were shown."""
    licence = _lock(Licence.objects.for_talent(talent), reference)
    _require(licence, S.AWAITING_CONSENT)
    if terms_hash != licence.current_terms.terms_hash:
        raise ValidationFailed(
            "The terms changed since you opened this page. Review them again before consenting.",
            code="terms_changed",
        )
    if not same_name(typed_name, talent.full_name):
        raise ValidationFailed(
            f"Type your full name exactly as '{talent.full_name}' to sign.", field="typed_name"
        )
    consent = Consent.objects.create(
        licence=licence,
        terms=licence.current_terms,
        talent=talent,
        user=user,
        decision=Consent.Decision.GIVEN,
        typed_name=typed_name.strip(),
        statement=consent_statement(licence),
        terms_hash=licence.current_terms.terms_hash,
        ip_address=context.ip_address,
        user_agent=context.user_agent[:400],
    )
    _set_status(
        licence,
        S.CONSENTED,
        actor=user,
        verb="licence.consented",
        data={"terms_hash": consent.terms_hash, "consent_id": consent.pk},
        # A fresh reservation window for signing and payment, which follow consent.
        reserved_until=_reservation_deadline(),
    )
    # The contracts app subscribes to "consented" and generates the contract after commit.
    notifications.tell(licence, "consented", brand=True, agency=True)
    return consent


@transaction.atomic
def refuse_consent(
    *, talent: Talent, user: Any, reference: str, reason: str, context: RequestContext
) -> Consent:
    licence = _lock(Licence.objects.for_talent(talent), reference)
    _require(licence, S.AWAITING_CONSENT)
    consent = Consent.objects.create(
        licence=licence,
        terms=licence.current_terms,
        talent=talent,
        user=user,
        decision=Consent.Decision.REFUSED,
        typed_name=talent.full_name,
        statement=consent_statement(licence),
        terms_hash=licence.current_terms.terms_hash,
        reason=reason.strip(),
        ip_address=context.ip_address,
        user_agent=context.user_agent[:400],
    )
    exclusivity.release(licence)
    _set_status(
        licence,
        S.REFUSED,
        actor=user,
        verb="licence.refused",
        reason=reason.strip() or "The model refused consent.",
        reserved_until=None,
        ended_at=timezone.now(),
    )
    notifications.tell(licence, "refused", brand=True, agency=True, note=reason)
    return consent


def revocation_end(licence: Licence, *, today: date) -> date | None:
    """The day an active licence ends if the model revokes consent `today`: the earliest end
    its notice period allows. None when it would end before its first day (it ends now)."""
    if licence.status != S.ACTIVE:
        return None
    terms = licence.current_terms
    ends = min(today + timedelta(days=terms.revocation_notice_days), terms.end_date)
    return ends if ends >= terms.start_date else None


@transaction.atomic
def revoke_twin_consent(
    *, talent: Talent, user: Any, twin_id: int, reason: str, context: RequestContext
) -> ConsentRevocation:
    """The model withdraws consent for a twin.

    No new licences; open licences end now; active ones end at the earliest point their terms
    allow (the notice period), which is written on the licence. Raises ValidationFailed.
    """
    twin = Twin.objects.select_for_update().for_talent(talent).get(pk=twin_id)
    if twin.consent_revoked_at:
        raise ValidationFailed("Consent for this twin is already revoked.")
    now = timezone.now()
    today = timezone.localdate()
    revocation = ConsentRevocation.objects.create(
        twin=twin, talent=talent, user=user, reason=reason.strip(), ip_address=context.ip_address
    )
    twin.consent_revoked_at = now
    twin.save(update_fields=["consent_revoked_at", "updated_at"])
    audit.record(
        twin,
        "twin.consent_revoked",
        actor=user,
        organisation=twin.agency,
        data={"reason": reason.strip()},
    )
    for licence in (
        Licence.objects.select_for_update(of=("self",))
        .filter(twin=twin, status__in=Licence.HOLDING)
        .select_related("terms", "brand", "twin", "talent", "agency")
    ):
        ends = revocation_end(licence, today=today)
        if ends is not None:
            exclusivity.shorten(licence, ends)
            note = (
                f"The model revoked consent on {today:%Y-%m-%d}: no use from that day on. "
                f"Under the terms' {licence.current_terms.revocation_notice_days}-day notice "
                f"this licence ends on {ends:%Y-%m-%d}."
            )
            licence.ends_early_on = ends
            licence.status_reason = note
            licence.save(update_fields=["ends_early_on", "status_reason", "updated_at"])
            audit.record(licence, "licence.ends_early", actor=user, data={"ends": str(ends)})
            if ends < licence.current_terms.end_date:
                transaction.on_commit(partial(_announce_ends_early, licence.pk))
        else:
            exclusivity.release(licence)
            note = (
                f"The model revoked consent for this twin on {today:%Y-%m-%d}, "
                "before the licence started: it ends now."
            )
            _set_status(
                licence,
                S.REVOKED,
                actor=user,
                verb="licence.revoked",
                reason=note,
                reserved_until=None,
                ended_at=now,
            )
        notifications.tell(licence, "revoked", brand=True, agency=True, note=note)
    return revocation


def _announce_ends_early(licence_id: int) -> None:
    signals.licence_ends_early.send(sender=Licence, licence_id=licence_id)


# --- Later stages and time ------------------------------------------------------------------


def valid_consent(licence: Licence) -> Consent | None:
    return Consent.objects.filter(
        licence=licence,
        terms=licence.current_terms,
        decision=Consent.Decision.GIVEN,
        terms_hash=licence.current_terms.terms_hash,
    ).first()


@system_entry_point
@transaction.atomic
def activate_licence(*, licence_id: int, actor: Any = None) -> Licence:
    """Paid and signed: the licence starts. Refuses without the model's valid consent."""
    licence = _lock(Licence.objects.all(), licence_id)
    if licence.status == S.ACTIVE:
        return licence
    _require(licence, S.CONSENTED, S.AWAITING_PAYMENT)
    if licence.twin.consent_revoked_at:
        raise TransitionError("The model revoked consent for this twin.")
    if valid_consent(licence) is None:
        raise TransitionError(
            "No licence becomes active without the model's consent to these exact terms."
        )
    if not licence.holds.filter(active=True).exists():
        exclusivity.hold(licence, checked_from_terms(licence.current_terms))
    _set_status(
        licence,
        S.ACTIVE,
        actor=actor,
        verb="licence.activated",
        reserved_until=None,
        activated_at=timezone.now(),
    )
    notifications.tell(licence, "activated", brand=True, agency=True, talent=True)
    return licence


def _lapse(licence: Licence) -> None:
    exclusivity.release(licence)
    _set_status(
        licence,
        S.LAPSED,
        actor=None,
        verb="licence.lapsed",
        reason="The reservation ran out before the licence was completed.",
        reserved_until=None,
        ended_at=timezone.now(),
    )
    notifications.tell(licence, "lapsed", brand=True, agency=True)


@system_entry_point
def lapse_reservations(*, now: datetime | None = None) -> int:
    """Periodic: open licences whose reservation ran out lapse. Idempotent."""
    now = now or timezone.now()
    count = 0
    for licence_id in Licence.objects.filter(
        status__in=Licence.OPEN, reserved_until__lt=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            licence = _lock(Licence.objects.all(), licence_id)
            if (
                licence.status in Licence.OPEN
                and licence.reserved_until
                and licence.reserved_until < now
            ):
                _lapse(licence)
                count += 1
    return count


@system_entry_point
def expire_licences(*, today: date | None = None) -> int:
    """Periodic: active licences past their (possibly early) end expire. Idempotent."""
    today = today or timezone.localdate()
    due = (
        Licence.objects.filter(status=S.ACTIVE)
        .filter(Q(terms__end_date__lt=today) | Q(ends_early_on__lt=today))
        .values_list("pk", flat=True)
    )
    count = 0
    for licence_id in due:
        with transaction.atomic():
            licence = _lock(Licence.objects.all(), licence_id)
            end = licence.effective_end
            if licence.status != S.ACTIVE or end is None or end >= today:
                continue
            exclusivity.release(licence)
            revoked = bool(
                licence.ends_early_on and licence.ends_early_on < licence.current_terms.end_date
            )
            _set_status(
                licence,
                S.REVOKED if revoked else S.EXPIRED,
                actor=None,
                verb="licence.expired",
                reason=licence.status_reason if revoked else "",
                ended_at=timezone.now(),
            )
            notifications.tell(licence, "expired", brand=True, agency=True, talent=True)
            count += 1
    return count


@system_entry_point
def remind_ending(*, today: date | None = None, days: int = 30) -> int:
    """Periodic: 30 days before the end, remind brand and agency and offer renewal. Once."""
    today = today or timezone.localdate()
    horizon = today + timedelta(days=days)
    count = 0
    for licence_id in Licence.objects.filter(
        status=S.ACTIVE, reminded_at__isnull=True, terms__end_date__lte=horizon
    ).values_list("pk", flat=True):
        with transaction.atomic():
            licence = _lock(Licence.objects.all(), licence_id)
            if licence.reminded_at or licence.status != S.ACTIVE:
                continue
            licence.reminded_at = timezone.now()
            licence.save(update_fields=["reminded_at", "updated_at"])
            audit.record(licence, "licence.reminded", data={"end": str(licence.effective_end)})
            notifications.tell(licence, "ending_soon", brand=True, agency=True)
            count += 1
    return count


# --- Contract (called by marketplace.contracts) --------------------------------------------


@system_entry_point
@transaction.atomic
def mark_signing_started(*, licence_id: int) -> Licence:
    """A party signed the licence's contract: from now on the brand can no longer withdraw.

    Called by the contracts app in the signature's transaction (lock order: contract, then
    twin and licence), so a withdrawal and a first signature cannot both succeed."""
    licence = _lock(Licence.objects.all(), licence_id)
    if licence.signing_started_at is None:
        licence.signing_started_at = timezone.now()
        licence.save(update_fields=["signing_started_at", "updated_at"])
    return licence


@system_entry_point
@transaction.atomic
def contract_executed(*, licence_id: int, actor: Any = None) -> Licence:
    """All three parties signed and the executed contract is sealed: payment is next.

    Idempotent: a licence already past signing is returned unchanged."""
    licence = _lock(Licence.objects.all(), licence_id)
    if licence.status in (S.AWAITING_PAYMENT, S.ACTIVE):
        return licence
    _require(licence, S.CONSENTED)
    _set_status(licence, S.AWAITING_PAYMENT, actor=actor, verb="licence.contract_executed")
    notifications.tell(licence, "contract_executed", brand=True, agency=True, talent=True)
    return licence


@system_entry_point
@transaction.atomic
def contract_declined(*, licence_id: int, by_role: str, reason: str, actor: Any = None) -> Licence:
    """A party declined to sign: the licence goes back to the agency, with the reason.

    The terms are written again as a new version (same scope and price), because the model's
    consent covered the old version: approving again asks the model for a fresh consent,
    which leads to a new contract. The reservation is renewed for the agency's review."""
    licence = _lock(Licence.objects.all(), licence_id)
    _require(licence, S.CONSENTED)
    old = licence.current_terms
    stored = dict(old.quote)
    quote = quotes.Quote(**{**stored, "split": quotes.Split(**stored["split"])})
    _write_terms(licence, checked_from_terms(old), quote, proposer=old.proposed_by)
    note = f"The {by_role.lower()} declined to sign the contract: {reason.strip()}"
    _set_status(
        licence,
        S.REQUESTED,
        actor=actor,
        verb="licence.contract_declined",
        reason=note,
        reserved_until=_reservation_deadline(),
        # The declined contract is void; the next one starts unsigned.
        signing_started_at=None,
        data={"role": by_role, "terms_hash": licence.current_terms.terms_hash},
    )
    notifications.tell(
        licence, "contract_declined", brand=True, agency=True, talent=True, note=note
    )
    return licence
