from django.urls import path

from marketplace.core import converters  # noqa: F401  (registers ref, dbid, apislug)

from .views import TwinListApi, TwinReadApi

urlpatterns = [
    path("catalogue/twins", TwinListApi.as_view(), name="twin-list"),
    path("catalogue/twins/<apislug:slug>", TwinReadApi.as_view(), name="twin-detail"),
]
