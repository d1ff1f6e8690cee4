from django.urls import path

from marketplace.core import converters  # noqa: F401  (registers ref, dbid)

from . import views

app_name = "licensing"
urlpatterns = [
    path("catalogue/<slug:slug>/request/", views.request_licence, name="request"),
    path("catalogue/<slug:slug>/quote/", views.quote, name="quote"),
    path("licences/", views.licence_list, name="list"),
    path("licences/<ref:reference>/", views.licence_detail, name="detail"),
    path("licences/<ref:reference>/withdraw/", views.brand_withdraw, name="withdraw"),
    path("licences/<ref:reference>/accept-counter/", views.accept_counter, name="accept_counter"),
    path(
        "licences/<ref:reference>/decline-counter/", views.decline_counter, name="decline_counter"
    ),
    path("licences/<ref:reference>/approve/", views.approve, name="approve"),
    path("licences/<ref:reference>/decline/", views.decline, name="decline"),
    path("licences/<ref:reference>/counter/", views.counter, name="counter"),
    path("licences/<ref:reference>/consent/", views.consent, name="consent"),
    path("licences/<ref:reference>/refuse/", views.refuse, name="refuse"),
    path("agency/requests/", views.agency_inbox, name="agency_inbox"),
    path("me/consents/", views.consent_inbox, name="consent_inbox"),
    path("me/twins/<dbid:twin_id>/revoke/", views.revoke, name="revoke"),
]
