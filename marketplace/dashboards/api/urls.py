from django.urls import path

from . import views

urlpatterns = [
    path("earnings", views.EarningsReadApi.as_view(), name="earnings"),
    path("earnings/uses", views.TalentUseListApi.as_view(), name="earnings-uses"),
]
