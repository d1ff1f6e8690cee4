"""Signing and reading C2PA manifests with `c2pa-python` (the CAI's bindings of c2pa-rs).

Sign after the last re-encode: any later re-encode drops the manifest."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import c2pa
from django.conf import settings

from .options import IPTC_SOURCE_TYPES, SourceType
from .signing import load_c2pa_credentials

CLAIM_GENERATOR = "Likeness"
LICENCE_ASSERTION = "com.likeness.licence"
TRAINING_ASSERTION = "cawg.training-mining"
# The schema.org creative-work assertion: here, the crew credited on the twin, as contributors.
CREATIVE_WORK_ASSERTION = "stds.schema-org.CreativeWork"
# IPTC digital source type of a picture made from a trained model (a digital twin).
TRAINED_ALGORITHMIC_MEDIA = IPTC_SOURCE_TYPES + SourceType.TRAINED
# What `cawg.training-mining` covers; a licence forbidding AI training forbids all three.
TRAINING_USES = ("cawg.ai_training", "cawg.ai_generative_training", "cawg.data_mining")
MIME_TYPES = {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


def manifest_definition(
    *,
    title: str,
    training_forbidden: bool,
    licence_assertion: dict[str, Any],
    source_type: str = SourceType.TRAINED,
    label: str = "",
    contributors: Sequence[Contributor] = (),
) -> dict[str, Any]:
    """The manifest of a credentialed copy. It travels with the file and anyone can read it.
    `label`: the visible AI-disclosure label drawn on the labelled copy, recorded as an edit.
    `contributors`: the crew credited on the twin (name and role, as its public page shows
    them), named in a schema.org CreativeWork assertion; none, no such assertion."""
    use = "notAllowed" if training_forbidden else "allowed"
    actions: list[dict[str, Any]] = [
        {"action": "c2pa.created", "digitalSourceType": IPTC_SOURCE_TYPES + source_type}
    ]
    if label:
        actions.append(
            {
                "action": "c2pa.edited",
                "description": f"Visible AI-disclosure label added: {label}",
            }
        )
    credits: list[dict[str, Any]] = []
    if contributors:
        credits.append({"label": CREATIVE_WORK_ASSERTION, "data": creative_work(contributors)})
    return {
        "claim_generator_info": [{"name": CLAIM_GENERATOR, "version": "1"}],
        "title": title,
        "assertions": [
            *credits,
            {
                "label": "c2pa.actions.v2",
                "data": {"actions": actions},
            },
            {
                "label": TRAINING_ASSERTION,
                "data": {"entries": {name: {"use": use} for name in TRAINING_USES}},
            },
            {"label": LICENCE_ASSERTION, "data": licence_assertion},
        ],
    }


@dataclass(frozen=True)
class Contributor:
    """A person credited on the twin a picture was made from: their name and their role."""

    name: str
    role: str


def creative_work(contributors: Sequence[Contributor]) -> dict[str, Any]:
    """schema.org: each contributor a Role (its roleName) wrapping the Person (their name)."""
    return {
        "@context": "https://schema.org",
        "@type": "CreativeWork",
        "contributor": [
            {
                "@type": "Role",
                "roleName": person.role,
                "contributor": {"@type": "Person", "name": person.name},
            }
            for person in contributors
        ],
    }


def sign(data: bytes, *, mime_type: str, manifest: dict[str, Any]) -> tuple[bytes, str]:
    """`data` with the manifest embedded and signed with the platform's key (ES256).
    Returns (signed bytes, manifest label). Raises c2pa.C2paError."""
    credentials = load_c2pa_credentials()
    tsa_url = getattr(settings, "C2PA_TSA_URL", "") or None
    info = c2pa.C2paSignerInfo(b"es256", credentials.chain_pem, credentials.key_pem, tsa_url)
    signer = c2pa.Signer.from_info(info)
    try:
        with c2pa.Builder(manifest) as builder:
            out = io.BytesIO()
            builder.sign(signer, mime_type, io.BytesIO(data), out)
    finally:
        signer.close()
    signed = out.getvalue()
    label = read(signed).active_label
    if not label:
        raise c2pa.C2paError("The signed copy carries no manifest")
    return signed, label


@dataclass
class ManifestReading:
    """What c2pa-rs found in a file, validated against the platform's CA only."""

    found: bool
    active_label: str = ""
    assertions: dict[str, Any] = field(default_factory=dict)
    state: str = ""  # Invalid | Valid | Trusted
    success_codes: set[str] = field(default_factory=set)
    failure_codes: set[str] = field(default_factory=set)
    error: str = ""

    @property
    def signed_by_platform(self) -> bool:
        """The claim signature is valid and its certificate chains to the platform's CA."""
        return (
            "signingCredential.trusted" in self.success_codes
            and "claimSignature.validated" in self.success_codes
            and not any(code.startswith("signingCredential.") for code in self.failure_codes)
            and not any(code.startswith("claimSignature.") for code in self.failure_codes)
        )

    @property
    def content_changed(self) -> bool:
        """The picture's bytes (or an assertion) no longer match the signed hashes."""
        return any(
            code.startswith(("assertion.", "general.")) or code.endswith(".mismatch")
            for code in self.failure_codes
        )


def _reader_context() -> c2pa.Context:
    ca_pem = load_c2pa_credentials().ca_pem.decode()
    return c2pa.Context(
        settings=c2pa.Settings.from_dict(
            {"trust": {"trust_anchors": ca_pem}, "verify": {"verify_trust": True}}
        )
    )


def read(data: bytes) -> ManifestReading:
    """The manifest of `data`, if any. Never raises: a file c2pa-rs cannot read, or one with
    no manifest, is a reading with `found=False` and the reason."""
    try:
        context = _reader_context()
        with c2pa.Reader(None, io.BytesIO(data), context=context) as reader:
            store = json.loads(reader.json())
            results = reader.get_validation_results() or {}
            state = reader.get_validation_state() or ""
    except c2pa.C2paError as exc:
        return ManifestReading(found=False, error=type(exc).__name__.lstrip("_"))
    except (ValueError, OSError) as exc:
        return ManifestReading(found=False, error=type(exc).__name__)
    label = store.get("active_manifest") or ""
    manifest = (store.get("manifests") or {}).get(label) or {}
    active = results.get("activeManifest") or {}
    failures = {item.get("code", "") for item in active.get("failure", [])}
    # Problems outside the active manifest's own list (a broken store, say) count as failures.
    failures |= {item.get("code", "") for item in store.get("validation_status") or []}
    return ManifestReading(
        found=bool(label),
        active_label=label,
        assertions={
            item.get("label", ""): item.get("data") for item in manifest.get("assertions", [])
        },
        state=state,
        success_codes={item.get("code", "") for item in active.get("success", [])},
        failure_codes=failures,
    )


def contributors_of(reading: ManifestReading) -> list[Contributor]:
    """The contributors a manifest names (none when it has no creative-work assertion)."""
    work = reading.assertions.get(CREATIVE_WORK_ASSERTION) or {}
    return [
        Contributor(name=item["contributor"]["name"], role=item["roleName"])
        for item in work.get("contributor", [])
    ]
