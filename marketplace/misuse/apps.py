from django.apps import AppConfig


class MisuseConfig(AppConfig):
    name = "marketplace.misuse"
    label = "misuse"
    verbose_name = "Misuse"
