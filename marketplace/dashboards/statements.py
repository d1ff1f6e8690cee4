"""Monthly statements for a model: earnings credited and uses reported, as CSV or PDF."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

from marketplace.core.money import format_money, to_major
from marketplace.payments.models import Earning, UsageReport
from marketplace.talent.models import Talent

FONTS = Path(__file__).resolve().parent.parent / "contracts" / "fonts"


@dataclass(frozen=True)
class Row:
    kind: str
    day: date
    reference: str
    brand: str
    detail: str
    amount: int
    currency: str

    @property
    def major(self) -> Decimal:
        return to_major(self.amount, self.currency)


@dataclass(frozen=True)
class Total:
    amount: int
    currency: str

    @property
    def major(self) -> Decimal:
        return to_major(self.amount, self.currency)


@dataclass
class Statement:
    talent: Talent
    month: date
    rows: list[Row] = field(default_factory=list)
    # Earnings credited: what the month adds to what she is paid.
    totals: dict[str, Total] = field(default_factory=dict)
    # Her share of the uses reported: credited as earnings once the brand pays for them, so
    # never added to `totals` (that would count the same money twice).
    use_totals: dict[str, Total] = field(default_factory=dict)


def monthly_statement(talent: Talent, month: date) -> Statement:
    end = (month + timedelta(days=32)).replace(day=1)
    statement = Statement(talent=talent, month=month)
    totals: dict[str, int] = {}
    use_totals: dict[str, int] = {}
    for earning in (
        Earning.objects.for_talent(talent)
        .filter(brand_paid_at__date__gte=month, brand_paid_at__date__lt=end)
        .select_related("licence__brand")
        .order_by("brand_paid_at", "id")
    ):
        statement.rows.append(
            Row(
                "earning",
                earning.brand_paid_at.date(),
                earning.licence.reference,
                earning.licence.brand.name,
                f"{earning.get_source_display()} — {earning.get_status_display()}",
                earning.net,
                earning.currency,
            )
        )
        totals[earning.currency] = totals.get(earning.currency, 0) + earning.net
    for use in (
        UsageReport.objects.for_talent(talent)
        .filter(used_on__gte=month, used_on__lt=end)
        .select_related("brand", "licence")
        .order_by("used_on", "id")
    ):
        statement.rows.append(
            Row(
                "use",
                use.used_on,
                use.licence.reference,
                use.brand.name,
                f"{use.get_media_type_display()} in {use.territory}: {use.asset_reference}",
                use.talent_share,
                use.currency,
            )
        )
        use_totals[use.currency] = use_totals.get(use.currency, 0) + use.talent_share
    statement.totals = {c: Total(a, c) for c, a in totals.items()}
    statement.use_totals = {c: Total(a, c) for c, a in use_totals.items()}
    return statement


# Columns that must never wrap (type, date, licence reference, amount) are as wide as their
# longest text; brand and detail share the rest of the line and wrap between words.
NO_WRAP = (0, 1, 2, 5)
CELL_PADDING_MM = 3


def _column_widths(pdf: FPDF, header: list[str], cells: list[list[str]]) -> tuple[float, ...]:
    widths = [0.0] * len(header)
    for i in NO_WRAP:
        widths[i] = CELL_PADDING_MM + max(
            pdf.get_string_width(line[i]) for line in [header, *cells]
        )
    rest = pdf.epw - sum(widths)
    widths[3], widths[4] = rest * 0.35, rest * 0.65
    return tuple(widths)


def monthly_statement_pdf(talent: Talent, month: date) -> bytes:
    statement = monthly_statement(talent, month)
    pdf = FPDF(format="A4")
    pdf.add_font("dejavu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"Likeness statement {month:%B %Y}")
    pdf.add_page()
    pdf.set_font("dejavu", "B", 16)
    pdf.cell(0, 10, f"Statement for {talent.full_name}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 10)
    pdf.cell(
        0, 6, f"{month:%B %Y} · represented by {talent.agency.name}", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(4)
    pdf.set_font("dejavu", "", 8)
    header = ["Type", "Date", "Licence", "Brand", "Detail", "Amount"]
    cells = [
        [
            row.kind,
            row.day.isoformat(),
            row.reference,
            row.brand,
            row.detail,
            format_money(row.amount, row.currency),
        ]
        for row in statement.rows
    ]
    with pdf.table(
        col_widths=_column_widths(pdf, header, cells),
        text_align=("LEFT", "LEFT", "LEFT", "LEFT", "LEFT", "RIGHT"),
    ) as table:
        table.row(header)
        for line in cells:
            table.row(line)
    pdf.ln(4)
    pdf.set_font("dejavu", "B", 11)
    if statement.totals:
        for total in statement.totals.values():
            pdf.cell(
                0,
                7,
                f"Earned this month: {format_money(total.amount, total.currency)}",
                new_x="LMARGIN",
                new_y="NEXT",
            )
    else:
        pdf.cell(0, 7, "No earnings this month.", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("dejavu", "", 10)
    for total in statement.use_totals.values():
        pdf.cell(
            0,
            6,
            f"Uses reported this month: {format_money(total.amount, total.currency)} "
            "(your share, credited once the brand pays)",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.set_font("dejavu", "", 8)
    pdf.ln(2)
    pdf.multi_cell(
        0,
        4,
        "Earnings are your share of what brands paid, after the platform fee "
        "and your agency's commission (at most 20 %). Uses are listed with the share "
        "each one earns once the brand pays its usage statement.",
    )
    return bytes(pdf.output())
