"""A use's page of signed copies: the brand downloads both copies and the disclosure text;
the agency and the model see them; everyone else gets a 404; while the worker is at it,
the page says so and refreshes itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.payments.models import UsageReport
from marketplace.payments.services import usage
from marketplace.provenance import services
from marketplace.provenance.models import CredentialedImage
from tests.factories import MembershipFactory
from tests.provenance.conftest import report_use, scene

pytestmark = pytest.mark.django_db


def test_the_brand_finds_both_copies_and_the_disclosure_on_the_use_s_page(
    credentialed, login, brand_manager
):
    client = login(brand_manager.user)
    listing = client.get(f"/licences/{credentialed.use.licence.reference}/uses/").content.decode()
    url = f"/uses/{credentialed.use_id}/credentials/"
    assert f'href="{url}"' in listing

    page = client.get(url).content.decode()

    assert f'href="/credentialed/{credentialed.pk}/"' in page
    assert f'href="/credentialed/{credentialed.pk}/labelled/"' in page
    assert "AI-generated · digital twin, licensed" in page
    assert credentialed.disclosure in page
    assert f'href="/verify/{credentialed.verify_token}/"' in page
    assert "hx-trigger" not in page


def test_the_agency_and_the_model_see_the_page_and_a_rival_brand_gets_404(
    credentialed, login, agency_manager, talent, other_brand, client
):
    url = f"/uses/{credentialed.use_id}/credentials/"
    for user in (agency_manager.user, talent.user):
        assert login(user).get(url).status_code == 200
    rival = MembershipFactory(organisation=other_brand, role="owner")
    before = CredentialedImage.objects.count(), UsageReport.objects.count()

    assert login(rival.user).get(url).status_code == 404
    assert login(rival.user).get(f"/uses/{credentialed.use_id + 99}/credentials/").status_code == (
        404
    )
    client.logout()
    assert client.get(url).status_code in (302, 404)
    assert "/credentialed/" not in client.get(url).content.decode()
    assert (CredentialedImage.objects.count(), UsageReport.objects.count()) == before


def test_while_the_worker_signs_the_page_says_so_and_refreshes(active, brand_manager, login):
    report = report_use(active, brand_manager, picture=scene(3))  # the task has not run
    client = login(brand_manager.user)
    url = f"/uses/{report.pk}/credentials/"

    pending = client.get(url).content.decode()
    assert "Signing the copies…" in pending
    assert f'hx-get="{url}"' in pending and 'hx-trigger="every 3s"' in pending

    services.credential_use(use_id=report.pk)
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert fragment.startswith('<div id="use-credentials"')
    assert "Download the labelled copy" in fragment
    assert "hx-trigger" not in fragment


def test_copies_that_never_came_are_reported_late(active, brand_manager, login):
    report = report_use(active, brand_manager, picture=scene(3))
    an_hour_ago = timezone.now() - timedelta(hours=1)
    UsageReport.objects.filter(pk=report.pk).update(created_at=an_hour_ago, updated_at=an_hour_ago)

    page = login(brand_manager.user).get(f"/uses/{report.pk}/credentials/").content.decode()

    assert "The copies are late." in page
    assert "hx-trigger" not in page


def test_a_use_without_a_picture_explains_there_is_nothing_to_sign(active, brand_manager, login):
    report, _ = usage.record_usage(
        by=brand_manager,
        reference=active.reference,
        data=usage.UsageInput(
            used_on=active.current_terms.start_date,
            media_type="social",
            territory="DE",
            asset_reference="a",
            idempotency_key="no-picture",
        ),
    )

    # the brand is offered to add the final picture; the model reads that there is none
    page = login(brand_manager.user).get(f"/uses/{report.pk}/credentials/").content.decode()
    assert "This use was reported without its picture." in page
    page = login(active.talent.user).get(f"/uses/{report.pk}/credentials/").content.decode()

    assert "No picture was reported with this use." in page


def test_the_model_sees_the_credentialed_image_in_her_list_of_uses(
    active, brand_manager, talent, login
):
    signed = report_use(active, brand_manager, picture=scene(3), key="a")
    waiting = report_use(active, brand_manager, picture=scene(4), key="b")
    services.credential_use(use_id=signed.pk)

    page = login(talent.user).get("/me/dashboard/").content.decode()

    assert f'<a href="/uses/{signed.pk}/credentials/">Credentialed image ✓' in page
    assert f'<a href="/uses/{waiting.pk}/credentials/">Credentialed image (being signed)' in page
