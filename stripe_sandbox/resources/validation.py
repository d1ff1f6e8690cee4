"""Checks on request parameters that several resources share (amounts, currencies, URLs...).

Each raises Stripe's error for the parameter (:mod:`..errors`); resource-specific rules stay
with their resource.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from ..core import Context
from ..errors import invalid, missing_param, unsupported
from ..forms import Params

MIN_AMOUNT = 50
MAX_AMOUNT = 99_999_999

# The currencies Stripe accepts, in the order its ``Invalid currency`` error lists them.
_CURRENCY_CODES = (
    "usd aed afn all amd ang aoa ars aud awg azn bam bbd bdt bgn bhd bif bmd bnd bob brl bsd "
    "bwp byn bzd cad cdf chf clp cny cop crc cve czk djf dkk dop dzd egp etb eur fjd fkp gbp "
    "gel gip gmd gnf gtq gyd hkd hnl hrk htg huf idr ils inr isk jmd jod jpy kes kgs khr kmf "
    "krw kwd kyd kzt lak lbp lkr lrd lsl mad mdl mga mkd mmk mnt mop mur mvr mwk mxn myr mzn "
    "nad ngn nio nok npr nzd omr pab pen pgk php pkr pln pyg qar ron rsd rub rwf sar sbd scr "
    "sek sgd shp sle sos srd std szl thb tjs tnd top try ttd twd tzs uah ugx uyu uzs vnd vuv "
    "wst xaf xcd xof xpf yer zar zmw"
)
CURRENCIES = tuple(_CURRENCY_CODES.split())
# ISO 3166-1 alpha-2 country codes.
_COUNTRY_CODES = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ "
    "BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM "
    "DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS "
    "GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN "
    "KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ "
    "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM "
    "PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV "
    "SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI "
    "VN VU WF WS YE YT ZA ZM ZW"
)
COUNTRIES = frozenset(_COUNTRY_CODES.split())
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")


def currency(p: Params, key: str = "currency", *, required: bool = True) -> str | None:
    value = p.string(key, required=required)
    if value is None:
        return None
    if value.lower() not in CURRENCIES:
        raise invalid(
            f"Invalid currency: {value.lower()}. Stripe currently supports these currencies: "
            + ", ".join(CURRENCIES),
            param=p.name(key),
        )
    return value.lower()


def email(p: Params, key: str = "email") -> str | None:
    """An e-mail address, refused as Stripe does (``email_invalid``) when malformed."""
    value = p.string(key, max_length=800)
    if value is not None and not EMAIL.match(value):
        raise invalid(f"Invalid email address: {value}", param=p.name(key), code="email_invalid")
    return value


def country(p: Params, key: str = "country") -> str | None:
    value = p.string(key)
    if value is not None and value.upper() not in COUNTRIES:
        raise invalid(
            f"Country '{value}' is unknown. Try using a 2-character alphanumeric country code "
            "instead, such as 'US', 'EG', or 'GB'. A full list of country codes is available at "
            "https://stripe.com/global",
            param=p.name(key),
        )
    return value.upper() if value else None


def amount(p: Params, key: str = "amount", *, required: bool = True, minimum: int = 1) -> int:
    value = p.integer(key, required=required)
    if value is None:
        raise missing_param(p.name(key))
    if value < minimum:
        if minimum == MIN_AMOUNT:
            raise invalid(
                f"Amount must be at least {minimum} cents",
                param=p.name(key),
                code="amount_too_small",
            )
        raise invalid(
            f"Invalid {key}: must be at least {minimum}",
            param=p.name(key),
            code="parameter_invalid_integer",
        )
    if value > MAX_AMOUNT:
        raise invalid(
            f"Amount must be no more than {MAX_AMOUNT}", param=p.name(key), code="amount_too_large"
        )
    return value


def url_param(p: Params, key: str, *, required: bool = False) -> str | None:
    value = p.string(key, required=required, max_length=5000)
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise invalid("Not a valid URL", param=p.name(key), code="url_invalid")
    return value


def require_platform(ctx: Context, what: str) -> None:
    if ctx.account:
        raise invalid(
            f"{what} can only be made by the platform account (without a Stripe-Account "
            "header) in this sandbox.",
        )


def accept(p: Params, *supported: str, unsupported: tuple[str, ...] = ()) -> Params:
    """Refuse unknown parameters (``parameter_unknown``), then real Stripe parameters the sandbox
    does not implement (``unsupported``: they would change the outcome)."""
    p.allow(*supported, *unsupported)
    reject_unsupported(p, *unsupported)
    return p


def reject_unsupported(p: Params, *names: str) -> None:
    for name in names:
        if name in p:
            raise unsupported(p.name(name))


def payment_method_types(p: Params) -> bool:
    """Validate ``payment_method_types``; returns whether automatic payment methods apply."""
    types = p.strings("payment_method_types")
    if types and types != ["card"]:
        raise unsupported(p.name("payment_method_types"), "only card is supported")
    return not types
