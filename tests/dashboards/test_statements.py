"""A model's statements and charts read right: totals say what they add up, nothing breaks."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from django.utils import timezone
from pypdf import PdfReader

from marketplace.dashboards.templatetags.charts import bar_chart
from marketplace.licensing.models import Licence
from tests.dashboards.test_dashboards import _earning, _licence_row, _uses
from tests.factories import AgencyFactory, TalentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def month_of_work():
    """One model: an earning of €123.45 and two uses (€7.20 her share each) this month."""
    talent = TalentFactory(agency=AgencyFactory(), user=UserFactory(), full_name="Amara Okafor")
    licence = _licence_row(talent, "EUR")
    Licence.objects.filter(pk=licence.pk).update(reference="LIC-320A6751")
    licence.refresh_from_db()
    _earning(talent, licence, 12_345, "EUR")
    _uses(licence, 1)
    _uses(licence, 1, start=1)
    return talent


def test_the_csv_totals_say_what_they_add_up(client, month_of_work):
    client.force_login(month_of_work.user)
    month = timezone.localdate().strftime("%Y-%m")

    body = client.get(f"/me/statements/{month}.csv").content.decode()

    rows = list(csv.reader(io.StringIO(body)))
    assert [r[0] for r in rows[1:]] == ["earning", "use", "use", "total", "total"]
    assert rows[-2:] == [
        ["total", "", "", "", "earnings credited this month", "123.45", "EUR"],
        [
            "total",
            "",
            "",
            "",
            "uses reported this month: your share, credited as earnings once the brand pays",
            "14.40",
            "EUR",
        ],
    ]


def test_the_pdf_keeps_dates_and_references_whole(client, month_of_work):
    client.force_login(month_of_work.user)
    today = timezone.localdate()

    pdf = client.get(f"/me/statements/{today:%Y-%m}.pdf")

    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    lines = text.splitlines()
    assert sum("LIC-320A6751" in line for line in lines) == 3  # the earning and both uses
    assert sum(today.isoformat() in line for line in lines) == 3
    assert "Earned this month: €123.45" in text
    assert "Uses reported this month: €14.40 (your share, credited once the brand pays)" in text


def _bar_widths(svg: str) -> list[float]:
    return [float(w) for w in re.findall(r'<rect x="[^"]+" y="[^"]+" width="([^"]+)"', svg)]


def test_a_single_month_chart_draws_a_bar_not_a_wall():
    one = bar_chart([{"month": date(2026, 12, 1), "values": {"EUR": 5000}}], "EUR")
    twelve = bar_chart(
        [{"month": date(2026, m, 1), "values": {"EUR": 100 * m}} for m in range(1, 13)], "EUR"
    )

    assert _bar_widths(one) == [40.0]
    assert 'x="300.0"' in one  # centred
    assert _bar_widths(twelve) == [33.1] * 12


def test_a_chart_without_a_payment_says_so_instead_of_drawing_flat_bars():
    empty = bar_chart(
        [{"month": date(2026, m, 1), "values": {"EUR": 0}} for m in range(1, 13)], "EUR"
    )

    assert "<svg" not in empty
    assert "Nothing in EUR in these months yet" in empty


def test_the_month_filter_reads_all_months_when_empty(client, month_of_work):
    client.force_login(month_of_work.user)

    html = client.get("/me/dashboard/").content.decode()

    assert '<option value="" selected>All months</option>' in html
    this_month = timezone.localdate()
    assert f'<option value="{this_month:%Y-%m}">{this_month:%B %Y}</option>' in html
    assert 'type="month"' not in html


def test_the_month_filter_keeps_the_chosen_month(client, month_of_work):
    client.force_login(month_of_work.user)
    this_month = timezone.localdate()

    html = client.get(f"/me/dashboard/?month={this_month:%Y-%m}").content.decode()

    assert f'<option value="{this_month:%Y-%m}" selected>{this_month:%B %Y}</option>' in html
