from django.urls import path

from marketplace.core import converters  # noqa: F401  (registers ref, dbid)

from . import views

urlpatterns = [
    path(
        "licences/<ref:licence>/proofs", views.LicenceProofListApi.as_view(), name="licence-proofs"
    ),
    path("proofs", views.ProofListApi.as_view(), name="proof-list"),
    path("proofs/<ref:proof>", views.ProofReadApi.as_view(), name="proof-detail"),
    path("proofs/<ref:proof>/versions", views.ProofVersionApi.as_view(), name="proof-versions"),
    path("proofs/<ref:proof>/decision", views.ProofDecisionApi.as_view(), name="proof-decision"),
]
