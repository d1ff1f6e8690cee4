"""PDF rendering: the contract from a Django template (fpdf2's HTML subset), the signature
certificate, and the executed copy (contract pages + certificate + the signed original as an
attachment). Pure Python: fpdf2 and pypdf install from PyPI alone, with the DejaVu fonts
shipped in this package, so every name and currency symbol prints."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone
from fpdf import FPDF, FontFace, TextStyle

from marketplace.licensing import quotes, territories

from .models import SIGNING_ORDER, Contract, Party, Signature

logging.getLogger("fontTools").setLevel(logging.WARNING)

FONTS = Path(__file__).resolve().parent / "fonts"
FAMILY = "dejavu"
INK = (28, 25, 40)
MUTED = (105, 100, 120)
ACCENT = (109, 40, 217)

# Contract constants: printed in every contract, so changing one changes future contracts only.
PAYMENT_DUE_DAYS = 14
USAGE_INVOICE_DAYS = 30
TALENT_PAYOUT_DAYS = 30
MAX_COUNTRIES_IN_TABLE = 12
GOVERNING_TERMS = (
    "the Likeness Marketplace Terms for brands, agencies and talent in force on the date of "
    "the last signature, which form part of this Agreement; where they conflict with this "
    "Agreement, this Agreement prevails"
)
GOVERNING_LAW = (
    "the laws of England and Wales, with the courts of England and Wales having exclusive "
    "jurisdiction, without depriving the Model of the protection of the mandatory law of the "
    "country where the Model habitually resides"
)

TAG_STYLES = {
    "h1": TextStyle(font_family=FAMILY, font_style="B", font_size_pt=17, color=INK, b_margin=2),
    "h2": TextStyle(
        font_family=FAMILY,
        font_style="B",
        font_size_pt=11.5,
        color=ACCENT,
        t_margin=5,
        b_margin=1.5,
    ),
    "h3": TextStyle(font_family=FAMILY, font_style="B", font_size_pt=10, color=INK, t_margin=3),
    "p": TextStyle(font_family=FAMILY, font_size_pt=9.5, color=INK, t_margin=1.2, b_margin=1.2),
    "li": TextStyle(font_family=FAMILY, font_size_pt=9.5, color=INK, l_margin=6),
    "blockquote": TextStyle(
        font_family=FAMILY,
        font_style="I",
        font_size_pt=9.5,
        color=INK,
        l_margin=6,
        t_margin=2,
        b_margin=2,
    ),
    "code": FontFace(family=FAMILY, size_pt=7.5, color=MUTED),
}


class _Document(FPDF):
    """A4 with a running header and a numbered footer."""

    def __init__(
        self, *, header_text: str, footer_text: str, created: datetime, page_label: str
    ) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.header_text = header_text
        self.footer_text = footer_text
        self.page_label = page_label
        self.set_creation_date(created)
        self.set_margins(20, 20, 20)
        self.set_auto_page_break(True, margin=20)
        self.add_font(FAMILY, "", FONTS / "DejaVuSans.ttf")
        self.add_font(FAMILY, "B", FONTS / "DejaVuSans-Bold.ttf")
        self.add_font(FAMILY, "I", FONTS / "DejaVuSans-Oblique.ttf")
        self.add_font(FAMILY, "BI", FONTS / "DejaVuSans-Bold.ttf")
        self.set_font(FAMILY, size=9.5)
        self.set_text_color(*INK)

    def header(self) -> None:
        self.set_font(FAMILY, "B", 8)
        self.set_text_color(*ACCENT)
        self.cell(30, 5, "likeness", new_x="RIGHT", new_y="TOP")
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.header_text, align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(220, 216, 230)
        self.line(20, self.get_y() + 1, 190, self.get_y() + 1)
        self.ln(5)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FAMILY, "", 7.5)
        self.set_text_color(*MUTED)
        self.cell(140, 5, self.footer_text, new_x="RIGHT", new_y="TOP")
        self.cell(0, 5, f"{self.page_label} {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(*INK)


def _html_to_pdf(
    html: str, *, header_text: str, footer_text: str, created: datetime, page_label: str = "Page"
) -> bytes:
    pdf = _Document(
        header_text=header_text, footer_text=footer_text, created=created, page_label=page_label
    )
    pdf.set_title(header_text)
    pdf.set_author("Likeness")
    pdf.set_creator("Likeness contracts")
    pdf.add_page()
    pdf.write_html(
        # Whitespace between tags would print as blank lines.
        re.sub(r">\s*\n\s*<", "><", html.strip()),
        font_family=FAMILY,
        tag_styles=TAG_STYLES,
        table_line_separators=False,
        li_prefix_color=ACCENT,
        ul_bullet_char="•",
    )
    return bytes(pdf.output())


def _quote(terms_quote: dict[str, Any]) -> dict[str, Any]:
    split = quotes.Split(**terms_quote["split"])
    return {**terms_quote, "split": split}


def contract_context(contract: Contract) -> dict[str, Any]:
    """Everything the contract prints, from the immutable snapshot: terms, quote, consent."""
    licence = contract.licence
    terms = contract.terms
    names = territories.country_names()
    consent = contract.consent
    return {
        "contract": contract,
        "licence": licence,
        "terms": terms,
        "q": _quote(terms.quote),
        "countries": ", ".join(f"{names.get(c, c)} ({c})" for c in terms.territories),
        "country_count": len(terms.territories),
        # A table row must fit on one page: a long list is a paragraph after the table, which
        # flows over as many pages as it needs.
        "countries_listed_below": len(terms.territories) > MAX_COUNTRIES_IN_TABLE,
        "consent": consent,
        "consent_statement": consent.statement,
        "signing_order": [Party(role).label for role in SIGNING_ORDER],
        "payment_due_days": PAYMENT_DUE_DAYS,
        "usage_invoice_days": USAGE_INVOICE_DAYS,
        "talent_payout_days": TALENT_PAYOUT_DAYS,
        "governing_terms": GOVERNING_TERMS,
        "governing_law": GOVERNING_LAW,
        "platform_fee_bps": terms.quote["platform_fee_bps"],
    }


def render_contract(contract: Contract) -> bytes:
    """The contract PDF. Same snapshot, same bytes: the creation date is the consent's."""
    html = render_to_string("contracts/pdf/contract.html", contract_context(contract))
    return _html_to_pdf(
        html,
        header_text=(
            f"Licence agreement {contract.reference} · licence {contract.licence.reference}"
        ),
        footer_text=f"Terms SHA-256 {contract.terms.terms_hash[:32]}…",
        created=contract.consent.created_at,
    )


def render_certificate(
    contract: Contract, signatures: Sequence[Signature], *, sealed_at: datetime | None = None
) -> bytes:
    """The signature certificate page: who signed, when, from where, on which bytes."""
    sealed_at = sealed_at or timezone.now()
    html = render_to_string(
        "contracts/pdf/certificate.html",
        {
            "contract": contract,
            "licence": contract.licence,
            "signatures": signatures,
            "sealed_at": sealed_at,
        },
    )
    return _html_to_pdf(
        html,
        header_text=f"Signature certificate · {contract.reference}",
        footer_text=f"Signed document SHA-256 {contract.document_sha256[:32]}…",
        created=sealed_at,
        page_label="Certificate page",
    )


def assemble_executed(*, signed: bytes, certificate: bytes, attachment_name: str) -> bytes:
    """Contract pages, then the certificate, with the exact signed original attached."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(signed)))
    writer.append(PdfReader(io.BytesIO(certificate)))
    writer.add_attachment(attachment_name, signed)
    writer.add_metadata({"/Title": f"Executed licence agreement {attachment_name}"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
