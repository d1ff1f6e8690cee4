from django.apps import AppConfig


class ProvenanceConfig(AppConfig):
    name = "marketplace.provenance"
    label = "provenance"
    verbose_name = "Provenance"

    def ready(self) -> None:
        from marketplace.payments import events

        from .tasks import credential_use_later

        # Every use recorded with a picture gets its credentialed copy.
        events.on_picture_recorded(credential_use_later)
