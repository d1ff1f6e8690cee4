from django.urls import path

from marketplace.core import converters  # noqa: F401  (registers ref, dbid)

from . import views

app_name = "crew"
urlpatterns = [
    path("agency/twins/<dbid:twin_id>/credits/", views.add_credit, name="add_credit"),
    path(
        "agency/twins/<dbid:twin_id>/credits/<dbid:credit_id>/remove/",
        views.remove_credit,
        name="remove_credit",
    ),
    path(
        "agency/twins/<dbid:twin_id>/crew/<dbid:crew_member_id>/invite/",
        views.invite,
        name="invite",
    ),
    path(
        "agency/twins/<dbid:twin_id>/crew/<dbid:crew_member_id>/cancel-invitation/",
        views.cancel_invitation,
        name="cancel_invitation",
    ),
    path("crew/", views.home, name="home"),
]
