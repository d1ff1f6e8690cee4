from django.apps import AppConfig


class TalentConfig(AppConfig):
    name = "marketplace.talent"
    label = "talent"
    verbose_name = "Talent and twins"
