"""API keys in the Django admin: listed, searched, filtered and revoked by platform staff;
never added there, never edited, and their hash never shown."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from marketplace.accounts.models import ApiKey
from marketplace.core.models import AuditEvent
from tests.api.conftest import issue_key, key_client
from tests.factories import UserFactory
from tests.signin import sign_in_with_totp

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/accounts/apikey/"


@pytest.fixture
def staff_client() -> Client:
    return sign_in_with_totp(Client(), UserFactory(is_staff=True, is_superuser=True))


@pytest.fixture
def keys(world) -> dict[str, ApiKey]:
    """Brand A's narrow key (used once), agency B's key (revoked), and every org's full key."""
    narrow = issue_key(world.members["brand_a_owner"], scopes=["usage:write"], name="DAM sync")
    assert key_client(narrow).get("/api/v1/me").status_code == 200  # used: last_used_at set
    revoked = issue_key(world.members["agency_b_owner"], name="Old booking tool")
    ApiKey.objects.filter(name="Old booking tool").update(revoked_at=timezone.now())
    by_name = {k.name: k for k in ApiKey.objects.all()}
    assert len(by_name) == 6 and revoked
    return by_name


def names(response) -> list[str]:
    return sorted(str(k.name) for k in response.context["cl"].result_list)


def test_the_list_shows_each_key_s_organisation_scopes_prefix_and_dates(staff_client, keys):
    response = staff_client.get(CHANGELIST)

    assert response.status_code == 200
    page = response.content.decode()
    assert names(response) == sorted(keys)
    for column in ("Name", "Organisation", "Scopes", "Prefix", "Created at", "Last used at"):
        assert column in page
    assert "Revoked at" in page
    dam = keys["DAM sync"]
    assert dam.display_prefix in page
    assert "Brand A" in page and "usage:write" in page
    assert dam.last_used_at is not None
    for key in keys.values():
        assert key.key_hash not in page


def test_the_list_is_searched_by_name_prefix_and_organisation(staff_client, keys):
    dam = keys["DAM sync"]

    by_name = staff_client.get(CHANGELIST, {"q": "dam sync"})
    by_prefix = staff_client.get(CHANGELIST, {"q": dam.prefix})
    by_org = staff_client.get(CHANGELIST, {"q": '"Agency B"'})

    assert names(by_name) == names(by_prefix) == ["DAM sync"]
    assert names(by_org) == ["Old booking tool", "agency_b all scopes"]


def test_the_hash_is_not_searchable(staff_client, keys):
    response = staff_client.get(CHANGELIST, {"q": keys["DAM sync"].key_hash})

    assert names(response) == []


def test_the_list_is_filtered_by_status_kind_and_use(staff_client, keys):
    live = staff_client.get(CHANGELIST, {"status": "live"})
    revoked = staff_client.get(CHANGELIST, {"status": "revoked"})
    brands = staff_client.get(CHANGELIST, {"organisation__kind": "brand"})
    never_used = staff_client.get(CHANGELIST, {"last_used_at__isempty": "1"})

    assert names(revoked) == ["Old booking tool"]
    assert len(names(live)) == 5 and "Old booking tool" not in names(live)
    assert names(brands) == ["DAM sync", "brand_a all scopes", "brand_b all scopes"]
    assert "DAM sync" not in names(never_used) and len(names(never_used)) == 5


def test_a_key_is_shown_read_only_without_its_hash(staff_client, keys):
    dam = keys["DAM sync"]
    url = f"{CHANGELIST}{dam.pk}/change/"

    page = staff_client.get(url)
    post = staff_client.post(
        url, {"name": "Renamed", "scopes": '["catalogue:read", "licences:write"]'}
    )

    assert page.status_code == 200
    content = page.content.decode()
    assert dam.key_hash not in content
    assert "key_hash" not in content and "Key hash" not in content
    assert 'name="name"' not in content and 'name="scopes"' not in content
    assert dam.display_prefix in content and "usage:write" in content
    assert post.status_code == 403
    dam.refresh_from_db()
    assert (dam.name, dam.scopes) == ("DAM sync", ["usage:write"])


def test_keys_are_not_added_or_deleted_in_the_admin(staff_client, keys):
    dam = keys["DAM sync"]
    before = ApiKey.objects.count()

    add = staff_client.get(f"{CHANGELIST}add/")
    add_post = staff_client.post(f"{CHANGELIST}add/", {"name": "x", "scopes": "[]"})
    delete = staff_client.post(f"{CHANGELIST}{dam.pk}/delete/", {"post": "yes"})
    bulk = staff_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [dam.pk], "post": "yes"}
    )

    assert add.status_code == add_post.status_code == delete.status_code == 403
    assert f"{CHANGELIST}add/" not in staff_client.get(CHANGELIST).content.decode()
    assert bulk.status_code in {200, 302}
    assert ApiKey.objects.count() == before


def test_staff_revoke_keys_through_the_owner_s_service(staff_client, keys, world):
    dam = keys["DAM sync"]
    old = keys["Old booking tool"]
    revoked_at = old.revoked_at
    token = issue_key(world.members["brand_b_owner"], name="To revoke")
    target = ApiKey.objects.get(name="To revoke")
    assert key_client(token).get("/api/v1/me").status_code == 200

    response = staff_client.post(
        CHANGELIST,
        {"action": "revoke", "_selected_action": [dam.pk, old.pk, target.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "2 API key(s) revoked" in response.content.decode()
    for key in (dam, old, target):
        key.refresh_from_db()
    assert dam.revoked_at is not None and target.revoked_at is not None
    assert old.revoked_at == revoked_at  # already revoked: left as it was
    assert key_client(token).get("/api/v1/me").status_code == 401
    events = AuditEvent.objects.filter(verb="api_key.revoked").order_by("target_id")
    assert [(e.target_id, e.organisation_id) for e in events] == sorted(
        [(dam.pk, dam.organisation_id), (target.pk, target.organisation_id)]
    )
    staff = response.wsgi_request.user
    assert {e.actor_id for e in events} == {staff.pk}
    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == 4


def test_staff_who_may_only_view_keys_cannot_revoke_them(keys):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_apikey"))
    client = sign_in_with_totp(Client(), viewer)
    dam = keys["DAM sync"]

    listing = client.get(CHANGELIST)
    response = client.post(CHANGELIST, {"action": "revoke", "_selected_action": [dam.pk]})

    assert listing.status_code == 200
    assert 'value="revoke"' not in listing.content.decode()
    assert response.status_code in {200, 302}
    dam.refresh_from_db()
    assert dam.revoked_at is None
    assert not AuditEvent.objects.filter(verb="api_key.revoked").exists()
