from django.urls import path

from . import views

app_name = "contracts"
urlpatterns = [
    path("licences/<str:reference>/contract/panel/", views.panel, name="panel"),
    path("licences/<str:reference>/contract/sign/", views.sign, name="sign"),
    path("licences/<str:reference>/contract/decline/", views.decline, name="decline"),
    path("licences/<str:reference>/contract/retry/", views.retry, name="retry"),
    path(
        "licences/<str:reference>/contracts/<str:contract_reference>/document.pdf",
        views.document,
        name="document",
    ),
    path(
        "licences/<str:reference>/contracts/<str:contract_reference>/executed.pdf",
        views.executed_document,
        name="executed",
    ),
]
