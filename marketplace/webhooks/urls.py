from django.urls import path

from marketplace.core import converters  # noqa: F401  (registers ref, dbid)

from . import views

app_name = "webhooks"
urlpatterns = [
    path("team/webhooks/", views.endpoints, name="endpoints"),
    path("team/webhooks/<dbid:endpoint_id>/disable/", views.disable, name="disable"),
]
