"""Double-entry ledger. Balances are derived from entries, never stored."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum

from marketplace.accounts.models import Organisation
from marketplace.licensing.models import Licence
from marketplace.talent.models import Talent

from .models import LedgerAccount, LedgerEntry, LedgerTransaction

K = LedgerAccount.Kind


class UnbalancedTransaction(ValueError):
    pass


def account(
    kind: str,
    currency: str,
    *,
    organisation: Organisation | None = None,
    talent: Talent | None = None,
) -> LedgerAccount:
    acc, _ = LedgerAccount.objects.get_or_create(
        kind=kind, currency=currency, organisation=organisation, talent=talent
    )
    return acc


def payable(
    currency: str, *, talent: Talent | None = None, organisation: Organisation | None = None
) -> LedgerAccount:
    """What the platform owes one payee: a talent, or else an agency."""
    if talent is not None:
        return account(K.TALENT_PAYABLE, currency, talent=talent)
    return account(K.AGENCY_PAYABLE, currency, organisation=organisation)


@dataclass(frozen=True)
class AccountKey:
    """What names a ledger account: its kind and currency, and whose it is (if anyone's)."""

    kind: str
    currency: str
    organisation_id: int | None = None
    talent_id: int | None = None


def payable_key(
    currency: str, *, talent_id: int | None = None, organisation_id: int | None = None
) -> AccountKey:
    """The key of `payable`'s account, from ids."""
    if talent_id is not None:
        return AccountKey(K.TALENT_PAYABLE, currency, talent_id=talent_id)
    return AccountKey(K.AGENCY_PAYABLE, currency, organisation_id=organisation_id)


def accounts(*keys: AccountKey) -> list[LedgerAccount]:
    """The accounts of `keys`, in order: read in one query, any missing created."""
    wanted = Q()
    for key in keys:
        wanted |= Q(
            kind=key.kind,
            currency=key.currency,
            organisation_id=key.organisation_id,
            talent_id=key.talent_id,
        )
    found = {
        AccountKey(a.kind, a.currency, a.organisation_id, a.talent_id): a
        for a in LedgerAccount.objects.filter(wanted)
    }
    return [
        found.get(key)
        or LedgerAccount.objects.get_or_create(
            kind=key.kind,
            currency=key.currency,
            organisation_id=key.organisation_id,
            talent_id=key.talent_id,
        )[0]
        for key in keys
    ]


@dataclass(frozen=True)
class Line:
    account: LedgerAccount
    amount: int  # + debit, - credit


def post(
    *, key: str, kind: str, description: str, lines: Iterable[Line], licence: Licence | None = None
) -> LedgerTransaction:
    """Write one balanced transaction, once per key. Raises UnbalancedTransaction."""
    lines = [line for line in lines if line.amount != 0]
    totals: dict[str, int] = defaultdict(int)
    for line in lines:
        totals[line.account.currency] += line.amount
    if any(totals.values()) or not lines:
        raise UnbalancedTransaction(f"{key}: entries do not balance ({dict(totals)})")
    existing = LedgerTransaction.objects.filter(key=key).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            txn = LedgerTransaction.objects.create(
                key=key, kind=kind, description=description, licence=licence
            )
            LedgerEntry.objects.bulk_create(
                LedgerEntry(
                    transaction=txn,
                    account=line.account,
                    amount=line.amount,
                    currency=line.account.currency,
                )
                for line in lines
            )
    except IntegrityError:
        # Another worker posted the same key between our check and insert.
        return LedgerTransaction.objects.get(key=key)
    return txn


def balance(acc: LedgerAccount) -> int:
    """Debit-positive balance of one account."""
    return LedgerEntry.objects.filter(account=acc).aggregate(s=Sum("amount"))["s"] or 0


def unbalanced_transactions() -> list[str]:
    """Keys of transactions whose entries do not sum to zero per currency (should be none)."""
    rows = (
        LedgerEntry.objects.values("transaction__key", "currency")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
    )
    return sorted({r["transaction__key"] for r in rows})
