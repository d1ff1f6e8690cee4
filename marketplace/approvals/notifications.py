"""Who hears about a proof: the model (and her agency, when it may answer for her) of each
proof waiting; the brand of each answer and of silence. In-app and by e-mail after commit."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from marketplace.accounts.models import Membership, Organisation, Role, User
from marketplace.core import notify
from marketplace.licensing.models import Licence

from .models import Proof, ProofDecision


def _managers(org: Organisation) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organisation=org, role__in=[Role.OWNER, Role.MANAGER]
        ).select_related("user")
    ]


def _tell(people: list[User], *, subject: str, body: str, proof: Proof) -> None:
    if not people:
        return
    path = reverse("approvals:detail", args=[proof.reference])
    notify.in_app(users=people, title=subject, body=body, url=path)
    for address in sorted({person.email for person in people}):
        notify.email(
            to=[address],
            subject=subject,
            template="approvals/email/proof.txt",
            context={"subject": subject, "body": body, "url": settings.SITE_URL + path},
        )


def proof_waiting(proof: Proof, licence: Licence) -> None:
    """A proof (or a new version) waits for the model's answer."""
    terms = licence.current_terms
    people: list[User] = []
    if licence.talent.user is not None:
        people.append(licence.talent.user)
    if terms.agency_may_answer:
        people += _managers(licence.agency)
    subject = (
        f"{licence.twin.display_name}: {licence.brand.name} asks you to approve an image "
        f"({proof.reference})"
    )
    body = (
        f"Please answer by {proof.due_at:%d %b %Y %H:%M} UTC. Without your approval the image "
        "is not used."
    )
    _tell(people, subject=subject, body=body, proof=proof)


def proof_decided(proof: Proof, decision: ProofDecision) -> None:
    licence = proof.licence
    answer = decision.get_decision_display().lower()
    subject = f"{licence.twin.display_name}: proof {proof.reference} {answer}"
    body = decision.note or (
        "The use is recorded and billed; the credentialed copy is ready to download shortly."
        if decision.decision == ProofDecision.Decision.APPROVED
        else ""
    )
    _tell(_managers(licence.brand), subject=subject, body=body, proof=proof)


def proof_lapsed(proof: Proof) -> None:
    licence = proof.licence
    subject = (
        f"{licence.twin.display_name}: no answer in time on proof {proof.reference}: not approved"
    )
    body = "Silence is never an approval: do not use the image. You may submit it again."
    _tell(_managers(licence.brand), subject=subject, body=body, proof=proof)
