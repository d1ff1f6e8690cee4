from django.urls import path

from marketplace.core import converters  # noqa: F401  (registers ref, dbid)

from . import views

app_name = "accounts"
urlpatterns = [
    path("invite/<str:token>/", views.accept_invitation, name="accept_invitation"),
    path("team/", views.team, name="team"),
    path(
        "team/invitations/<dbid:invitation_id>/revoke/",
        views.revoke_invitation,
        name="revoke_invitation",
    ),
    path("team/api-keys/", views.api_keys, name="api_keys"),
    path("team/api-keys/<dbid:api_key_id>/revoke/", views.revoke_api_key, name="revoke_api_key"),
    path("switch/", views.switch_organisation, name="switch_organisation"),
]
