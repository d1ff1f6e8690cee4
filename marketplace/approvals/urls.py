from django.urls import path

from marketplace.core import converters  # noqa: F401  (registers ref, dbid)

from . import views

app_name = "approvals"
urlpatterns = [
    path("proofs/", views.proof_list, name="list"),
    path("licences/<ref:reference>/proofs/", views.licence_proofs, name="licence_proofs"),
    path("proofs/<ref:reference>/", views.proof_detail, name="detail"),
    path("proofs/<ref:reference>/decide/", views.proof_decide, name="decide"),
    path("proofs/<ref:reference>/resubmit/", views.proof_resubmit, name="resubmit"),
    path(
        "proofs/<ref:reference>/v<dbid:number>/preview/",
        views.proof_picture,
        {"kind": "preview"},
        name="preview",
    ),
    path(
        "proofs/<ref:reference>/v<dbid:number>/image/",
        views.proof_picture,
        {"kind": "image"},
        name="image",
    ),
]
