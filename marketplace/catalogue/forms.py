from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import cast

from django import forms

from marketplace.core.money import CURRENCY_CHOICES, CURRENCY_EXPONENTS

from .selectors import SORTS, CatalogueQuery

SORT_CHOICES = [
    ("newest", "Newest"),
    ("price_asc", "Price: low to high"),
    ("price_desc", "Price: high to low"),
    ("name", "Name"),
    ("height", "Height"),
]
assert {key for key, _ in SORT_CHOICES} == set(SORTS)


def _bound(placeholder: str) -> forms.NumberInput:
    # Each range is two inputs side by side under one heading; the placeholder tells them apart.
    return forms.NumberInput(attrs={"placeholder": placeholder})


def _bound_minor(major: Decimal | None, currency: str, rounding: str) -> int | None:
    if major is None:
        return None
    scaled = major * (Decimal(10) ** CURRENCY_EXPONENTS[currency])
    return int(scaled.to_integral_value(rounding=rounding))


class CatalogueFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100, label="Search")
    tag = forms.MultipleChoiceField(required=False, choices=())
    category = forms.ChoiceField(required=False, choices=())
    hair = forms.CharField(required=False, max_length=30)
    eyes = forms.CharField(required=False, max_length=30)
    height_min = forms.IntegerField(
        required=False,
        min_value=100,
        max_value=230,
        label="Height from (cm)",
        widget=_bound("from"),
    )
    height_max = forms.IntegerField(
        required=False, min_value=100, max_value=230, label="Height to (cm)", widget=_bound("to")
    )
    currency = forms.ChoiceField(required=False, choices=[("", "Any currency"), *CURRENCY_CHOICES])
    price_min = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        label="Price from",
        widget=_bound("from"),
    )
    price_max = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=12,
        decimal_places=2,
        label="Price to",
        widget=_bound("to"),
    )
    available = forms.BooleanField(required=False, label="Available now")
    # Blank: the best matches first when searching (newest first when not).
    sort = forms.ChoiceField(required=False, choices=[("", "Best match"), *SORT_CHOICES])

    def __init__(self, *args: object, facets=None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if facets is not None:
            cast(forms.ChoiceField, self.fields["tag"]).choices = [
                (t.slug, t.name) for t in facets.tags
            ]
            cast(forms.ChoiceField, self.fields["category"]).choices = [("", "Any category")] + [
                (c.slug, c.name) for c in facets.categories
            ]

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        lo, hi = data.get("height_min"), data.get("height_max")
        if lo is not None and hi is not None and lo > hi:
            self.add_error("height_max", "Must be at least the lower height.")
        plo, phi = data.get("price_min"), data.get("price_max")
        if plo is not None and phi is not None and plo > phi:
            self.add_error("price_max", "Must be at least the lower price.")
        return data

    def to_query(self, *, viewer_currency: str = "", by_relevance: bool = True) -> CatalogueQuery:
        data = self.cleaned_data if self.is_valid() else {}
        currency = data.get("currency") or ""
        # Prices are typed in major units; without a currency we compare in cents-like units
        # of a two-decimal currency, which is right for every currency we list but JPY.
        price_currency = currency or "EUR"
        return CatalogueQuery(
            text=data.get("q") or "",
            tags=list(data.get("tag") or []),
            category=data.get("category") or "",
            hair=data.get("hair") or "",
            eyes=data.get("eyes") or "",
            height_min=data.get("height_min"),
            height_max=data.get("height_max"),
            currency=currency,
            # A bound finer than the currency's smallest unit (1,000.50 yen) is met by the
            # whole units inside it, not refused.
            price_min=_bound_minor(data.get("price_min"), price_currency, ROUND_CEILING),
            price_max=_bound_minor(data.get("price_max"), price_currency, ROUND_FLOOR),
            available_only=bool(data.get("available")),
            sort=data.get("sort") or "",
            viewer_currency=viewer_currency,
            by_relevance=by_relevance,
        )
