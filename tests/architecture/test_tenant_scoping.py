"""Tenancy fails closed: every tenant-owned model has a scoped queryset, and the front doors
reach these models only through it.

A model is tenant-owned when a chain of foreign keys leads from it to an organisation, a
model (talent) or a person. `TENANT_OWNED` lists them; a test derives the same list from
Django's model meta, so a new model cannot be left out. Front doors (views, `api/`, forms,
templatetags, context processors, urls; `core.api` and `core.views`) never write
`Model.objects…` for one of them without a scope (`for_brand`, `for_agency`, `for_talent`,
`for_organisation`, `for_user`, `visible_to`, or the public catalogue's `in_catalogue`);
services, selectors, tasks, admin, migrations and management commands may, because they
are where the scoping is decided.
"""

from __future__ import annotations

import ast

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db import models

from marketplace.accounts.models import Membership, Organisation, User
from marketplace.accounts.tenancy import Viewer
from marketplace.talent.models import RateCard
from tests.architecture.test_import_layers import ROOT, product_modules
from tests.factories import AgencyFactory, BrandFactory, MembershipFactory, TwinFactory

TENANT_OWNED = {
    "accounts.ApiKey",
    "accounts.IdempotencyRecord",
    "accounts.Invitation",
    "accounts.Membership",
    "approvals.Proof",
    "approvals.ProofDecision",
    "approvals.ProofVersion",
    "contracts.Contract",
    "contracts.Signature",
    "core.AuditEvent",
    "crew.CrewMember",
    "crew.Credit",
    "core.Notification",
    "licensing.Consent",
    "licensing.ConsentRevocation",
    "licensing.ExclusivityHold",
    "licensing.Licence",
    "licensing.LicenceTerms",
    "misuse.Sighting",
    "misuse.TakedownCase",
    "payments.BankPayout",
    "payments.Charge",
    "payments.ConnectedAccount",
    "payments.Earning",
    "payments.LedgerAccount",
    "payments.LedgerEntry",
    "payments.LedgerTransaction",
    "payments.Payout",
    "payments.RefusedUse",
    "payments.Refund",
    "payments.TransferReversal",
    "payments.UsageReport",
    "provenance.CredentialedImage",
    "provenance.Fingerprint",
    "talent.RateCard",
    "talent.RateCardLine",
    "talent.Talent",
    "talent.Twin",
    "talent.TwinImage",
    "webhooks.BrandWebhookEndpoint",
    "webhooks.WebhookAttempt",
    "webhooks.WebhookDelivery",
}
OWNERS = (Organisation, User)
SCOPES = {
    "for_brand",
    "for_agency",
    "for_talent",
    "for_organisation",
    "for_user",
    "visible_to",
    "in_catalogue",
}
# Writing a row is not reading another tenant's: creating needs no scope.
UNSCOPED_WRITES = {"create", "bulk_create", "none"}


def derived_tenant_owned() -> set[str]:
    """Every product model with a chain of foreign keys to an organisation or a person (a
    model, talent, belongs to her agency)."""
    product = [m for m in apps.get_models() if m.__module__.startswith("marketplace.")]
    owned: set[type[models.Model]] = set()
    grew = True
    while grew:
        grew = False
        for model in product:
            if model in owned or model in OWNERS:
                continue
            for field in model._meta.get_fields():
                forward = field.concrete and (field.many_to_one or field.one_to_one)
                target = field.related_model
                if forward and (target in OWNERS or target in owned):
                    owned.add(model)
                    grew = True
                    break
    return {model._meta.label for model in owned}


def unscoped_front_door_accesses() -> list[str]:
    names = {label.split(".")[1] for label in TENANT_OWNED}
    found = []
    for module, path in product_modules():
        if not module.front_door or path.relative_to(ROOT).parts[2] == "management":
            continue
        tree = ast.parse(path.read_text())
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Attribute)
                and node.attr == "objects"
                and isinstance(node.value, ast.Name)
                and node.value.id in names
            ):
                continue
            # The methods chained on `Model.objects`: Model.objects.a(…).b(…) → [a, b].
            chain: list[str] = []
            current: ast.expr = node
            while True:
                parent = parents.get(current)
                if isinstance(parent, ast.Attribute) and parent.value is current:
                    chain.append(parent.attr)
                elif not (isinstance(parent, ast.Call) and parent.func is current):
                    break
                current = parent
            if not (SCOPES | UNSCOPED_WRITES) & set(chain):
                where = path.relative_to(ROOT)
                found.append(f"{where}:{node.lineno}: {ast.unparse(current)[:80]}")
    return found


def test_the_list_of_tenant_owned_models_is_complete():
    assert derived_tenant_owned() == TENANT_OWNED


def test_every_tenant_owned_model_has_a_scoped_queryset():
    unscoped = sorted(
        label
        for label in TENANT_OWNED
        if not SCOPES & set(dir(apps.get_model(label)._default_manager.get_queryset()))
    )

    assert unscoped == []


def test_front_doors_reach_tenant_owned_rows_only_through_a_scope():
    assert unscoped_front_door_accesses() == []


@pytest.mark.django_db
def test_a_scope_narrows_to_the_owner_and_fails_closed():
    agency, other_agency, brand = AgencyFactory(), AgencyFactory(), BrandFactory()
    twin = TwinFactory(talent__agency=agency)
    card = RateCard.objects.get(twin=twin)
    member = MembershipFactory(organisation=agency)
    stranger = MembershipFactory(organisation=other_agency)
    nobody = Viewer(user=AnonymousUser(), membership=None)

    assert list(RateCard.objects.for_organisation(agency)) == [card]
    assert list(RateCard.objects.for_talent(twin.talent)) == [card]
    assert list(RateCard.objects.visible_to(Viewer(user=member.user, membership=member))) == [card]
    assert not RateCard.objects.visible_to(Viewer(user=stranger.user, membership=stranger))
    assert not RateCard.objects.for_brand(brand)  # a rate card has no brand: none, not all
    assert not RateCard.objects.for_organisation(None)
    assert not RateCard.objects.visible_to(nobody)
    assert list(Membership.objects.for_organisation(agency)) == [member]
