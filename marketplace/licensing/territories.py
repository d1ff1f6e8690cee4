"""Territories: ISO 3166-1 alpha-2 countries, and regions that expand to countries."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache

import pycountry

from marketplace.core.errors import ValidationFailed

EU = [
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
]
REGIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "EU": ("European Union", tuple(EU)),
    "EEA": ("European Economic Area", (*EU, "IS", "LI", "NO")),
    "NORDICS": ("Nordics", ("DK", "FI", "IS", "NO", "SE")),
    "DACH": ("Germany, Austria, Switzerland", ("DE", "AT", "CH")),
    "BENELUX": ("Benelux", ("BE", "NL", "LU")),
    "UKI": ("UK and Ireland", ("GB", "IE")),
    "NA": ("North America", ("US", "CA", "MX")),
    "WORLDWIDE": ("Worldwide", ()),  # filled lazily with every country
}


@cache
def country_names() -> dict[str, str]:
    return {c.alpha_2: getattr(c, "common_name", c.name) for c in pycountry.countries}


def expand(codes: Iterable[str]) -> list[str]:
    """Regions and countries → the sorted, de-duplicated list of country codes.

    Raises ValidationFailed naming every code it does not know.
    """
    countries = country_names()
    out: set[str] = set()
    unknown = []
    for raw in codes:
        code = raw.strip().upper()
        if not code:
            continue
        if code == "WORLDWIDE":
            out.update(countries)
        elif code in REGIONS:
            out.update(REGIONS[code][1])
        elif code in countries:
            out.add(code)
        else:
            unknown.append(raw)
    if unknown:
        raise ValidationFailed(
            f"Unknown territory: {', '.join(unknown)}. Use ISO country codes "
            "(e.g. DE, FR) or a region (EU, NORDICS, WORLDWIDE).",
            field="territories",
        )
    if not out:
        raise ValidationFailed("Choose at least one territory.", field="territories")
    return sorted(out)


def describe(countries: list[str]) -> str:
    """A short human label: 'Worldwide', 'EU', or 'DE, FR'."""
    all_countries = country_names()
    if len(countries) == len(all_countries):
        return "Worldwide"
    as_set = set(countries)
    for key, (_, members) in REGIONS.items():
        if key != "WORLDWIDE" and as_set == set(members):
            return key if key in {"EU", "EEA", "DACH", "NA"} else REGIONS[key][0]
    if len(countries) > 8:
        return f"{', '.join(countries[:8])} and {len(countries) - 8} more"
    return ", ".join(countries)


def region_choices() -> list[tuple[str, str]]:
    return [(key, label) for key, (label, _) in REGIONS.items()]


def country_choices() -> list[tuple[str, str]]:
    return sorted(country_names().items(), key=lambda kv: kv[1])


# Names people type for a country that its ISO names do not contain.
ALIASES = {
    "GB": "uk britain great britain england scotland wales",
    "US": "usa america united states of america",
    "AE": "uae emirates dubai",
    "NL": "holland",
    "CZ": "czech republic",
    "KR": "south korea",
    "KP": "north korea",
    "RU": "russia",
    "CH": "swiss",
    "DE": "deutschland",
    "ES": "espana",
    "TR": "turkey turkiye",
}


def _plain(text: str) -> str:
    """Lower case without accents: 'Côte d'Ivoire' → 'cote d'ivoire'."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def search_terms() -> dict[str, str]:
    """What a country's filter matches: its code, its names and common aliases, in plain
    lower case."""
    out = {}
    for country in pycountry.countries:
        names = {
            country.alpha_2,
            country.alpha_3,
            country.name,
            getattr(country, "common_name", ""),
            getattr(country, "official_name", ""),
            ALIASES.get(country.alpha_2, ""),
        }
        out[country.alpha_2] = _plain(" ".join(sorted(n for n in names if n)))
    return out


def region_members(key: str) -> tuple[str, ...]:
    """The countries a region expands to (every country for WORLDWIDE)."""
    if key == "WORLDWIDE":
        return tuple(sorted(country_names()))
    return REGIONS[key][1]
