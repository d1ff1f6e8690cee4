"""Contract pages: the parties (and staff) see and sign; everyone else gets a 404."""

from __future__ import annotations

import re

import pytest

from marketplace.contracts.models import Contract, Signature
from marketplace.licensing.models import Licence
from tests.factories import (
    AgencyFactory,
    BrandFactory,
    MembershipFactory,
    TalentFactory,
    UserFactory,
)
from tests.signin import give_totp, sign_in_with_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(consented):
    return Contract.objects.get()


def snapshot():
    return (
        list(Contract.objects.order_by("pk").values()),
        list(Signature.objects.order_by("pk").values()),
        list(Licence.objects.order_by("pk").values()),
    )


def urls(contract):
    ref, cref = contract.licence.reference, contract.reference
    return [
        ("get", f"/licences/{ref}/contract/panel/", {}),
        ("get", f"/licences/{ref}/contract/sign/", {}),
        (
            "post",
            f"/licences/{ref}/contract/sign/",
            {"typed_name": "x", "document_sha256": contract.document_sha256, "confirm": "on"},
        ),
        ("post", f"/licences/{ref}/contract/decline/", {"reason": "no"}),
        ("post", f"/licences/{ref}/contract/retry/", {}),
        ("get", f"/licences/{ref}/contracts/{cref}/document.pdf", {}),
        ("get", f"/licences/{ref}/contracts/{cref}/document.pdf?download=1", {}),
        ("get", f"/licences/{ref}/contracts/{cref}/executed.pdf", {}),
    ]


def test_every_other_tenant_gets_404_and_nothing_changes(client, contract):
    agency_b = AgencyFactory()
    outsiders = {
        "other agency": MembershipFactory(organisation=agency_b, role="owner").user,
        "other brand": MembershipFactory(organisation=BrandFactory(), role="owner").user,
        "other talent": TalentFactory(agency=agency_b, user=UserFactory()).user,
        "no tenant": UserFactory(),
    }
    before = snapshot()

    for who, user in outsiders.items():
        client.force_login(user)
        for method, url, data in urls(contract):
            response = getattr(client, method)(url, data)
            assert response.status_code == 404, (who, url)
            assert contract.reference not in response.content.decode(errors="ignore")

    assert snapshot() == before


def test_anonymous_is_sent_to_sign_in_and_nothing_changes(client, contract):
    before = snapshot()

    for method, url, data in urls(contract):
        response = getattr(client, method)(url, data)
        assert response.status_code in {302, 405}, url
        if response.status_code == 302:
            assert response.url.startswith("/accounts/login/")

    assert snapshot() == before


def test_each_party_and_staff_can_read_the_contract(client, contract, parties):
    ref, cref = contract.licence.reference, contract.reference
    staff = UserFactory(is_staff=True)
    reader = MembershipFactory(organisation=contract.licence.brand, role="finance").user
    for user in [
        parties["brand"].user,
        parties["agency"].user,
        parties["talent"].user,
        staff,
        reader,
    ]:
        if user.is_staff:  # staff only with the second factor
            client.logout()
            sign_in_with_totp(client, user)
        else:
            client.force_login(user)
        pdf = client.get(f"/licences/{ref}/contracts/{cref}/document.pdf")
        assert pdf.status_code == 200, user
        assert pdf["Content-Type"] == "application/pdf"
        assert pdf["X-Frame-Options"] == "SAMEORIGIN"
        assert b"".join(pdf.streaming_content) == contract.document.open("rb").read()
    download = client.get(f"/licences/{ref}/contracts/{cref}/document.pdf?download=1")
    assert download["Content-Disposition"] == f'attachment; filename="{cref}.pdf"'


def test_staff_without_the_second_factor_get_no_contract(client, contract, parties):
    # given staff with an authenticator whose session skipped its code
    ref, cref = contract.licence.reference, contract.reference
    staff = UserFactory(is_staff=True)
    give_totp(staff)
    client.force_login(staff)

    for path in [
        f"/licences/{ref}/contracts/{cref}/document.pdf",
        f"/licences/{ref}/",
        f"/admin/contracts/contract/{contract.pk}/change/",
    ]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next="), path
        assert "_auth_user_id" not in client.session
        client.force_login(staff)


