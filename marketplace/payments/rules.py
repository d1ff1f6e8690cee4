"""Who may do what with money: one rule per action, asked by the services (which refuse with
PermissionDenied), the views and the templates (the `payments_rules` filters).

- Paying (a licence fee, a usage statement) commits the brand's money: its owners, managers
  and finance.
- Reporting a billable use commits the brand to a per-use fee: its owners and managers (an
  API key acts as a manager). Finance pays what was committed; members only look.
- Setting up, and opening, an agency's Stripe payout account: its owners and finance.
  A model sets up, and opens, her own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from marketplace.accounts.models import Membership, Role
from marketplace.core.errors import PermissionDenied
from marketplace.core.money import format_money

if TYPE_CHECKING:
    from marketplace.licensing.models import Licence

PAYING_ROLES = frozenset({Role.OWNER, Role.MANAGER, Role.FINANCE})
USAGE_REPORTING_ROLES = frozenset({Role.OWNER, Role.MANAGER})
PAYOUT_ROLES = frozenset({Role.OWNER, Role.FINANCE})


def can_pay(membership: Membership | None, licence: Licence | None = None) -> bool:
    """May this member pay for the brand (for `licence`, when given: the brand's own)?"""
    return (
        membership is not None
        and membership.organisation.is_brand
        and membership.role in PAYING_ROLES
        and (licence is None or licence.brand_id == membership.organisation_id)
    )


def can_report_usage(membership: Membership | None, licence: Licence | None = None) -> bool:
    """May this member commit the brand to per-use fees (on `licence`, when given)?"""
    return (
        membership is not None
        and membership.organisation.is_brand
        and membership.role in USAGE_REPORTING_ROLES
        and (licence is None or licence.brand_id == membership.organisation_id)
    )


def can_manage_payouts(membership: Membership | None) -> bool:
    """May this member set up, and open, the agency's Stripe payout account?"""
    return (
        membership is not None
        and membership.organisation.is_agency
        and membership.role in PAYOUT_ROLES
    )


def require_pay(membership: Membership, licence: Licence | None = None) -> None:
    if not membership.organisation.is_brand:
        raise PermissionDenied("Only brands pay.")
    if not can_pay(membership, licence):
        raise PermissionDenied("Only owners, managers and finance can pay.")


def require_report_usage(membership: Membership) -> None:
    if not membership.organisation.is_brand:
        raise PermissionDenied("Only brands report uses.")
    if not can_report_usage(membership):
        raise PermissionDenied("Only owners and managers can report uses.")


def require_manage_payouts(membership: Membership) -> None:
    if not can_manage_payouts(membership):
        raise PermissionDenied("Only the agency's owners and finance can manage payouts.")


def revocation_money_rule(licence: Licence) -> str:
    """What happens to the money when the model revokes consent: told to every party wherever
    a revocation is shown (pages and e-mails)."""
    terms = licence.current_terms
    fee = format_money(terms.total_fee, terms.currency)
    return (
        f"The licence fee ({fee}) is refunded to the brand at once for the days of the window "
        "it loses, and the refund takes back the model's and the agency's shares in the same "
        "proportion. Uses made before the revocation are billed as usual; none can be reported "
        "from the day of the revocation."
    )
