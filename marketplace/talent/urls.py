from django.urls import path

from marketplace.core import converters  # noqa: F401  (registers ref, dbid)

from . import views

app_name = "talent"
urlpatterns = [
    path("agency/twins/", views.twin_list, name="twin_list"),
    path("agency/twins/new/", views.twin_create, name="twin_create"),
    path("agency/twins/<dbid:twin_id>/", views.twin_manage, name="twin_manage"),
    path("agency/twins/<dbid:twin_id>/edit/", views.twin_edit, name="twin_edit"),
    path("agency/twins/<dbid:twin_id>/rates/", views.twin_rates, name="twin_rates"),
    path("agency/twins/<dbid:twin_id>/status/", views.twin_status, name="twin_status"),
    path("agency/twins/<dbid:twin_id>/images/", views.twin_image_add, name="twin_image_add"),
    path("agency/twins/<dbid:twin_id>/images/status/", views.image_status, name="image_status"),
    path(
        "agency/twins/<dbid:twin_id>/images/<dbid:image_id>/",
        views.twin_image_action,
        name="twin_image_action",
    ),
    path("agency/talent/", views.roster, name="roster"),
    path("agency/talent/new/", views.talent_create, name="talent_create"),
    path("me/", views.my_home, name="my_home"),
    path("me/twins/<dbid:twin_id>/", views.my_twin, name="my_twin"),
    path("me/restrictions/", views.my_restrictions, name="my_restrictions"),
]
