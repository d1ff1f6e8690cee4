"""Staff look licences and consents up in the admin: searchable, filterable, never editable."""

from __future__ import annotations

import pytest

from marketplace.licensing import services as licensing
from marketplace.licensing.models import Consent, ConsentRevocation, Licence
from tests.factories import BrandFactory, MembershipFactory, UserFactory
from tests.flows import CTX, consented_licence
from tests.licensing.conftest import make_terms
from tests.signin import sign_in_with_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    return sign_in_with_totp(client, UserFactory(is_staff=True, is_superuser=True))


@pytest.fixture
def licence(brand_manager, agency_manager, twin):
    return consented_licence(brand_member=brand_manager, agency_member=agency_manager, twin=twin)


def snapshot() -> list[tuple]:
    return [
        *Licence.objects.values_list("pk", "status", "terms_id"),
        *Consent.objects.values_list("pk", "decision", "typed_name"),
        *ConsentRevocation.objects.values_list("pk", "reason"),
    ]


def test_the_admin_index_lists_licences_and_consents_and_spells_deliveries(staff_client):
    html = staff_client.get("/admin/").content.decode()

    for name in ["Licences", "Consents", "Consent revocations", "Webhook deliveries"]:
        assert f">{name}</a>" in html
    assert "deliverys" not in html


def test_licences_are_found_by_reference_and_brand_and_filtered_by_status(
    staff_client, licence, agency_manager, twin
):
    # given a second licence of another brand, for the same twin
    other_brand = MembershipFactory(organisation=BrandFactory(name="Vela & Co"), role="manager")
    other = licensing.request_licence(by=other_brand, twin_id=twin.pk, terms=make_terms())

    # when staff search and filter
    by_reference = staff_client.get("/admin/licensing/licence/", {"q": licence.reference})
    by_brand = staff_client.get("/admin/licensing/licence/", {"q": "Vela"})
    by_status = staff_client.get("/admin/licensing/licence/", {"status__exact": "requested"})

    # then each list holds exactly the licences asked for
    def references(response) -> set[str]:
        html = response.content.decode()
        return {ref for ref in (licence.reference, other.reference) if f">{ref}</a>" in html}

    assert references(by_reference) == {licence.reference}
    assert references(by_brand) == {other.reference}
    assert references(by_status) == {other.reference}


def test_a_licence_shows_its_terms_and_consent_and_cannot_be_changed(staff_client, licence):
    before = snapshot()
    url = f"/admin/licensing/licence/{licence.pk}/change/"

    page = staff_client.get(url)
    refused_change = staff_client.post(url, {"status": "active"})
    refused_add = staff_client.get("/admin/licensing/licence/add/")
    refused_delete = staff_client.post(
        f"/admin/licensing/licence/{licence.pk}/delete/", {"post": "yes"}
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert "Terms, every version" in html
    assert licence.current_terms.terms_hash in html
    assert licence.talent.full_name in html  # the consent's typed name
    assert 'name="_save"' not in html
    assert (refused_change.status_code, refused_add.status_code) == (403, 403)
    assert refused_delete.status_code == 403
    assert snapshot() == before


def test_consents_and_revocations_are_searchable_and_read_only(staff_client, licence, twin):
    licensing.revoke_twin_consent(
        talent=twin.talent, user=twin.talent.user, twin_id=twin.pk, reason="Retiring", context=CTX
    )
    consent = Consent.objects.get()
    revocation = ConsentRevocation.objects.get()
    before = snapshot()

    consents = staff_client.get("/admin/licensing/consent/", {"q": licence.reference})
    refused = staff_client.get("/admin/licensing/consentrevocation/", {"q": "Retiring"})
    change = staff_client.post(
        f"/admin/licensing/consent/{consent.pk}/change/", {"decision": "refused"}
    )
    delete = staff_client.post(
        f"/admin/licensing/consentrevocation/{revocation.pk}/delete/", {"post": "yes"}
    )

    assert f"/admin/licensing/consent/{consent.pk}/change/" in consents.content.decode()
    assert "1 consent revocation" in refused.content.decode()
    assert (change.status_code, delete.status_code) == (403, 403)
    assert snapshot() == before


def test_a_signed_in_brand_cannot_open_the_licence_admin(client, brand_manager, licence):
    client.force_login(brand_manager.user)

    response = client.get("/admin/licensing/licence/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
