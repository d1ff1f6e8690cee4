from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from marketplace.core import views as core_views

admin.site.site_header = "Likeness administration"
admin.site.site_title = "Likeness admin"

urlpatterns = [
    path("", core_views.home, name="home"),
    path("health/", core_views.health, name="health"),
    path("api/", include("marketplace.core.api.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("marketplace.accounts.urls")),
    path("", include("marketplace.webhooks.urls")),
    path("", include("marketplace.payments.urls")),
    path("", include("marketplace.dashboards.urls")),
    path("notifications/", core_views.notifications, name="notifications"),
    path("", include("marketplace.licensing.urls")),
    path("", include("marketplace.contracts.urls")),
    path("catalogue/", include("marketplace.catalogue.urls")),
    path("", include("marketplace.talent.urls")),
]

if settings.DEBUG or not getattr(settings, "SERVE_MEDIA_EXTERNALLY", False):
    from django.http import Http404
    from django.views.static import serve

    def media(request, path):
        # MEDIA_ROOT is read per request: the suite points it at a temporary folder after this
        # module was imported (tests/api loads the OpenAPI schema at collection time).
        try:
            return serve(request, path, document_root=str(settings.MEDIA_ROOT))
        except OSError as exc:  # a name the filesystem refuses (too long): no such file
            raise Http404 from exc

    # Media in development and the embedded setup; production puts a CDN or nginx in front.
    urlpatterns += [path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", media)]
