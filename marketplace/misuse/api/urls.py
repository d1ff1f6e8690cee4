from django.urls import path

from marketplace.core import converters  # noqa: F401  (registers dbid)

from . import views

urlpatterns = [
    path("sightings", views.SightingListApi.as_view(), name="sighting-list"),
    path("sightings/<dbid:sighting_id>", views.SightingReadApi.as_view(), name="sighting-detail"),
    path("takedown-cases", views.CaseListApi.as_view(), name="takedown-case-list"),
    path("takedown-cases/<dbid:case_id>", views.CaseReadApi.as_view(), name="takedown-case-detail"),
]
