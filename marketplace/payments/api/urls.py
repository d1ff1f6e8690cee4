from django.urls import path

from marketplace.core import converters  # noqa: F401  (registers ref, dbid, apislug)

from . import views

urlpatterns = [
    path("licences/<ref:reference>/uses", views.LicenceUseListApi.as_view(), name="licence-uses"),
    path(
        "licences/<ref:reference>/uses/batch",
        views.LicenceUseBatchApi.as_view(),
        name="licence-uses-batch",
    ),
]
