"""The project's URLs plus `/bench/bare-dashboard/`: the talent dashboard without queries.

The bare view is the ceiling the real `/me/dashboard/` is compared with. It renders the same
`dashboards/talent.html` from the very context the real view built for the seeded talent
(figures, monthly chart, per-licence, per-brand and per-year totals, a page of 25 uses and
its paginator, consents, active licences, account, restrictions, twins, the signed-in
header), which the benchmark captured once, with every queryset evaluated into a list, and
pickled to the file named by LIKENESS_BENCH_DASHBOARD_CONTEXT. The file is read on the first
request and kept in memory; per request the view does what the real one does besides
querying (filters, paginator, query string) and renders. It is called without a session
cookie, so authentication never touches the database; the benchmark refuses to run while
this view makes any query.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, overload

from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

CONTEXT_ENV = "LIKENESS_BENCH_DASHBOARD_CONTEXT"
USES_PER_PAGE = 25  # as the real view
FILTERS = ("brand", "media", "territory", "month")


class CapturedUses(Sequence[Any]):
    """A sequence the paginator sees as `size` long whose every page is the captured one."""

    def __init__(self, page: list[Any], size: int) -> None:
        self.page, self.size = page, size

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return self.page
        return self.page[index % len(self.page)]


@cache
def captured() -> tuple[dict[str, Any], CapturedUses]:
    """The real view's context (without `uses`, `filters`, `params`) and its uses."""
    name = os.environ.get(CONTEXT_ENV)
    if not name:
        raise ImproperlyConfigured(f"{CONTEXT_ENV} must name the captured dashboard context")
    # The file is the benchmark's own output, written moments before by the same user.
    state = pickle.loads(Path(name).read_bytes())
    return state["context"], CapturedUses(state["uses"], state["uses_count"])


def bare_dashboard(request: HttpRequest) -> HttpResponse:
    """The talent dashboard view's work minus every query: filters, paginator, render."""
    context, uses = captured()
    filters = {key: request.GET.get(key, "")[:20] for key in FILTERS}
    page = Paginator(uses, USES_PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "dashboards/talent.html",
        {
            **context,
            "uses": page,
            "filters": filters,
            "params": params.urlencode(),
            "messages": (),
        },
    )


urlpatterns = [
    path("bench/bare-dashboard/", bare_dashboard, name="bench_bare_dashboard"),
    *project_urlpatterns,
]
