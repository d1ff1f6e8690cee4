"""Services guard themselves: every public service of every app takes the actor it acts for,
or says it acts for nobody in particular (`@system_entry_point`: a task, the beat schedule,
Stripe's webhook, another app's call after it checked its own actor, a licence event).

Public services are the top-level functions of `marketplace/<app>/services.py` and
`marketplace/<app>/services/*.py` whose names do not start with `_`. The actor is one of
`ACTOR_PARAMETERS`, and required (a default would let a front door forget it).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from marketplace.core.entry_points import is_system_entry_point

PACKAGE = Path(__file__).resolve().parents[2] / "marketplace"

ACTOR_PARAMETERS = {
    "by": "a member acting for their organisation (a Membership, or a payout actor)",
    "viewer": "whoever is looking (a Viewer)",
    "user": "a signed-in person: the model consenting, a party signing",
    "talent": "the model acting for herself, as the front door resolved her",
    "owner": "the person signing up, who owns the organisation created",
    "request": "the signed-in person's own request (switching their organisation)",
    "token": "the bearer of an invitation's or an API key's secret",
}

# Public functions of a services module that are rules and reads: they write nothing, so
# they act for nobody.
NOT_SERVICES = {
    "marketplace.approvals.services.approval_statement",
    "marketplace.approvals.services.proof_payload",
    "marketplace.contracts.services.expected_name",
    "marketplace.contracts.services.next_role",
    "marketplace.contracts.services.party_role",
    "marketplace.contracts.services.sha256",
    "marketplace.contracts.services.stored_document",
    "marketplace.licensing.services.can_withdraw",
    "marketplace.licensing.services.consent_statement",
    "marketplace.licensing.services.revocation_end",
    "marketplace.licensing.services.same_name",
    "marketplace.licensing.services.valid_consent",
    "marketplace.misuse.services.check_url",
    "marketplace.payments.services.payouts.transfer_params",
    "marketplace.talent.services.check_rate_card",
    "marketplace.talent.services.publish_blockers",
    "marketplace.talent.services.unique_tag_slug",
    "marketplace.webhooks.services.check_url",
    "marketplace.webhooks.services.event_id",
    "marketplace.webhooks.services.licence_payload",
}


def service_modules() -> Iterator[str]:
    for app in sorted(PACKAGE.iterdir()):
        if (app / "services.py").exists():
            yield f"marketplace.{app.name}.services"
        if (app / "services").is_dir():
            for path in sorted((app / "services").glob("*.py")):
                if path.stem != "__init__":
                    yield f"marketplace.{app.name}.services.{path.stem}"


def public_services() -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for name in service_modules():
        module = importlib.import_module(name)
        for attribute, func in inspect.getmembers(module, inspect.isfunction):
            if not attribute.startswith("_") and func.__module__ == module.__name__:
                found[f"{name}.{attribute}"] = func
    return found


def actor_of(func: Callable[..., Any]) -> str | None:
    parameters = inspect.signature(func).parameters
    for name in ACTOR_PARAMETERS:
        if name in parameters and parameters[name].default is inspect.Parameter.empty:
            return name
    return None


def test_every_public_service_takes_an_actor_or_is_a_system_entry_point():
    services = public_services()

    unguarded = sorted(
        name
        for name, func in services.items()
        if name not in NOT_SERVICES and actor_of(func) is None and not is_system_entry_point(func)
    )

    assert unguarded == []
    apps = {name.split(".")[1] for name in services}
    assert apps == {
        "accounts",
        "approvals",
        "contracts",
        "crew",
        "licensing",
        "misuse",
        "payments",
        "provenance",
        "talent",
        "webhooks",
    }


def test_a_system_entry_point_takes_no_actor():
    services = public_services()

    both = sorted(
        name
        for name, func in services.items()
        if is_system_entry_point(func) and actor_of(func) is not None
    )

    assert both == []


def test_the_list_of_rules_and_reads_names_only_public_services():
    assert set(public_services()) >= NOT_SERVICES
