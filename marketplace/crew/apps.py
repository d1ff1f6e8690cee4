from django.apps import AppConfig


class CrewConfig(AppConfig):
    name = "marketplace.crew"
    label = "crew"
    verbose_name = "Crew and credits"
