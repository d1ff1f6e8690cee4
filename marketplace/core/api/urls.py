"""/api/: version 1 of the REST API, its OpenAPI schema and the docs pages."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from .views import ApiNotFound

v1 = [
    path("", include("marketplace.accounts.api.urls")),
    path("", include("marketplace.catalogue.api.urls")),
    path("", include("marketplace.licensing.api.urls")),
    path("", include("marketplace.payments.api.urls")),
    path("", include("marketplace.dashboards.api.urls")),
    path("", include("marketplace.webhooks.api.urls")),
    path("", include("marketplace.provenance.api.urls")),
    path("", include("marketplace.approvals.api.urls")),
    path("", include("marketplace.misuse.api.urls")),
    re_path(r"^[\s\S]*$", ApiNotFound.as_view()),  # any path, newlines too
]

app_name = "api"
urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's settings as a script file of our own, so the page
    # runs under the site's Content-Security-Policy (no inline scripts); its assets are the
    # sidecar's static files, not a CDN.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
]
