"""Who hears about a licence event: the other apps (through `events`) and the people, in-app
and by email (sent by a worker after commit)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from marketplace.accounts.models import Membership, Organisation, Role, User
from marketplace.core import notify

from . import events
from .models import Licence

SUBJECTS = {
    "requested": "new licence request {ref} from {brand}",
    "countered": "counter-offer on {ref}",
    "approved": "{ref}: approved by the agency, waiting for the model's consent",
    "consent_needed": "{brand} asks for your consent ({ref})",
    "consented": "{ref}: the model consented",
    "refused": "{ref}: the model refused consent",
    "declined": "{ref} was declined",
    "withdrawn": "{ref} was withdrawn by the brand",
    "counter_accepted": "{ref}: the brand accepted your counter-offer",
    "counter_declined": "{ref}: the brand declined your counter-offer",
    "lapsed": "{ref}: the reservation lapsed",
    "activated": "{ref} is active",
    "expired": "{ref} has expired",
    "ending_soon": "{ref} ends on {end}: renew?",
    "revoked": "{ref}: the model revoked consent",
    "contract_ready": "{ref}: the contract is ready to sign",
    "contract_sign_turn": "{ref}: your signature on the contract is needed",
    "contract_executed": "{ref}: the contract is signed by all parties",
    "contract_declined": "{ref}: a party declined to sign the contract",
    "usage_paid": "{ref}: per-use fees paid",
}


def _recipients(org: Organisation) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organisation=org, role__in=[Role.OWNER, Role.MANAGER]
        ).select_related("user")
    ]


def licence_url(licence: Licence) -> str:
    return settings.SITE_URL + reverse("licensing:detail", args=[licence.reference])


def tell(
    licence: Licence,
    event: str,
    *,
    brand: bool = False,
    agency: bool = False,
    talent: bool = False,
    note: str = "",
) -> None:
    """Announce a licence event, once: to the other apps (after commit, through `events`) and
    to the people asked for, by in-app notification and e-mail."""
    events.publish(events.LicenceEvent(licence=licence, kind=event))
    people: list[User] = []
    if brand:
        people += _recipients(licence.brand)
    if agency:
        people += _recipients(licence.agency)
    if talent and licence.talent.user is not None:
        people.append(licence.talent.user)
    if not people:
        return
    end = licence.effective_end
    # Titled with the twin first: a person with many licences sees at once which one it is.
    subject = f"{licence.twin.display_name}: " + SUBJECTS[event].format(
        ref=licence.reference, brand=licence.brand.name, end=end.isoformat() if end else ""
    )
    context = {
        "licence": licence,
        "event": event,
        "subject": subject,
        "url": licence_url(licence),
        "note": note,
    }
    notify.in_app(
        users=people,
        title=subject,
        body=note,
        url=reverse("licensing:detail", args=[licence.reference]),
    )
    # One message per person: parties never see each other's addresses.
    for address in sorted({person.email for person in people}):
        notify.email(
            to=[address], subject=subject, template="licensing/email/event.txt", context=context
        )
