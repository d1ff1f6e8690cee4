from django.urls import path

from . import views

app_name = "dashboards"
urlpatterns = [
    path("me/dashboard/", views.talent_dashboard, name="talent"),
    path("me/statements/<str:month>.csv", views.statement_csv, name="statement_csv"),
    path("me/statements/<str:month>.pdf", views.statement_pdf, name="statement_pdf"),
    path("agency/", views.agency_dashboard, name="agency"),
    path("brand/", views.brand_dashboard, name="brand"),
]
