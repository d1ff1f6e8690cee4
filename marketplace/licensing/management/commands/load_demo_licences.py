"""Demo licences in every stage, so each demo login has something to look at.

Run after load_demo (make run does). Idempotent: licences it made before are kept.
Payment is left to the person trying the demo: sign in as the brand and pay on the
local Stripe sandbox's checkout page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import current_app
from django.core.management.base import BaseCommand
from django.utils import timezone

from marketplace.accounts.models import Membership, Organisation, Role
from marketplace.licensing import services
from marketplace.licensing.models import Licence
from marketplace.talent.models import Twin

USES = {
    "kestrel": "Product pages and Instagram carousel posts for the autumn knitwear capsule: "
    "eight studio looks on plain backgrounds, no voice, no retouching of body shape.",
    "vela": "Printed lookbook and in-store posters for the resort swimwear line in Spain and "
    "Portugal, six looks shot as stills, no compositing with other people.",
    "urbanthread": "Short vertical videos for TikTok and Instagram Reels showing the "
    "streetwear sneakers drop, four clips of up to fifteen seconds each.",
}


class Command(BaseCommand):
    help = "Create demo licences in several stages (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        current_app.conf.task_always_eager = True  # contracts render inline for the demo
        made = 0
        plan = [
            # brand key, twin index, stage, exclusive, territories
            ("kestrel", 0, "requested", True, ["DE", "FR"]),
            ("vela", 1, "awaiting_consent", False, ["ES", "PT"]),
            ("urbanthread", 2, "consented", False, ["GB"]),
            ("kestrel", 3, "consented", True, ["NORDICS"]),
        ]
        twins = list(Twin.objects.filter(status=Twin.Status.PUBLISHED).order_by("id")[:4])
        for brand_key, index, stage, exclusive, territories in plan:
            if index >= len(twins):
                break
            if self._ensure(brand_key, twins[index], stage, exclusive, territories):
                made += 1
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo licences ready ({made} new, {Licence.objects.count()} in all)."
            )
        )

    def _ensure(
        self, brand_key: str, twin: Twin, stage: str, exclusive: bool, territories: list[str]
    ) -> bool:
        brand = Organisation.objects.filter(slug=brand_key).first()
        if brand is None or Licence.objects.filter(brand=brand, twin=twin).exists():
            return False
        by = Membership.objects.get(organisation=brand, role=Role.MANAGER)
        agency_by = Membership.objects.get(organisation=twin.agency, role=Role.MANAGER)
        category = (
            twin.permitted_categories.exclude(pk__in=twin.talent.restricted_categories.values("pk"))
            .order_by("id")
            .first()
        )
        if category is None:
            return False
        today = timezone.localdate()
        media = list(twin.rate_card.lines.values_list("media_type", flat=True)[:2])
        licence = services.request_licence(
            by=by,
            twin_id=twin.pk,
            terms=services.TermsInput(
                media_types=media,
                territories=territories,
                start_date=today + timedelta(days=3),
                end_date=today + timedelta(days=3 + 120),
                category=category.slug,
                intended_use=USES[brand_key],
                exclusive=exclusive,
            ),
        )
        if stage == "requested" or licence.status != Licence.Status.REQUESTED:
            return True
        services.approve_licence(by=agency_by, reference=licence.reference)
        if stage == "awaiting_consent" or twin.talent.user is None:
            return True
        licence.refresh_from_db()
        services.give_consent(
            talent=twin.talent,
            user=twin.talent.user,
            reference=licence.reference,
            typed_name=twin.talent.full_name,
            terms_hash=licence.current_terms.terms_hash,
            context=services.RequestContext(ip_address="127.0.0.1", user_agent="demo"),
        )
        return True
