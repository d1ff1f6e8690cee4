"""What a brand chooses about a use's copies when it reports the use: how the picture was
made (the IPTC digital source type written into the manifest and the XMP), and where and in
which language the EU AI Act (art. 50) label is drawn on the labelled copy; and the form
fields that ask for them, shared by every page that takes a use's picture (the use report,
the final asset)."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.db import models

from marketplace.core.errors import ValidationFailed

IPTC_SOURCE_TYPES = "http://cv.iptc.org/newscodes/digitalsourcetype/"


class SourceType(models.TextChoices):
    # A picture made from a trained model: the twin itself.
    TRAINED = "trainedAlgorithmicMedia", "Generated with the digital twin"
    # A photograph retouched or composited with the twin's generated parts.
    COMPOSITE = "compositeWithTrainedAlgorithmicMedia", "Photograph retouched with the twin"


class LabelLanguage(models.TextChoices):
    EN = "en", "English"
    FR = "fr", "Français"
    DE = "de", "Deutsch"
    IT = "it", "Italiano"
    ES = "es", "Español"


class LabelPosition(models.TextChoices):
    BOTTOM_RIGHT = "bottom-right", "Bottom right"
    BOTTOM_LEFT = "bottom-left", "Bottom left"
    TOP_RIGHT = "top-right", "Top right"
    TOP_LEFT = "top-left", "Top left"


# The visible label, per language: short enough to sit on a phone-sized picture.
LABELS = {
    "en": "AI-generated · digital twin, licensed",
    "fr": "Généré par IA · jumeau numérique, sous licence",
    "de": "KI-generiert · digitaler Zwilling, lizenziert",
    "it": "Generato con IA · gemello digitale, su licenza",
    "es": "Generado con IA · gemelo digital, con licencia",
}

# The disclosure to publish beside the picture (caption, alt text, post text).
DISCLOSURES = {
    "en": (
        "This image was generated with artificial intelligence. It shows the digital twin of a "
        "real person, used with their consent under licence {reference}. Check it: {url}"
    ),
    "fr": (
        "Cette image a été générée par intelligence artificielle. Elle montre le jumeau "
        "numérique d'une personne réelle, utilisé avec son consentement sous la licence "
        "{reference}. Vérifier : {url}"
    ),
    "de": (
        "Dieses Bild wurde mit künstlicher Intelligenz erzeugt. Es zeigt den digitalen "
        "Zwilling einer realen Person, mit deren Einwilligung unter der Lizenz {reference} "
        "verwendet. Prüfen: {url}"
    ),
    "it": (
        "Questa immagine è stata generata con l'intelligenza artificiale. Mostra il gemello "
        "digitale di una persona reale, usato con il suo consenso con la licenza {reference}. "
        "Verifica: {url}"
    ),
    "es": (
        "Esta imagen se ha generado con inteligencia artificial. Muestra el gemelo digital de "
        "una persona real, usado con su consentimiento bajo la licencia {reference}. "
        "Verificar: {url}"
    ),
}
# A retouched photograph is not wholly generated: its disclosure says so.
COMPOSITE_DISCLOSURES = {
    "en": "This photograph was retouched with artificial intelligence.",
    "fr": "Cette photographie a été retouchée par intelligence artificielle.",
    "de": "Dieses Foto wurde mit künstlicher Intelligenz bearbeitet.",
    "it": "Questa fotografia è stata ritoccata con l'intelligenza artificiale.",
    "es": "Esta fotografía se ha retocado con inteligencia artificial.",
}


@dataclass(frozen=True)
class CopyOptions:
    source_type: str = SourceType.TRAINED
    label_language: str = LabelLanguage.EN
    label_position: str = LabelPosition.BOTTOM_RIGHT

    @classmethod
    def checked(
        cls,
        *,
        source_type: str | None = None,
        label_language: str | None = None,
        label_position: str | None = None,
    ) -> CopyOptions:
        """The options, each defaulted when not given. Raises ValidationFailed on an unknown
        value, naming the field."""
        values = {
            "source_type": (source_type or SourceType.TRAINED, SourceType),
            "label_language": (label_language or LabelLanguage.EN, LabelLanguage),
            "label_position": (label_position or LabelPosition.BOTTOM_RIGHT, LabelPosition),
        }
        for name, (value, choices) in values.items():
            if value not in choices.values:
                allowed = ", ".join(choices.values)
                raise ValidationFailed(f"Choose one of: {allowed}.", field=name)
        return cls(**{name: str(value) for name, (value, _) in values.items()})

    def as_task_kwargs(self) -> dict[str, str]:
        return {
            "source_type": self.source_type,
            "label_language": self.label_language,
            "label_position": self.label_position,
        }


def label_text(language: str) -> str:
    return LABELS.get(language, LABELS["en"])


def disclosure_text(*, language: str, source_type: str, reference: str, url: str) -> str:
    text = DISCLOSURES.get(language, DISCLOSURES["en"]).format(reference=reference, url=url)
    if source_type == SourceType.COMPOSITE:
        return f"{COMPOSITE_DISCLOSURES.get(language, COMPOSITE_DISCLOSURES['en'])} {text}"
    return text


class CopyChoicesForm(forms.Form):
    """How a use's credentialed and labelled copies are made: asked wherever a brand gives the
    picture of a use (reporting it, or adding its final asset later). Blank takes the default."""

    source_type = forms.ChoiceField(
        choices=SourceType.choices,
        initial=SourceType.TRAINED,
        required=False,
        label="The picture is",
        help_text="Written into its Content Credentials (IPTC digital source type).",
    )
    label_language = forms.ChoiceField(
        choices=LabelLanguage.choices,
        initial=LabelLanguage.EN,
        required=False,
        label="AI label language",
        help_text="The labelled copy carries a visible “AI-generated” label (EU AI Act art. 50).",
    )
    label_position = forms.ChoiceField(
        choices=LabelPosition.choices,
        initial=LabelPosition.BOTTOM_RIGHT,
        required=False,
        label="AI label corner",
    )

    def copy_choices(self) -> dict[str, str]:
        return {
            name: self.cleaned_data.get(name) or ""
            for name in ("source_type", "label_language", "label_position")
        }
