"""Money in from brands, money out to talent and agencies. Integer minor units throughout;
every movement is a balanced ledger transaction."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from marketplace.accounts.models import Organisation
from marketplace.core.models import ScopedQuerySet, TimeStampedModel
from marketplace.core.storage import media_storage, random_name
from marketplace.licensing.models import Licence
from marketplace.talent.models import MediaType, Talent


class ConnectedAccountQuerySet(ScopedQuerySet["ConnectedAccount"]):
    organisation_path = "organisation"
    agency_path = "organisation"
    talent_path = "talent"


class ConnectedAccount(TimeStampedModel):
    """A Stripe Express account that receives transfers: a talent's or an agency's."""

    organisation = models.OneToOneField(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="stripe_account"
    )
    talent = models.OneToOneField(
        Talent, null=True, blank=True, on_delete=models.PROTECT, related_name="stripe_account"
    )
    stripe_id = models.CharField(max_length=64, unique=True)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    # Stripe's field names, as Stripe gives them: what is due now (past due first), what it will
    # need later, and why the account is disabled. Shown in words (`payments.requirements`).
    requirements_due = models.JSONField(default=list, blank=True)
    requirements_eventually_due = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=100, blank=True)

    objects = ConnectedAccountQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(organisation__isnull=False, talent__isnull=True)
                    | Q(organisation__isnull=True, talent__isnull=False)
                ),
                name="connected_account_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.stripe_id

    @property
    def ready(self) -> bool:
        return self.payouts_enabled and self.details_submitted


# --- Ledger ---------------------------------------------------------------------------------


class LedgerAccountQuerySet(ScopedQuerySet["LedgerAccount"]):
    organisation_path = "organisation"
    talent_path = "talent"


class LedgerAccount(models.Model):
    """A ledger account per purpose, party and currency.

    Assets (cash at Stripe, receivables) carry debit balances; what we owe (talent and
    agency payables) and revenue carry credit balances.
    """

    class Kind(models.TextChoices):
        CASH = "cash", "Platform cash at Stripe"
        TALENT_PAYABLE = "talent_payable", "Owed to talent"
        AGENCY_PAYABLE = "agency_payable", "Owed to agency"
        PLATFORM_REVENUE = "platform_revenue", "Platform fees"
        PROCESSING_FEES = "processing_fees", "Stripe processing fees"
        # A refund Stripe accepted and then could not return to the card: the money is back in
        # our balance and owed to the brand until staff settle it.
        BRAND_REFUNDS_DUE = "brand_refunds_due", "Refunds owed to a brand"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    currency = models.CharField(max_length=3)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    talent = models.ForeignKey(
        Talent, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = LedgerAccountQuerySet.as_manager()

    class Meta:
        # One account per purpose, party and currency; spelled out per owner so that
        # SQLite (NULLs distinct in unique indexes) enforces it too.
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "currency", "talent"],
                condition=Q(talent__isnull=False),
                name="ledger_account_talent_unique",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency", "organisation"],
                condition=Q(organisation__isnull=False),
                name="ledger_account_org_unique",
            ),
            models.UniqueConstraint(
                fields=["kind", "currency"],
                condition=Q(talent__isnull=True, organisation__isnull=True),
                name="ledger_account_platform_unique",
            ),
        ]

    def __str__(self) -> str:
        owner = self.talent or self.organisation or "platform"
        return f"{self.get_kind_display()} · {owner} · {self.currency}"


class LedgerTransactionQuerySet(ScopedQuerySet["LedgerTransaction"]):
    brand_path = "licence__brand"
    agency_path = "licence__agency"
    talent_path = "licence__talent"


class LedgerTransaction(models.Model):
    """A balanced set of entries. `key` makes posting idempotent (e.g. 'licence-fee:42')."""

    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=40)
    description = models.CharField(max_length=300)
    licence = models.ForeignKey(
        Licence, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_transactions"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = LedgerTransactionQuerySet.as_manager()

    def __str__(self) -> str:
        return self.key


class LedgerEntryQuerySet(ScopedQuerySet["LedgerEntry"]):
    organisation_path = "account__organisation"
    talent_path = "account__talent"


class LedgerEntry(models.Model):
    """Positive amounts are debits, negative amounts credits."""

    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["account", "transaction"], name="entry_account_idx")]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount}"


# --- Brand payments -------------------------------------------------------------------------


class ChargeQuerySet(ScopedQuerySet["Charge"]):
    brand_path = "brand"
    agency_path = "licence__agency"
    talent_path = "licence__talent"


class Charge(TimeStampedModel):
    """What a brand pays through Stripe Checkout: a licence fee or a usage statement."""

    class Kind(models.TextChoices):
        LICENCE_FEE = "licence_fee", "Licence fee"
        USAGE = "usage", "Usage fees"

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting payment"
        PAID = "paid", "Paid"
        EXPIRED = "expired", "Expired"
        # The bank refused a payment it had first accepted (Checkout's asynchronous failure):
        # the session is spent, so the brand's next attempt opens a new one.
        FAILED = "failed", "Payment failed"
        REFUNDED = "refunded", "Refunded"
        PARTIALLY_REFUNDED = "partially_refunded", "Partly refunded"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    brand = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="charges")
    licence = models.ForeignKey(
        Licence, null=True, blank=True, on_delete=models.PROTECT, related_name="charges"
    )
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    checkout_session_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    checkout_url = models.URLField(max_length=500, blank=True)
    payment_intent_id = models.CharField(max_length=100, blank=True)
    stripe_charge_id = models.CharField(max_length=100, blank=True, db_index=True)
    processing_fee = models.BigIntegerField(default=0)
    # When Stripe makes the charge's funds available (balance_transaction.available_on): until
    # then a transfer of them must name the charge as its source_transaction.
    funds_available_at = models.DateTimeField(null=True, blank=True)
    # Why the brand's last attempt to pay failed, in plain words (declines, 3-D Secure).
    payment_error = models.CharField(max_length=300, blank=True)
    refunded_amount = models.PositiveBigIntegerField(default=0)
    paid_at = models.DateTimeField(null=True, blank=True)

    objects = ChargeQuerySet.as_manager()

    class Meta:
        constraints = [
            # One licence fee per licence: a second checkout reuses the first row.
            models.UniqueConstraint(
                fields=["licence"], condition=Q(kind="licence_fee"), name="one_licence_fee_charge"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"

    @property
    def transfer_group(self) -> str:
        return f"charge-{self.pk}"


# Where pictures of uses are stored and served (`MEDIA_URL` + this folder + a random name).
USE_PICTURES = "usage"


def use_picture_name(instance: UsageReport, filename: str) -> str:
    return random_name(USE_PICTURES, filename)


class UsageReportQuerySet(ScopedQuerySet["UsageReport"]):
    brand_path = "brand"
    agency_path = "licence__agency"
    talent_path = "talent"


class UsageReport(TimeStampedModel):
    """One use of a twin, reported by the brand. Accepted reports accrue a per-use fee.

    Its picture is private, under a random name, shown to the licence's parties only
    (`selectors.use_picture`)."""

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="usage_reports")
    brand = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    talent = models.ForeignKey(Talent, on_delete=models.PROTECT, related_name="usage_reports")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=120)
    used_on = models.DateField()
    media_type = models.CharField(max_length=10, choices=MediaType.choices)
    territory = models.CharField(max_length=2)
    asset_reference = models.CharField(max_length=300)
    image = models.ImageField(storage=media_storage, upload_to=use_picture_name, blank=True)
    fee = models.PositiveBigIntegerField()
    # The split of the fee, fixed when the use is reported (the licence's quote snapshot).
    talent_share = models.PositiveBigIntegerField(default=0)
    agency_share = models.PositiveBigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    charge = models.ForeignKey(
        Charge, null=True, blank=True, on_delete=models.PROTECT, related_name="usage_reports"
    )

    objects = UsageReportQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "idempotency_key"], name="usage_idempotent_per_brand"
            ),
        ]
        indexes = [
            models.Index(fields=["talent", "-used_on"], name="usage_talent_idx"),
            models.Index(fields=["brand", "charge"], name="usage_billing_idx"),
            # A model's unbilled uses and those on open statements (dashboard figures).
            models.Index(fields=["talent", "charge"], name="usage_unpaid_idx"),
            # A picture's URL is its name, looked up when it is asked for; most uses have none.
            models.Index(fields=["image"], name="usage_image_idx", condition=~Q(image="")),
        ]

    def __str__(self) -> str:
        return f"Use of {self.licence_id} on {self.used_on}"


class RefusedUseQuerySet(ScopedQuerySet["RefusedUse"]):
    brand_path = "brand"
    agency_path = "licence__agency"
    talent_path = "talent"


class RefusedUse(models.Model):
    """A use a brand reported that its licence refused (outside the window, territory or media,
    over the cap, after revocation, …), kept with the reason in words: the model and her agency
    see every attempt outside the licence, not only the uses it allowed. Written by
    `payments.refusals` only, after the refused write rolled back; never edited.

    One row per attempt: a retry of the same use under the same key is the same attempt
    (`attempt_hash` is unique per brand)."""

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="refused_uses")
    brand = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    talent = models.ForeignKey(Talent, on_delete=models.PROTECT, related_name="refused_uses")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=120)
    used_on = models.DateField()
    # As the brand asked: a refused use may name a media type or territory the licence lacks.
    media_type = models.CharField(max_length=10, choices=MediaType.choices)
    territory = models.CharField(max_length=8)
    asset_reference = models.CharField(max_length=300, blank=True)
    code = models.CharField(max_length=40)
    reason = models.CharField(max_length=300)
    attempt_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RefusedUseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "attempt_hash"], name="refused_use_once_per_attempt"
            ),
        ]
        indexes = [
            models.Index(fields=["licence", "-created_at"], name="refused_use_licence_idx"),
            models.Index(fields=["talent", "-created_at"], name="refused_use_talent_idx"),
        ]

    def __str__(self) -> str:
        return f"Refused use of {self.licence_id} on {self.used_on} ({self.code})"


# --- Earnings and payouts -------------------------------------------------------------------


class PayoutQuerySet(ScopedQuerySet["Payout"]):
    organisation_path = "account__organisation"
    agency_path = "account__organisation"
    talent_path = "account__talent"


class Payout(TimeStampedModel):
    """One Stripe transfer to one connected account, covering many earnings."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        # The transfer reached the payee's Stripe account; Stripe then pays it to the bank
        # (BankPayout).
        PAID = "paid", "Sent to your Stripe account"
        # Stripe refused the transfer for lack of available funds: the earnings went back to
        # be paid by a later run, once the funds are available (`funds_available_at`).
        WAITING = "waiting", "Waiting for funds"
        FAILED = "failed", "Failed"

    FINISHED = frozenset({Status.PAID, Status.WAITING, Status.FAILED})

    run = models.ForeignKey(
        "PayoutRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="payouts"
    )
    account = models.ForeignKey(ConnectedAccount, on_delete=models.PROTECT, related_name="payouts")
    amount = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    transfer_id = models.CharField(max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    funds_available_at = models.DateTimeField(null=True, blank=True)
    # The brand payment all of the payout's earnings come from (Stripe's source_transaction),
    # chosen when the run is planned; blank when they come from several.
    source_transaction = models.CharField(max_length=100, blank=True)

    # A claim this old still sending has most likely been made at Stripe by a worker that died
    # before writing it down; a sweep (settle_sending_payouts) looks it up and settles it.
    CONFIRMING_AFTER = timedelta(minutes=2)

    objects = PayoutQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Payout {self.pk}"

    @property
    def confirming(self) -> bool:
        """Claimed a while ago and not yet written down as paid: being confirmed with Stripe."""
        return (
            self.status == self.Status.SENDING
            and self.updated_at < timezone.now() - self.CONFIRMING_AFTER
        )

    @property
    def status_label(self) -> str:
        return "Confirming with Stripe" if self.confirming else self.get_status_display()

    @property
    def idempotency_key(self) -> str:
        return f"likeness-payout-{self.pk}"

    @property
    def transfer_group(self) -> str:
        return f"payout-{self.pk}"


class BankPayoutQuerySet(ScopedQuerySet["BankPayout"]):
    organisation_path = "account__organisation"
    agency_path = "account__organisation"
    talent_path = "account__talent"


class BankPayout(TimeStampedModel):
    """Stripe's payout from a payee's Stripe account to their bank, followed from Stripe's
    `payout.*` events on the connected account. Stripe makes these on the account's schedule
    from its balance, so one may carry several of our transfers (or part of one). When it
    fails, Stripe returns the money to that Stripe balance, not to us: nothing is owed again."""

    class Status(models.TextChoices):
        PENDING = "pending", "On its way to your bank"
        IN_TRANSIT = "in_transit", "On its way to your bank"
        PAID = "paid", "Paid to your bank"
        FAILED = "failed", "Refused by your bank"
        CANCELED = "canceled", "Cancelled"

    account = models.ForeignKey(
        ConnectedAccount, on_delete=models.PROTECT, related_name="bank_payouts"
    )
    stripe_id = models.CharField(max_length=100, unique=True)
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=Status.choices)
    arrival_date = models.DateTimeField(null=True, blank=True)
    failure_code = models.CharField(max_length=60, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)

    objects = BankPayoutQuerySet.as_manager()

    def __str__(self) -> str:
        return self.stripe_id


