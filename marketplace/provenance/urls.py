from django.urls import path

from . import views

app_name = "provenance"
urlpatterns = [
    path("verify/", views.verify, name="verify"),
    path("verify/<slug:token>/", views.verify_use, name="verify_use"),
    path("uses/<int:use_id>/credentials/", views.use_credentials, name="use_credentials"),
    path("uses/<int:use_id>/picture/", views.attach_final_asset, name="attach_final_asset"),
    path(
        "credentialed/<int:image_id>/labelled/",
        views.labelled_download,
        name="labelled_download",
    ),
    path(
        "credentialed/<int:image_id>/",
        views.credentialed_download,
        name="credentialed_download",
    ),
]
