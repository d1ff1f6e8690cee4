"""Money is an integer amount of minor units plus an ISO 4217 code. Never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

# Currencies we accept and their minor-unit exponents (ISO 4217).
CURRENCY_EXPONENTS: dict[str, int] = {
    "EUR": 2,
    "USD": 2,
    "GBP": 2,
    "SEK": 2,
    "DKK": 2,
    "NOK": 2,
    "CHF": 2,
    "JPY": 0,
}
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
CURRENCY_CHOICES = [(code, code) for code in CURRENCY_EXPONENTS]

# The legal ceiling on an agency's commission from the model's fee (New York Fashion Workers
# Act: at most 20 %). One constant: the service check, the quote and the database constraint
# all read it, so they cannot drift. It is law, not configuration: no setting raises it.
MAX_AGENCY_COMMISSION_BPS = 2000

# The smallest and largest amount Stripe charges in one payment, in minor units, for each
# currency we accept (docs.stripe.com/currencies: minimum charge amounts; amounts of at most
# eight digits). JPY is held to seven digits, the ceiling for Japanese card payments.
CHARGE_LIMITS: dict[str, tuple[int, int]] = {
    "EUR": (50, 99_999_999),
    "USD": (50, 99_999_999),
    "GBP": (30, 99_999_999),
    "SEK": (300, 99_999_999),
    "DKK": (250, 99_999_999),
    "NOK": (300, 99_999_999),
    "CHF": (50, 99_999_999),
    "JPY": (50, 9_999_999),
}
MAX_CHARGE = max(high for _, high in CHARGE_LIMITS.values())


@dataclass(frozen=True, slots=True)
class Money:
    amount: int
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise TypeError("Money.amount must be an int of minor units")
        if self.currency not in CURRENCY_EXPONENTS:
            raise ValueError(f"Unsupported currency {self.currency!r}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"Cannot mix {self.currency} and {other.currency}")

    def scale_bps(self, bps: int) -> Money:
        """Multiply by bps/10,000, rounding half to even at the minor unit."""
        return Money(apply_bps(self.amount, bps), self.currency)

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)


def apply_bps(amount: int, bps: int) -> int:
    value = (Decimal(amount) * Decimal(bps) / Decimal(10_000)).quantize(
        Decimal(1), rounding=ROUND_HALF_EVEN
    )
    return int(value)


def share_out(amount: int, weights: list[int]) -> list[int]:
    """Divide `amount` in proportion to `weights`, each part rounded half to even on the running
    total, so that the parts never go below zero and add up exactly to `amount`."""
    total = sum(weights)
    if total <= 0:
        raise ValueError("weights must add up to more than zero")
    parts, given, running = [], 0, 0
    for weight in weights:
        running += weight
        upto = int(
            (Decimal(amount) * Decimal(running) / Decimal(total)).quantize(
                Decimal(1), rounding=ROUND_HALF_EVEN
            )
        )
        parts.append(upto - given)
        given = upto
    return parts


def to_minor(major: Decimal | str | int, currency: str) -> int:
    """Convert a major-unit amount typed by a person ("1250.50") to minor units, exactly."""
    exponent = CURRENCY_EXPONENTS[currency]
    value = Decimal(str(major)) * (Decimal(10) ** exponent)
    if value != value.to_integral_value():
        raise ValueError(f"{major} has more decimals than {currency} allows")
    return int(value)


def to_major(amount: int, currency: str) -> Decimal:
    exponent = CURRENCY_EXPONENTS[currency]
    return (Decimal(amount) / (Decimal(10) ** exponent)).quantize(Decimal(1).scaleb(-exponent))


def format_money(amount: int | None, currency: str) -> str:
    if amount is None:
        return "—"
    exponent = CURRENCY_EXPONENTS.get(currency, 2)
    major = to_major(amount, currency) if currency in CURRENCY_EXPONENTS else Decimal(amount)
    text = f"{major:,.{exponent}f}"
    symbol = CURRENCY_SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"
