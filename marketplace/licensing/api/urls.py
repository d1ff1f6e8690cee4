from django.urls import path

from marketplace.core import converters  # noqa: F401  (registers ref, dbid, apislug)

from . import views

urlpatterns = [
    path("catalogue/twins/<apislug:slug>/quote", views.TwinQuoteApi.as_view(), name="twin-quote"),
    path("licences", views.LicenceListApi.as_view(), name="licence-list"),
    path("consent-requests", views.ConsentRequestListApi.as_view(), name="consent-requests"),
    path("licences/<ref:reference>", views.LicenceReadApi.as_view(), name="licence-detail"),
    path(
        "licences/<ref:reference>/withdraw",
        views.LicenceWithdrawApi.as_view(),
        name="licence-withdraw",
    ),
    path(
        "licences/<ref:reference>/accept-counter",
        views.LicenceCounterAcceptApi.as_view(),
        name="licence-accept-counter",
    ),
    path(
        "licences/<ref:reference>/decline-counter",
        views.LicenceCounterDeclineApi.as_view(),
        name="licence-decline-counter",
    ),
    path(
        "licences/<ref:reference>/approve",
        views.LicenceApproveApi.as_view(),
        name="licence-approve",
    ),
    path(
        "licences/<ref:reference>/decline",
        views.LicenceDeclineApi.as_view(),
        name="licence-decline",
    ),
    path(
        "licences/<ref:reference>/counter",
        views.LicenceCounterApi.as_view(),
        name="licence-counter",
    ),
    path(
        "licences/<ref:reference>/consent",
        views.LicenceConsentApi.as_view(),
        name="licence-consent",
    ),
    path(
        "licences/<ref:reference>/refuse",
        views.LicenceRefuseApi.as_view(),
        name="licence-refuse",
    ),
]
