"""Refused uses are recorded with their reason (web form, API single use, API batch) and shown
to the model and her agency; never to a competing brand."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.licensing import services as licensing
from marketplace.payments import selectors
from marketplace.payments.models import RefusedUse, UsageReport
from marketplace.payments.services import usage
from marketplace.talent.demo_images import studio_portrait
from tests.api.conftest import active_licence, key_client
from tests.flows import CTX

pytestmark = pytest.mark.django_db


@pytest.fixture
def licence(world):
    """Active from today, social and web in DE and FR, at most 4 uses."""
    today = timezone.localdate()
    return active_licence(
        brand_manager=world.members["brand_a_manager"],
        agency_manager=world.members["agency_a_manager"],
        twin=world.twin,
        media_types=["social", "web"],
        start_date=today,
        end_date=today + timedelta(days=60),
        max_uses=4,
    )


def use(n: int = 0, **overrides: Any) -> usage.UsageInput:
    values: dict[str, Any] = {
        "used_on": timezone.localdate(),
        "media_type": "social",
        "territory": "DE",
        "asset_reference": f"dam://asset/{n}",
        "idempotency_key": f"use-{n}",
    }
    values.update(overrides)
    return usage.UsageInput(**values)


def body(n: int = 0, **overrides) -> dict:
    data = use(n, **overrides)
    return {
        "used_on": data.used_on.isoformat(),
        "media_type": data.media_type,
        "territory": data.territory,
        "asset_reference": data.asset_reference,
        "idempotency_key": data.idempotency_key,
    }


@pytest.mark.parametrize(
    ("overrides", "code", "words"),
    [
        ({"territory": "US"}, "territory_not_licensed", "US is not a licensed territory"),
        ({"media_type": "print"}, "media_not_licensed", "Print is not licensed"),
        ({"used_on": "before"}, "outside_window", "outside the licence window"),
    ],
)
def test_a_refused_use_is_recorded_with_its_reason_and_nothing_else(
    world, licence, overrides, code, words
):
    if overrides.get("used_on") == "before":
        overrides["used_on"] = timezone.localdate() - timedelta(days=1)
    by = world.members["brand_a_manager"]

    with pytest.raises(usage.ValidationFailed) as refused:
        usage.record_usage(by=by, reference=licence.reference, data=use(1, **overrides))

    assert refused.value.code == code
    row = RefusedUse.objects.get()
    assert (row.licence, row.brand, row.talent, row.reported_by) == (
        licence,
        world.orgs["brand_a"],
        licence.talent,
        by.user,
    )
    assert row.code == code
    assert words in row.reason
    assert row.reason == refused.value.message
    assert (row.idempotency_key, row.asset_reference) == ("use-1", "dam://asset/1")
    assert not UsageReport.objects.exists()
    licence.refresh_from_db()
    assert licence.uses_count == 0


def test_a_use_over_the_cap_is_recorded_as_refused(world, licence):
    by = world.members["brand_a_manager"]
    for n in range(4):
        usage.record_usage(by=by, reference=licence.reference, data=use(n))

    with pytest.raises(usage.ValidationFailed):
        usage.record_usage(by=by, reference=licence.reference, data=use(9))

    assert list(RefusedUse.objects.values_list("code", "reason")) == [
        ("use_cap_reached", "The use cap is reached (4 of 4).")
    ]


def test_a_use_after_revocation_is_recorded_as_refused(world, licence):
    by = world.members["brand_a_manager"]
    talent = world.talent["talent_a"]
    licensing.revoke_twin_consent(
        talent=talent, user=talent.user, twin_id=world.twin.pk, reason="", context=CTX
    )

    with pytest.raises(usage.ValidationFailed):
        usage.record_usage(by=by, reference=licence.reference, data=use(1))

    row = RefusedUse.objects.get()
    assert row.code in {"consent_revoked", "licence_not_active"}
    assert row.reason


def test_a_refusal_under_the_licence_lock_outlives_the_rolled_back_write(world, licence):
    """With a picture the use is checked under the lock, in a transaction that rolls back:
    the refusal is written after it, and no picture is kept."""
    by = world.members["brand_a_manager"]
    picture = SimpleUploadedFile("p.jpg", studio_portrait(3, size=(320, 400)))

    with pytest.raises(usage.ValidationFailed):
        usage.record_usage(
            by=by, reference=licence.reference, data=use(1, territory="US", image=picture)
        )

    assert RefusedUse.objects.get().code == "territory_not_licensed"
    assert not UsageReport.objects.exists()


def test_the_same_refused_attempt_retried_is_one_record(world, licence):
    by = world.members["brand_a_manager"]
    for _ in range(3):
        with pytest.raises(usage.ValidationFailed):
            usage.record_usage(by=by, reference=licence.reference, data=use(1, territory="US"))

    assert RefusedUse.objects.count() == 1


def test_a_replay_of_an_accepted_use_and_a_key_clash_are_not_refused_uses(world, licence):
    by = world.members["brand_a_manager"]
    usage.record_usage(by=by, reference=licence.reference, data=use(1))

    usage.record_usage(by=by, reference=licence.reference, data=use(1))  # replay
    with pytest.raises(usage.ValidationFailed, match="different report"):
        usage.record_usage(by=by, reference=licence.reference, data=use(1, territory="FR"))

    assert not RefusedUse.objects.exists()


def test_the_api_single_use_records_its_refusal(world, licence):
    client = key_client(world.tokens["brand_a"])

    response = client.post(
        f"/api/v1/licences/{licence.reference}/uses", body(1, territory="US"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "territory_not_licensed"
    assert RefusedUse.objects.get().reason == response.json()["error"]["message"]


def test_the_api_batch_records_each_refusal_but_not_key_clashes(world, licence):
    client = key_client(world.tokens["brand_a"])
    uses = [
        body(1),
        body(2, territory="US"),
        body(3, media_type="print"),
        body(4),
        body(1, asset_reference="dam://else"),  # key reused for another use: no refusal
    ]

    response = client.post(
        f"/api/v1/licences/{licence.reference}/uses/batch", {"uses": uses}, format="json"
    )

    assert response.json()["summary"] == {"created": 2, "replayed": 0, "refused": 3}
    assert sorted(RefusedUse.objects.values_list("idempotency_key", "code")) == [
        ("use-2", "territory_not_licensed"),
        ("use-3", "media_not_licensed"),
    ]
    assert UsageReport.objects.count() == 2


def test_refusals_cost_an_accepted_batch_nothing_and_a_refused_batch_one_statement(world, licence):
    by = world.members["brand_a_manager"]
    with CaptureQueriesContext(connection) as accepted:
        usage.record_usage_batch(by=by, reference=licence.reference, uses=[use(1), use(2)])
    with CaptureQueriesContext(connection) as mixed:
        usage.record_usage_batch(
            by=by,
            reference=licence.reference,
            uses=[use(3), use(4, territory="US"), use(5, territory="IT")],
        )

    inserts = [q["sql"] for q in accepted.captured_queries if "refused" in q["sql"].lower()]
    assert inserts == []
    refused_sql = [q for q in mixed.captured_queries if "payments_refuseduse" in q["sql"]]
    assert len(refused_sql) == 1
    assert RefusedUse.objects.count() == 2


def test_the_web_form_records_its_refusal(world, licence):
    client = Client()
    client.force_login(world.members["brand_a_manager"].user)

    response = client.post(
        f"/licences/{licence.reference}/uses/",
        {
            "used_on": (timezone.localdate() - timedelta(days=3)).isoformat(),
            "media_type": "social",
            "territory": "DE",
            "asset_reference": "print/ad.pdf",
            "idempotency_key": "form-1",
        },
    )

    assert response.status_code == 400
    assert "outside the licence window" in response.content.decode()
    assert RefusedUse.objects.get().code == "outside_window"


def _refuse(world, licence) -> None:
    with pytest.raises(usage.ValidationFailed):
        usage.record_usage(
            by=world.members["brand_a_manager"],
            reference=licence.reference,
            data=use(1, territory="US"),
        )


@pytest.mark.parametrize("who", ["talent_a", "agency_a_member", "brand_a_member"])
def test_the_parties_see_the_refusal_and_its_reason_on_the_licence_page(world, licence, who):
    _refuse(world, licence)
    client = Client()
    client.force_login(world.user(who))

    page = client.get(f"/licences/{licence.reference}/").content.decode()

    assert "Refused uses" in page
    assert "US is not a licensed territory" in page


@pytest.mark.parametrize("who", ["brand_b_owner", "agency_b_owner", "talent_b"])
def test_no_one_else_sees_a_refusal(world, licence, who):
    _refuse(world, licence)
    client = Client()
    client.force_login(world.user(who))

    assert client.get(f"/licences/{licence.reference}/").status_code == 404


def test_refusals_are_scoped_to_their_tenants(world, licence):
    _refuse(world, licence)

    class Seen:
        def __init__(self, membership=None, talent=None):
            self.membership = membership
            self.talent = talent

        @property
        def organisation(self):
            return self.membership.organisation

    members = world.members
    assert selectors.refused_uses(Seen(members["brand_a_member"])).count() == 1
    assert selectors.refused_uses(Seen(members["agency_a_member"])).count() == 1
    assert selectors.refused_uses(Seen(talent=world.talent["talent_a"])).count() == 1
    assert selectors.refused_uses(Seen(members["brand_b_owner"])).count() == 0
    assert selectors.refused_uses(Seen(members["agency_b_owner"])).count() == 0
    assert selectors.refused_uses(Seen(talent=world.talent["talent_b"])).count() == 0
    assert selectors.refused_uses(Seen()).count() == 0


def test_a_use_without_an_approved_proof_is_recorded_as_refused(world):
    """A licence whose terms ask for the model's approval of each image refuses a use reported
    directly (the approvals rule, in licensing's checks): that refusal is recorded too."""
    today = timezone.localdate()
    licence = active_licence(
        brand_manager=world.members["brand_a_manager"],
        agency_manager=world.members["agency_a_manager"],
        twin=world.twin,
        media_types=["social"],
        start_date=today,
        end_date=today + timedelta(days=60),
        image_approval=True,
    )

    with pytest.raises(usage.ValidationFailed) as refused:
        usage.record_usage(
            by=world.members["brand_a_manager"], reference=licence.reference, data=use(1)
        )

    assert refused.value.code == "approval_required"
    assert RefusedUse.objects.get().code == "approval_required"