class EarningQuerySet(ScopedQuerySet["Earning"]):
    organisation_path = "organisation"
    agency_path = "licence__agency"
    talent_path = "talent"


class Earning(TimeStampedModel):
    """What one payee (a talent or an agency) earned from one brand payment."""

    class Source(models.TextChoices):
        LICENCE_FEE = "licence_fee", "Licence fee"
        USAGE = "usage", "Per-use fees"

    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        IN_PAYOUT = "in_payout", "In payout"
        PAID = "paid", "Paid out"
        REVERSED = "reversed", "Reversed"

    talent = models.ForeignKey(
        Talent, null=True, blank=True, on_delete=models.PROTECT, related_name="earnings"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="earnings"
    )
    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="earnings")
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="earnings")
    source = models.CharField(max_length=20, choices=Source.choices)
    amount = models.BigIntegerField()
    reversed_amount = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.AVAILABLE)
    brand_paid_at = models.DateTimeField()
    due_by = models.DateTimeField(help_text="Fashion Workers Act: 45 days after the brand paid.")
    payout = models.ForeignKey(
        Payout, null=True, blank=True, on_delete=models.SET_NULL, related_name="earnings"
    )
    flagged_late_at = models.DateTimeField(null=True, blank=True)

    objects = EarningQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(organisation__isnull=False, talent__isnull=True)
                    | Q(organisation__isnull=True, talent__isnull=False)
                ),
                name="earning_one_payee",
            ),
            models.UniqueConstraint(
                fields=["charge", "licence", "talent"],
                condition=Q(talent__isnull=False),
                name="earning_once_per_charge_talent",
            ),
            models.UniqueConstraint(
                fields=["charge", "licence", "organisation"],
                condition=Q(organisation__isnull=False),
                name="earning_once_per_charge_org",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "talent"], name="earning_talent_idx"),
            models.Index(fields=["status", "organisation"], name="earning_org_idx"),
            models.Index(fields=["status", "due_by"], name="earning_due_idx"),
            # The version the model's dashboard caches its sums under: latest change, count.
            models.Index(fields=["talent", "updated_at"], name="earning_talent_changed_idx"),
        ]

    def __str__(self) -> str:
        return f"Earning {self.pk}"

    @property
    def net(self) -> int:
        return self.amount - self.reversed_amount


