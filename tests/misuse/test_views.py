"""The protection pages from outside: the model and her agency see and act; everyone else (a
competing agency or model, any brand, the licensee included) gets 404 and changes nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from marketplace.misuse.models import Sighting, TakedownCase
from marketplace.payments.models import RefusedUse
from marketplace.payments.services import usage
from tests.factories import UserFactory
from tests.misuse.conftest import model_viewer, report, today, unrelated_picture
from tests.signin import sign_in_with_totp

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def case(active, twin, django_capture_on_commit_callbacks) -> TakedownCase:
    with django_capture_on_commit_callbacks(execute=True):
        sighting = report(
            model_viewer(twin.talent),
            twin,
            url="https://host.example.com/p/9",
            screenshot=SimpleUploadedFile("s.jpg", unrelated_picture()),
        )
    return TakedownCase.objects.get(sighting=sighting)


def form(twin, **overrides) -> dict:
    data = {
        "twin": twin.pk,
        "url": "https://pirate.example.com/gallery/7",
        "seen_on": today().isoformat(),
        "territory": "DE",
        "media_type": "web",
        "note": "",
    }
    data.update(overrides)
    return data


def test_the_model_reports_a_sighting_and_lands_on_its_case(
    active, twin, django_capture_on_commit_callbacks
):
    client = client_for(twin.talent.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/protection/sightings/new/", form(twin))

    case = TakedownCase.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/protection/cases/{case.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "The takedown notice is ready." in page
    assert "pirate.example.com" in page
    assert "Mark the notice sent" not in page  # the model follows; her agency acts


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"url": "ftp://pirate.example.com/a"}, "http:// or https://"),
        ({"url": ""}, "a screenshot, or both"),
        (
            {"screenshot": SimpleUploadedFile("s.jpg", b"GIF89a not really" * 40)},
            "not a readable image",
        ),
    ],
)
def test_bad_input_answers_400_with_the_reason(active, twin, overrides, message):
    response = client_for(twin.talent.user).post(
        "/protection/sightings/new/", form(twin, **overrides)
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Sighting.objects.exists()


def test_reporting_for_someone_elses_twin_is_404_and_stores_nothing(
    twin, other_twin, other_talent, other_agency_manager
):
    for user in (other_talent.user, other_agency_manager.user):
        response = client_for(user).post("/protection/sightings/new/", form(twin))
        assert response.status_code == 404
    assert not Sighting.objects.exists()


@pytest.mark.parametrize("path", ["/protection/", "/protection/sightings/new/"])
def test_brands_have_no_protection_pages_and_visitors_sign_in(path, brand_manager):
    assert client_for(brand_manager.user).get(path).status_code == 404
    response = Client().get(path)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def case_paths(case: TakedownCase) -> list[str]:
    return [
        f"/protection/cases/{case.pk}/",
        f"/protection/cases/{case.pk}/notice.pdf",
        f"/protection/sightings/{case.sighting_id}/",
        f"/protection/sightings/{case.sighting_id}/screenshot/",
    ]


def test_the_model_and_her_agency_open_the_case_its_notice_and_evidence(case, twin, agency_member):
    for user in (twin.talent.user, agency_member.user):
        client = client_for(user)
        page, pdf, sighting, screenshot = (client.get(p) for p in case_paths(case))
        assert page.status_code == 200
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert pdf["Cache-Control"] == "private, no-store"
        assert sighting.status_code == 302  # a sighting with a case is followed there
        assert screenshot.status_code == 200 and screenshot["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize("who", ["other_agency", "other_model", "licensee", "other_brand"])
def test_everyone_else_gets_404_on_every_case_page_and_changes_nothing(
    case, who, other_agency_manager, other_talent, brand_manager, other_brand_manager
):
    user = {
        "other_agency": other_agency_manager.user,
        "other_model": other_talent.user,
        "licensee": brand_manager.user,
        "other_brand": other_brand_manager.user,
    }[who]
    client = client_for(user)
    before = (case.status, case.updated_at)

    for path in case_paths(case):
        assert client.get(path).status_code == 404, path
    moved = client.post(f"/protection/cases/{case.pk}/move/", {"to": "dismissed"})

    assert moved.status_code == 404
    case.refresh_from_db()
    assert (case.status, case.updated_at) == before


def test_the_model_cannot_move_her_case_on(case, twin):
    response = client_for(twin.talent.user).post(
        f"/protection/cases/{case.pk}/move/", {"to": "dismissed"}
    )

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "open"


def test_the_agency_marks_the_notice_sent_then_removed(case, agency_manager, twin):
    client = client_for(agency_manager.user)
    url = f"/protection/cases/{case.pk}/"
    assert "Mark the notice sent" in client.get(url).content.decode()

    client.post(f"{url}move/", {"to": "notice_sent"})
    page = client.get(url).content.decode()
    assert "The notice was sent" in page
    client.post(f"{url}move/", {"to": "removed", "note": ""})

    case.refresh_from_db()
    assert case.status == "removed"
    model_page = client_for(twin.talent.user).get(url).content.decode()
    assert "Removed." in model_page
    assert "sent the takedown notice to host.example.com" in model_page
    assert "confirmed the picture was removed" in model_page


def test_an_invalid_transition_from_the_page_says_why_and_changes_nothing(case, agency_manager):
    client = client_for(agency_manager.user)

    response = client.post(f"/protection/cases/{case.pk}/move/", {"to": "removed"}, follow=True)

    assert "cannot become removed" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "open"


def test_the_protection_page_lists_refused_uses_with_the_reason(
    active, twin, brand_manager, agency_member, other_agency_manager
):
    with pytest.raises(usage.ValidationFailed):
        usage.record_usage(
            by=brand_manager,
            reference=active.reference,
            data=usage.UsageInput(
                used_on=active.current_terms.start_date,
                media_type="social",
                territory="US",
                asset_reference="us/launch.jpg",
                idempotency_key="r1",
            ),
        )
    assert RefusedUse.objects.count() == 1

    for user in (twin.talent.user, agency_member.user):
        page = client_for(user).get("/protection/").content.decode()
        assert "US is not a licensed territory" in page
        assert active.reference in page
    stranger = client_for(other_agency_manager.user).get("/protection/").content.decode()
    assert "US is not a licensed territory" not in stranger
    assert "No refused use." in stranger


def test_the_admin_shows_a_case_and_its_sighting_without_linking_private_files(case, client):
    sign_in_with_totp(client, UserFactory(is_staff=True, is_superuser=True))

    for path in (
        f"/admin/misuse/takedowncase/{case.pk}/change/",
        f"/admin/misuse/sighting/{case.sighting_id}/change/",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    assert (
        case.notice.name
        in client.get(f"/admin/misuse/takedowncase/{case.pk}/change/").content.decode()
    )


def test_the_agency_is_pointed_to_the_api_for_its_monitoring_tools(twin, agency_member):
    agency_response = client_for(agency_member.user).get("/protection/")
    model_response = client_for(twin.talent.user).get("/protection/")
    assert (agency_response.status_code, model_response.status_code) == (200, 200)
    agency_page, model_page = agency_response.content.decode(), model_response.content.decode()

    assert "/api/v1/sightings" in agency_page and 'href="/api/docs/"' in agency_page
    assert "/api/v1/sightings" not in model_page  # she has no keys; her agency does
