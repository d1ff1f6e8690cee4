from django.urls import path

from . import views

app_name = "webhooks"
urlpatterns = [
    path("team/webhooks/", views.endpoints, name="endpoints"),
    path("team/webhooks/<int:endpoint_id>/disable/", views.disable, name="disable"),
]
