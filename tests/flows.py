"""The licence's first steps through the services, for tests that start further along."""

from __future__ import annotations

from typing import Any

from marketplace.accounts.models import Membership
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Licence
from marketplace.talent.models import Talent, Twin
from tests.licensing.conftest import make_terms

CTX = licensing.RequestContext(ip_address="198.51.100.7", user_agent="pytest")


def consent_to(
    licence: Licence, talent: Talent, *, context: licensing.RequestContext = CTX
) -> None:
    """The model consents, with her name typed, to the terms she was shown."""
    licensing.give_consent(
        talent=talent,
        user=talent.user,
        reference=licence.reference,
        typed_name=talent.full_name,
        terms_hash=licence.current_terms.terms_hash,
        context=context,
    )


def consented_licence(
    *, brand_member: Membership, agency_member: Membership, twin: Twin, **terms: Any
) -> Licence:
    """Requested by the brand, approved by the agency, consented to by the model."""
    licence = licensing.request_licence(by=brand_member, twin_id=twin.pk, terms=make_terms(**terms))
    licensing.approve_licence(by=agency_member, reference=licence.reference)
    licence.refresh_from_db()
    consent_to(licence, twin.talent)
    licence.refresh_from_db()
    return licence
