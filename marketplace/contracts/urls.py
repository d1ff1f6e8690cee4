from django.urls import path

from marketplace.core import converters  # noqa: F401  (registers ref, dbid)

from . import views

app_name = "contracts"
urlpatterns = [
    path("licences/<ref:reference>/contract/panel/", views.panel, name="panel"),
    path("licences/<ref:reference>/contract/sign/", views.sign, name="sign"),
    path("licences/<ref:reference>/contract/decline/", views.decline, name="decline"),
    path("licences/<ref:reference>/contract/retry/", views.retry, name="retry"),
    path(
        "licences/<ref:reference>/contracts/<ref:contract_reference>/document.pdf",
        views.document,
        name="document",
    ),
    path(
        "licences/<ref:reference>/contracts/<ref:contract_reference>/executed.pdf",
        views.executed_document,
        name="executed",
    ),
]
