from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from marketplace.core import views as core_views
from marketplace.payments import views as payments_views
from marketplace.payments.models import USE_PICTURES
from marketplace.talent import views as talent_views
from marketplace.talent.models import TWIN_PICTURES

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
    path("", include("marketplace.crew.urls")),
    path("", include("marketplace.provenance.urls")),
    path("", include("marketplace.approvals.urls")),
    path("", include("marketplace.misuse.urls")),
]

# Uploaded pictures are private files: each is served by a view that checks who asks (a
# bookable twin's pictures to anyone), never as static files from MEDIA_ROOT.
MEDIA_PREFIX = settings.MEDIA_URL.strip("/")
# Stored names are folders, hex and an extension: nothing else (a NUL byte, say) is looked up.
PICTURE_NAME = r"(?P<name>[A-Za-z0-9_./-]{1,100})"
urlpatterns += [
    re_path(
        rf"^{MEDIA_PREFIX}/{TWIN_PICTURES}/{PICTURE_NAME}$",
        talent_views.twin_picture,
        name="twin_picture",
    ),
    re_path(
        rf"^{MEDIA_PREFIX}/{USE_PICTURES}/{PICTURE_NAME}$",
        payments_views.use_picture,
        name="use_picture",
    ),
]
