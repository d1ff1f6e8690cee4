"""The payments rules for templates: `{% if viewer.membership|can_pay:licence %}`."""

from __future__ import annotations

from typing import Any

from django import template

from marketplace.accounts.models import Membership
from marketplace.licensing.models import Licence

from .. import rules

register = template.Library()


@register.filter
def can_pay(membership: Membership | None, licence: Licence | Any = None) -> bool:
    return rules.can_pay(membership, licence if isinstance(licence, Licence) else None)


@register.filter
def can_report_usage(membership: Membership | None, licence: Licence | Any = None) -> bool:
    return rules.can_report_usage(membership, licence if isinstance(licence, Licence) else None)


@register.filter
def can_manage_payouts(membership: Membership | None) -> bool:
    return rules.can_manage_payouts(membership)


@register.simple_tag
def revocation_money_rule(licence: Licence) -> str:
    return rules.revocation_money_rule(licence)