def test_panel_polls_while_awaiting_and_shows_whose_turn(client, contract, parties):
    client.force_login(parties["brand"].user)

    page = client.get(f"/licences/{contract.licence.reference}/").content.decode()

    assert 'hx-trigger="every 2s"' in page
    assert "Awaiting signatures 0/3" in page
    assert "Review and sign" in page
    client.force_login(parties["agency"].user)
    agency_page = client.get(f"/licences/{contract.licence.reference}/").content.decode()
    assert "Review and sign" not in agency_page
    assert "Waiting for the brand to sign" in agency_page


def _sign_in_browser(client, contract, user, name):
    page = client.get(f"/licences/{contract.licence.reference}/contract/sign/").content.decode()
    match = re.search(r'name="document_sha256" value="([0-9a-f]{64})"', page)
    assert match is not None
    sha = match.group(1)
    return client.post(
        f"/licences/{contract.licence.reference}/contract/sign/",
        {"document_sha256": sha, "typed_name": name, "confirm": "on"},
        HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Chromium",
    )


def test_three_parties_sign_in_the_browser_and_the_panel_stops_polling(
    client, contract, parties, django_capture_on_commit_callbacks
):
    ref = contract.licence.reference
    for who, name in [("brand", "Bea Brandt"), ("agency", "aki  AGENT")]:
        client.force_login(parties[who].user)
        assert _sign_in_browser(client, contract, parties[who].user, name).status_code == 302
    client.force_login(parties["talent"].user)
    with django_capture_on_commit_callbacks(execute=True):
        response = _sign_in_browser(
            client, contract, parties["talent"].user, "Zoë Łukasiewicz-Okafor"
        )

    assert response.status_code == 302
    signature = Signature.objects.get(role="talent")
    assert (signature.ip_address, signature.user_agent) == (
        "127.0.0.1",
        "Mozilla/5.0 (X11; Linux x86_64) Chromium",
    )
    panel = client.get(f"/licences/{ref}/contract/panel/?seen=sealing", HTTP_HX_REQUEST="true")
    body = panel.content.decode()
    assert "Executed" in body and "hx-trigger" not in body
    assert panel["HX-Refresh"] == "true"
    executed = client.get(f"/licences/{ref}/contracts/{contract.reference}/executed.pdf")
    assert executed.status_code == 200


def test_a_stale_hash_in_the_form_is_refused_with_a_message(client, contract, parties):
    client.force_login(parties["brand"].user)

    response = client.post(
        f"/licences/{contract.licence.reference}/contract/sign/",
        {"document_sha256": "f" * 64, "typed_name": "Bea Brandt", "confirm": "on"},
    )

    assert response.status_code == 200
    assert "The document changed since you opened it" in response.content.decode()
    assert Signature.objects.count() == 0


def test_the_model_declines_in_the_browser_and_the_licence_goes_back(client, contract, parties):
    client.force_login(parties["talent"].user)

    response = client.post(
        f"/licences/{contract.licence.reference}/contract/decline/",
        {"reason": "The use limit is not what my agency told me."},
    )

    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == Contract.Status.VOID
    assert contract.licence.status == Licence.Status.REQUESTED
    page = client.get(f"/licences/{contract.licence.reference}/").content.decode()
    assert "The model declined to sign the contract" in page


def test_staff_see_contracts_and_signatures_read_only_in_the_admin(client, contract, parties):
    from tests.contracts.conftest import sign_as

    sign_as(contract, parties["brand"])
    sign_in_with_totp(client, UserFactory(is_staff=True, is_superuser=True))

    listing = client.get("/admin/contracts/contract/")
    detail = client.get(f"/admin/contracts/contract/{contract.pk}/change/")

    assert listing.status_code == detail.status_code == 200
    body = detail.content.decode()
    assert contract.document_sha256 in body and "Bea Brandt" in body
    assert 'name="_save"' not in body  # read-only: nothing to save
    assert client.get("/admin/contracts/contract/add/").status_code == 403
