from django.urls import path

from marketplace.core import converters  # noqa: F401  (registers ref, dbid)

from . import views

app_name = "misuse"
urlpatterns = [
    path("protection/", views.protection, name="protection"),
    path("protection/sightings/new/", views.report_sighting, name="report"),
    path("protection/sightings/<dbid:sighting_id>/", views.sighting_detail, name="sighting"),
    path(
        "protection/sightings/<dbid:sighting_id>/screenshot/",
        views.sighting_screenshot,
        name="screenshot",
    ),
    path("protection/cases/<dbid:case_id>/", views.case_detail, name="case"),
    path("protection/cases/<dbid:case_id>/move/", views.case_move, name="case_move"),
    path("protection/cases/<dbid:case_id>/notice.pdf", views.case_notice, name="notice"),
]
