from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "marketplace.dashboards"
    label = "dashboards"
    verbose_name = "Dashboards"
