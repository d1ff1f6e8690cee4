from __future__ import annotations

import csv
from datetime import date

from django.http import Http404, HttpResponse
from django.shortcuts import render

from marketplace.accounts.tenancy import (
    TenantRequest,
    agency_required,
    brand_required,
    talent_required,
)
from marketplace.approvals import selectors as approvals_selectors
from marketplace.payments import selectors as payments_selectors
from marketplace.talent.models import MediaType

from . import selectors, statements


@talent_required
def talent_dashboard(request: TenantRequest) -> HttpResponse:
    talent = request.viewer.own_talent
    filters = {
        key: request.GET.get(key, "")[:20] for key in ("brand", "media", "territory", "month")
    }
    licences_version = selectors.licences_version(talent)
    uses, use_brands = selectors.talent_uses_page(
        talent, filters, request.GET.get("page"), version=licences_version
    )
    params = request.GET.copy()
    params.pop("page", None)
    if getattr(request, "htmx", None) and request.GET.get("fragment") == "uses":
        # The filtered list alone: nothing else on the page changes.
        return render(
            request,
            "dashboards/_uses.html",
            {"uses": uses, "filters": filters, "params": params.urlencode()},
        )
    account = payments_selectors.connected_account_for(talent=talent)
    versions = selectors.Versions(
        earnings=selectors.earnings_version(talent), licences=licences_version
    )
    summary = selectors.talent_earnings(talent, version=versions.earnings)
    context = {
        "talent": talent,
        "figures": selectors.talent_figures(
            talent, account=account, summary=summary, versions=versions
        ),
        "monthly": summary.monthly,
        "by_licence": summary.by_licence,
        "by_brand": summary.by_brand,
        "yearly": summary.yearly,
        "uses": uses,
        "filters": filters,
        "params": params.urlencode(),
        "use_brands": use_brands,
        "use_months": _use_months(summary.monthly, filters["month"]),
        "media_choices": MediaType.choices,
        "consents": selectors.talent_consent_lines(talent),
        "waiting_proofs": approvals_selectors.proofs_awaiting_model(talent),
        "active": selectors.talent_active_lines(talent),
        "account": account,
        "next_payout": selectors.next_payout_at(),
        "restrictions": talent.restricted_categories.all(),
        "twins": selectors.talent_twin_links(talent),
    }
    return render(request, "dashboards/talent.html", context)


def _use_months(monthly: list[dict[str, object]], chosen: str) -> list[tuple[str, date]]:
    """The uses filter's months, newest first: the chart's twelve, and the one chosen."""
    months = [m["month"] for m in reversed(monthly) if isinstance(m["month"], date)]
    if chosen:
        try:
            picked = _month(chosen)
        except Http404:
            picked = None
        if picked is not None and picked not in months:
            months.append(picked)
    return [(f"{m:%Y-%m}", m) for m in months]


@agency_required
def agency_dashboard(request: TenantRequest) -> HttpResponse:
    return render(request, "dashboards/agency.html", selectors.agency_overview(request.viewer.org))


@brand_required
def brand_dashboard(request: TenantRequest) -> HttpResponse:
    return render(request, "dashboards/brand.html", selectors.brand_overview(request.viewer.org))


def _month(value: str) -> date:
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError as exc:
        raise Http404 from exc


@talent_required
def statement_csv(request: TenantRequest, month: str) -> HttpResponse:
    statement = statements.monthly_statement(request.viewer.own_talent, _month(month))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="likeness-statement-{month}.csv"'
    writer = csv.writer(response)
    writer.writerow(["type", "date", "reference", "brand", "detail", "amount", "currency"])
    for row in statement.rows:
        writer.writerow(
            [
                row.kind,
                row.day.isoformat(),
                row.reference,
                row.brand,
                row.detail,
                f"{row.major}",
                row.currency,
            ]
        )
    # Two totals, each saying what it adds up: a use's share becomes an earning once the brand
    # pays for it, so adding the two would count that money twice.
    for currency, total in sorted(statement.totals.items()):
        writer.writerow(
            ["total", "", "", "", "earnings credited this month", f"{total.major}", currency]
        )
    for currency, total in sorted(statement.use_totals.items()):
        writer.writerow(
            [
                "total",
                "",
                "",
                "",
                "uses reported this month: your share, credited as earnings once the brand pays",
                f"{total.major}",
                currency,
            ]
        )
    return response


@talent_required
def statement_pdf(request: TenantRequest, month: str) -> HttpResponse:
    talent = request.viewer.own_talent
    pdf = statements.monthly_statement_pdf(talent, _month(month))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="likeness-statement-{month}.pdf"'
    return response