class PayoutRun(TimeStampedModel):
    """A batch of payouts, shown to staff with its progress."""

    class Status(models.TextChoices):
        PLANNING = "planning", "Planning"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNING)
    total = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When the run's payees were told of what it paid them (once per run, after it is done).
    notified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Payout run {self.pk}"


class RefundQuerySet(ScopedQuerySet["Refund"]):
    brand_path = "charge__brand"
    agency_path = "charge__licence__agency"
    talent_path = "charge__licence__talent"


class Refund(TimeStampedModel):
    """Money given back to a brand, claimed (committed) before Stripe is asked, so that a crash
    or a retry finds the attempt and repeats it under the same idempotency key."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        REFUNDED = "refunded", "Refunded"
        FAILED = "failed", "Failed"

    class Reason(models.TextChoices):
        STAFF = "staff", "Refunded by the platform"
        REVOCATION = "revocation", "Licence ended early: consent revoked"

    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="refunds")
    amount = models.PositiveBigIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.CharField(max_length=12, choices=Reason.choices, default=Reason.STAFF)
    # For a revocation refund: the days of the window the brand lost.
    days_lost = models.PositiveIntegerField(null=True, blank=True)
    stripe_id = models.CharField(max_length=100, blank=True)
    # The refund's status at Stripe (`pending`, `succeeded`, `failed`...), once made there.
    stripe_status = models.CharField(max_length=20, blank=True)
    last_error = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = RefundQuerySet.as_manager()

    class Meta:
        constraints = [
            # A revocation ends a licence early once, so its fee is refunded for it once.
            models.UniqueConstraint(
                fields=["charge"], condition=Q(reason="revocation"), name="one_revocation_refund"
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.pk}"

    @property
    def succeeded(self) -> bool:
        return self.status == self.Status.REFUNDED and self.stripe_status == "succeeded"

    @property
    def idempotency_key(self) -> str:
        return f"likeness-refund-{self.pk}"


class TransferReversalQuerySet(ScopedQuerySet["TransferReversal"]):
    organisation_path = "payout__account__organisation"
    agency_path = "payout__account__organisation"
    talent_path = "payout__account__talent"


class TransferReversal(TimeStampedModel):
    """Part of a payout taken back after a refund to the brand. Planned (committed) with the
    refund's books, then made at Stripe under a key from its own id."""

    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="reversals")
    charge = models.ForeignKey(Charge, on_delete=models.PROTECT, related_name="+")
    refund = models.ForeignKey(
        Refund, null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    amount = models.PositiveBigIntegerField()
    stripe_id = models.CharField(max_length=100, blank=True)

    objects = TransferReversalQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["payout", "refund"], name="one_reversal_per_refund"),
        ]

    @property
    def idempotency_key(self) -> str:
        return f"likeness-reversal-{self.pk}"

    def __str__(self) -> str:
        return f"Reversal {self.pk}"


class WebhookEvent(models.Model):
    """Every Stripe event, stored once by its id before it is processed."""

    stripe_id = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=100)
    account = models.CharField(max_length=64, blank=True)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["type", "received_at"], name="webhook_type_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id}"
