from django.urls import path

from .views import IdentityReadApi

urlpatterns = [
    path("me", IdentityReadApi.as_view(), name="me"),
]
