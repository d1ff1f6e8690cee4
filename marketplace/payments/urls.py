from django.urls import path

from marketplace.core import converters  # noqa: F401  (registers ref, dbid)

from . import views

app_name = "payments"
urlpatterns = [
    path("licences/<ref:reference>/pay/", views.pay_licence, name="pay_licence"),
    path("licences/<ref:reference>/uses/", views.report_usage, name="report_usage"),
    path("payments/return/", views.checkout_return, name="checkout_return"),
    path("payments/stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("billing/", views.brand_billing, name="brand_billing"),
    path("billing/pay-usage/", views.pay_usage, name="pay_usage"),
    path("payouts/", views.payouts, name="payouts"),
    path("payouts/connect/", views.connect_payouts, name="connect_payouts"),
    path("payouts/dashboard/", views.stripe_dashboard, name="stripe_dashboard"),
]
