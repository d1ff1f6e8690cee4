"""Compare our ledger and rows with what Stripe says, and report every difference."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum

from marketplace.core.stripe_client import get_stripe_client

from . import ledger
from .models import Charge, LedgerAccount, LedgerEntry, Payout, Refund

logger = logging.getLogger("likeness.payments")


@dataclass
class Report:
    checked: dict[str, int] = field(default_factory=dict)
    differences: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def _all(listing) -> list:
    return list(listing.auto_paging_iter())


def _refunds_waiting_for_balance(client: Any) -> list[Any]:
    """Our refunds Stripe has accepted but not taken from the balance yet (read again from
    Stripe: our copy of their status may be behind)."""
    maybe = Refund.objects.filter(status=Refund.Status.REFUNDED, stripe_status="pending")
    waiting = []
    for stripe_id in maybe.values_list("stripe_id", flat=True):
        refund = client.v1.refunds.retrieve(stripe_id)
        if refund.status == "pending" and not refund.balance_transaction:
            waiting.append(refund)
    return waiting


def reconcile() -> Report:
    report = Report()
    client = get_stripe_client()
    for key in ledger.unbalanced_transactions():
        report.differences.append(f"ledger transaction {key} does not balance")

    # Cash: the ledger's platform cash per currency against Stripe's platform balance.
    cash = dict(
        LedgerEntry.objects.filter(account__kind=LedgerAccount.Kind.CASH)
        .values_list("currency")
        .annotate(s=Sum("amount"))
    )
    balance = client.v1.balance.retrieve()
    stripe_cash: dict[str, int] = defaultdict(int)
    for part in list(balance.available) + list(balance.pending):
        stripe_cash[part.currency.upper()] += part.amount
    # A refund Stripe holds pending until the balance covers it has not left Stripe's balance
    # yet, though it has left our books: in flight, not a difference.
    in_flight = _refunds_waiting_for_balance(client)
    for refund in in_flight:
        stripe_cash[refund.currency.upper()] -= refund.amount
    report.checked["refunds_in_flight"] = len(in_flight)
    for currency in sorted(set(cash) | set(stripe_cash)):
        ledger_cash, stripe_total = cash.get(currency, 0), stripe_cash.get(currency, 0)
        if ledger_cash != stripe_total:
            report.differences.append(
                f"cash {currency}: ledger {ledger_cash}, Stripe {stripe_total}"
            )
    report.checked["currencies"] = len(set(cash) | set(stripe_cash))

    # Transfers: every paid payout has its transfer, and every transfer is a payout of ours.
    transfers = {t.id: t for t in _all(client.v1.transfers.list(params={"limit": 100}))}
    paid = Payout.objects.filter(status=Payout.Status.PAID).select_related("account")
    seen = set()
    for payout in paid:
        transfer = transfers.get(payout.transfer_id)
        seen.add(payout.transfer_id)
        if transfer is None:
            report.differences.append(
                f"payout {payout.pk}: transfer {payout.transfer_id} not found at Stripe"
            )
        elif (transfer.amount, transfer.destination) != (payout.amount, payout.account.stripe_id):
            report.differences.append(
                f"payout {payout.pk}: Stripe has {transfer.amount} to {transfer.destination}"
            )
    for transfer_id in sorted(set(transfers) - seen):
        report.differences.append(f"transfer {transfer_id} at Stripe has no paid payout")
    report.checked["transfers"] = len(transfers)

    # Charges: amounts and refunds.
    for charge in Charge.objects.exclude(stripe_charge_id=""):
        theirs: Any = client.v1.charges.retrieve(charge.stripe_charge_id)
        if theirs.amount != charge.amount or theirs.amount_refunded != charge.refunded_amount:
            report.differences.append(
                f"charge {charge.pk}: Stripe {theirs.amount} (refunded "
                f"{theirs.amount_refunded}), ours {charge.amount} (refunded "
                f"{charge.refunded_amount})"
            )
    report.checked["charges"] = Charge.objects.exclude(stripe_charge_id="").count()
    for line in report.differences:
        logger.warning("payments.reconciliation_difference", extra={"difference": line})
    return report
