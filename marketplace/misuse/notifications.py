"""Who hears about a sighting or a case: the model and her agency's owners and managers, in-app
and by email (sent by a worker after commit); the brand's, when its use was seen outside its
licence. A brand hears of its own licence only, never of a case."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from marketplace.accounts.models import Membership, Organisation, Role, User
from marketplace.core import notify

from .models import Sighting, TakedownCase

CASE_SUBJECTS: dict[str, str] = {
    TakedownCase.Status.NOTICE_SENT: "the takedown notice was sent to {host}",
    TakedownCase.Status.REMOVED: "the picture was removed",
    TakedownCase.Status.LICENSED: "the use turned out to be licensed",
    TakedownCase.Status.DISMISSED: "the case was closed without a notice",
}


def _managers(org: Organisation) -> list[User]:
    return [
        m.user
        for m in Membership.objects.filter(
            organisation=org, role__in=[Role.OWNER, Role.MANAGER]
        ).select_related("user")
    ]


def _model(sighting: Sighting) -> list[User]:
    user = sighting.twin.talent.user
    return [user] if user is not None else []


def _tell(
    people: list[User], *, subject: str, path: str, body: str, context: dict[str, Any]
) -> None:
    if not people:
        return
    notify.in_app(users=people, title=subject, body=body, url=path)
    for address in sorted({person.email for person in people if person.email}):
        notify.email(
            to=[address],
            subject=subject,
            template="misuse/email/event.txt",
            context={**context, "subject": subject, "body": body, "url": settings.SITE_URL + path},
        )


def sighting_reported(sighting: Sighting, *, case: TakedownCase | None, by: Any) -> None:
    """The model and her agency learn what the sighting is (the one who reported it too)."""
    twin = sighting.twin
    people = [p for p in _model(sighting) + _managers(twin.agency) if p.pk != by.pk]
    path = (
        reverse("misuse:case", args=[case.pk])
        if case is not None
        else reverse("misuse:sighting", args=[sighting.pk])
    )
    subject = f"{twin.display_name}: sighting reported — {sighting.get_finding_display().lower()}"
    _tell(people, subject=subject, path=path, body=sighting.reason, context={})


def out_of_scope(sighting: Sighting) -> None:
    """The brand learns its use was seen outside its licence, and why (no more: not who
    reported it, nor the case)."""
    licence = sighting.licence
    assert licence is not None
    path = reverse("licensing:detail", args=[licence.reference])
    subject = (
        f"{licence.twin.display_name}: a use under {licence.reference} was seen outside its terms"
    )
    where = f" at {sighting.url}" if sighting.url else ""
    body = f"Seen on {sighting.seen_on:%d %B %Y}{where}. {sighting.reason}"
    _tell(_managers(licence.brand), subject=subject, path=path, body=body, context={})


def notice_drafted(case: TakedownCase) -> None:
    sighting = case.sighting
    subject = f"{sighting.twin.display_name}: takedown notice {case.reference} is ready to review"
    _tell(
        _managers(sighting.twin.agency),
        subject=subject,
        path=reverse("misuse:case", args=[case.pk]),
        body="Review the notice, send it to the host, then mark it sent.",
        context={},
    )


def case_moved(case: TakedownCase) -> None:
    sighting = case.sighting
    words = CASE_SUBJECTS[case.status].format(host=sighting.host or "the host")
    subject = f"{sighting.twin.display_name}: case {case.reference} — {words}"
    _tell(
        _model(sighting) + _managers(sighting.twin.agency),
        subject=subject,
        path=reverse("misuse:case", args=[case.pk]),
        body="",
        context={},
    )
