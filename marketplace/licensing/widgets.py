"""The territory picker: regions and countries as checkboxes, which work without JavaScript.

Regions are ticked on their own; countries sit in a <details> list under them. What is chosen is
always listed above both, each entry a label that unticks its box. A script (terms_form.js)
adds a filter box over the countries and keeps the chosen list in step as boxes are ticked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from . import territories


@dataclass(frozen=True)
class Option:
    code: str
    label: str  # what the box says
    chip: str  # what the chosen list says
    dom_id: str
    checked: bool
    countries: str = ""  # a region's members, space-separated (for the script's count)
    search: str = ""  # a country's names and aliases, for the filter


class TerritoryPicker(forms.CheckboxSelectMultiple):
    use_fieldset = True

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        chosen = {str(v).strip().upper() for v in (value or [])}
        base_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        names = territories.country_names()
        search = territories.search_terms()
        regions = [
            Option(
                code=key,
                label=label,
                chip=label,
                dom_id=f"{base_id}_{key}",
                checked=key in chosen,
                countries=" ".join(territories.region_members(key)),
            )
            for key, label in territories.region_choices()
        ]
        countries = [
            Option(
                code=code,
                label=country,
                chip=country,
                dom_id=f"{base_id}_{code}",
                checked=code in chosen,
                search=search.get(code, code.lower()),
            )
            for code, country in territories.country_choices()
        ]
        picked = [o for o in regions + countries if o.checked]
        covered: set[str] = set()
        for option in picked:
            covered.update(option.countries.split() if option.countries else [option.code])
        context["picker"] = {
            "name": name,
            "regions": [(o, len(territories.region_members(o.code))) for o in regions],
            "countries": countries,
            "chosen": picked,
            "covered": len(covered),
            "worldwide": len(covered) >= len(names),
            "ticked_countries": sum(1 for o in countries if o.checked),
            "total": len(names),
        }
        return context

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        # The project's templates (not the form renderer's), like every other page. A
        # template's output is already escaped and marked safe.
        context = self.get_context(name, value, attrs)
        rendered = render_to_string("licensing/widgets/territory_picker.html", context)
        assert isinstance(rendered, SafeString)
        return rendered
