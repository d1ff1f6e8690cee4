"""The takedown notice: a PDF addressed to the host of the page, rendered from a template with
the contracts' renderer (fpdf2's HTML subset, the DejaVu fonts shipped with contracts)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from marketplace.contracts.rendering import _html_to_pdf
from marketplace.licensing import territories

from .models import Sighting, TakedownCase


def notice_context(case: TakedownCase) -> dict[str, Any]:
    sighting = case.sighting
    twin = sighting.twin
    licence = sighting.licence
    return {
        "case": case,
        "sighting": sighting,
        "twin": twin,
        "talent": twin.talent,
        "agency": twin.agency,
        # Out of scope: the licence's reference and the term breached, never its brand or fees.
        "licence_reference": licence.reference if licence is not None else "",
        "out_of_scope": sighting.finding == Sighting.Finding.OUT_OF_SCOPE,
        "country": territories.country_names().get(sighting.territory, sighting.territory),
        "addressee": sighting.host or "the operator of the site where the image appears",
        "verify_url": settings.SITE_URL + "/verify/",
        "drafted_on": timezone.localdate(),
    }


def render_notice(case: TakedownCase) -> bytes:
    html = render_to_string("misuse/pdf/notice.html", notice_context(case))
    return _html_to_pdf(
        html,
        header_text=f"Takedown notice {case.reference}",
        footer_text="Prepared by Likeness for the model and her agency",
        created=timezone.now(),
    )
