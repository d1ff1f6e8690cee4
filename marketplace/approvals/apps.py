from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "marketplace.approvals"
    label = "approvals"
    verbose_name = "Image approval"
