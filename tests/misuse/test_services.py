"""A sighting reported, matched and classified; a takedown case drafted, sent and closed; bad
input refused with a clear reason and nothing stored."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader

from marketplace.core.errors import PermissionDenied, TransitionError, ValidationFailed
from marketplace.core.models import AuditEvent, Notification
from marketplace.licensing.models import LicenceTerms
from marketplace.misuse import services
from marketplace.misuse.models import Sighting, TakedownCase
from marketplace.payments.services import usage
from marketplace.provenance import services as provenance
from marketplace.talent.models import Twin
from tests.misuse.conftest import (
    member_viewer,
    model_viewer,
    png_bomb,
    report,
    signed_bytes,
    today,
    unrelated_picture,
    upload,
)
from tests.provenance.conftest import report_use, scene, stripped

pytestmark = pytest.mark.django_db


def notice_text(case: TakedownCase) -> str:
    with case.notice.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


# --- Classification -------------------------------------------------------------------------


def test_a_credentialed_picture_seen_inside_its_licence_is_licensed_and_in_scope(
    credentialed, twin, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sighting = report(
            model_viewer(twin.talent), twin, screenshot=upload(signed_bytes(credentialed))
        )

    assert sighting.finding == Sighting.Finding.IN_SCOPE
    assert sighting.method == "manifest"
    assert sighting.use == credentialed.use
    assert sighting.licence == credentialed.use.licence
    assert not TakedownCase.objects.exists()


def test_a_screenshot_stripped_of_its_credentials_is_found_by_its_fingerprint(
    active, brand_manager, twin, django_capture_on_commit_callbacks
):
    # given a use's credentialed copy, re-encoded by a social network (no manifest left)
    use = report_use(active, brand_manager, picture=scene(33, size=(1200, 900)), key="seen")
    image = provenance.credential_use(use_id=use.pk)
    assert image is not None
    with image.file.open("rb") as handle:
        screenshot = stripped(handle.read())

    with django_capture_on_commit_callbacks(execute=True):
        sighting = report(model_viewer(twin.talent), twin, screenshot=upload(screenshot))

    # then it is recognised as that use, by its likeness, and judged against the licence
    assert (sighting.method, sighting.use) == ("fingerprint", image.use)
    assert sighting.finding == Sighting.Finding.IN_SCOPE
    assert not TakedownCase.objects.exists()


def test_a_credentialed_picture_seen_in_another_territory_is_out_of_scope(
    credentialed, twin, brand_manager, agency_manager, django_capture_on_commit_callbacks
):
    licence = credentialed.use.licence

    with django_capture_on_commit_callbacks(execute=True):
        sighting = report(
            model_viewer(twin.talent),
            twin,
            screenshot=upload(signed_bytes(credentialed)),
            territory="US",
            url="https://shop.example.com/campaign",
        )

    assert sighting.finding == Sighting.Finding.OUT_OF_SCOPE
    assert sighting.licence == licence
    assert "US is not a licensed territory" in sighting.reason
    # Recorded against the licence, and the brand and agency told.
    assert AuditEvent.objects.filter(
        target_type="licensing.licence", target_id=licence.pk, verb="misuse.seen_out_of_scope"
    ).exists()
    told = set(Notification.objects.values_list("user_id", flat=True))
    assert {brand_manager.user_id, agency_manager.user_id} <= told
    brand_note = Notification.objects.get(user=brand_manager.user, title__contains="outside")
    assert brand_note.title.endswith(f"a use under {licence.reference} was seen outside its terms")
    assert brand_note.url == f"/licences/{licence.reference}/"
    # A case opened, its notice drafted by the worker, stating the breached term.
    case = TakedownCase.objects.get(sighting=sighting)  # as the worker left it
    assert case.status == TakedownCase.Status.OPEN
    assert case.notice
    text = notice_text(case)
    assert "shop.example.com" in text
    assert licence.reference in text
    assert "US is not a licensed territory" in text
    assert licence.brand.name not in text  # the host learns the breach, not the licensee
    assert sighting.screenshot_sha256[:16] in text.replace(" ", "").replace("\n", "")


def test_a_use_seen_after_the_licence_window_is_out_of_scope(
    credentialed, twin, django_capture_on_commit_callbacks
):
    licence = credentialed.use.licence
    LicenceTerms.objects.filter(pk=licence.terms_id).update(
        start_date=today() - timedelta(days=30), end_date=today() - timedelta(days=2)
    )

    with django_capture_on_commit_callbacks(execute=True):
        sighting = report(
            model_viewer(twin.talent), twin, screenshot=upload(signed_bytes(credentialed))
        )

    assert sighting.finding == Sighting.Finding.OUT_OF_SCOPE
    assert "outside the licence window" in sighting.reason


def test_an_unknown_picture_opens_a_case_with_a_notice_of_the_missing_licence(
    active, twin, agency_manager, django_capture_on_commit_callbacks
):
    data = unrelated_picture()

    with django_capture_on_commit_callbacks(execute=True):
        sighting = report(
            model_viewer(twin.talent),
            twin,
            screenshot=upload(data),
            url="https://www.Imageboard.example.net/p/1?x=y",
        )

    assert sighting.finding == Sighting.Finding.UNKNOWN
    assert sighting.licence is None
    assert sighting.host == "www.imageboard.example.net"
    assert sighting.screenshot_sha256 == hashlib.sha256(data).hexdigest()
    case = TakedownCase.objects.get(sighting=sighting)  # as the worker left it
    text = notice_text(case)
    assert "www.imageboard.example.net" in text
    assert "No licence for this use was granted" in text
    assert twin.talent.full_name in text
    flat = text.replace(" ", "").replace("\n", "")
    assert sighting.screenshot_sha256 in flat
    assert Notification.objects.filter(
        user=agency_manager.user, title__contains="ready to review"
    ).exists()
    assert case.notice_sha256 == hashlib.sha256(case.notice.open("rb").read()).hexdigest()


def test_an_address_a_brand_reported_for_a_use_matches_it(
    active, brand_manager, twin, django_capture_on_commit_callbacks
):
    address = "https://shop.example.com/look-04"
    usage.record_usage(
        by=brand_manager,
        reference=active.reference,
        data=usage.UsageInput(
            used_on=active.current_terms.start_date,
            media_type="social",
            territory="DE",
            asset_reference=address,
            idempotency_key="u1",
        ),
    )

    with django_capture_on_commit_callbacks(execute=True):
        in_scope = report(model_viewer(twin.talent), twin, url=address)
        in_print = report(model_viewer(twin.talent), twin, url=address, media_type="print")

    assert (in_scope.finding, in_scope.method) == ("in_scope", "asset_reference")
    assert (in_print.finding, in_print.licence) == ("out_of_scope", active)
    assert "Print is not licensed" in in_print.reason


def test_a_picture_of_another_twins_licence_is_no_match(
    credentialed, other_twin, other_talent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sighting = report(
            model_viewer(other_talent), other_twin, screenshot=upload(signed_bytes(credentialed))
        )

    assert sighting.finding == Sighting.Finding.UNKNOWN
    assert sighting.licence is None and sighting.use is None


def test_the_agency_reports_for_its_twin_and_the_model_is_told(
    active, twin, agency_member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sighting = report(member_viewer(agency_member), twin, url="https://a.example.org/x")

    assert sighting.reported_by == agency_member.user
    assert Notification.objects.filter(user=twin.talent.user).exists()


def test_drafting_twice_drafts_once(active, twin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sighting = report(model_viewer(twin.talent), twin, url="https://a.example.org/x")
    case = TakedownCase.objects.get(sighting=sighting)  # as the worker left it
    first = case.notice.name

    services.draft_notice(case_id=case.pk)

    case.refresh_from_db()
    assert case.notice.name == first
    assert AuditEvent.objects.filter(target_id=case.pk, verb="misuse.notice_drafted").count() == 1
    assert services.draft_notice(case_id=10**9) is None


# --- Bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"url": "ftp://files.example.com/a.jpg"}, "url", "http:// or https://"),
        ({"url": "javascript:alert(1)"}, "url", "http:// or https://"),
        ({"url": "https://"}, "url", "not a web address"),
        ({"url": "https://example.com/" + "a" * 600}, "url", "longer than 500"),
        ({"url": "ss27/look-04.jpg"}, "url", "http:// or https://"),
        ({"url": ""}, "url", "address where you saw it, a screenshot, or both"),
        ({"screenshot": "text"}, "screenshot", "not a readable image"),
        ({"screenshot": "bomb"}, "screenshot", "too many pixels"),
        ({"url": "https://a.example.org/", "territory": "XX"}, "territory", "country"),
        ({"url": "https://a.example.org/", "media_type": "radio"}, "media_type", "Choose"),
        ({"url": "https://a.example.org/", "seen_on": "future"}, "seen_on", "future"),
    ],
)
def test_bad_input_is_refused_with_the_reason_and_nothing_is_stored(
    active, twin, overrides, field, words
):
    if overrides.get("screenshot") == "text":
        overrides["screenshot"] = upload(b"not a picture at all\n" * 50, "seen.jpg")
    elif overrides.get("screenshot") == "bomb":
        overrides["screenshot"] = upload(png_bomb(), "bomb.png")
    if overrides.get("seen_on") == "future":
        overrides["seen_on"] = today() + timedelta(days=1)

    with pytest.raises(ValidationFailed) as refused:
        report(model_viewer(twin.talent), twin, **overrides)

    assert refused.value.field == field
    assert words in refused.value.message
    assert not Sighting.objects.exists()
    assert not TakedownCase.objects.exists()


def test_someone_elses_twin_is_not_found_and_nothing_is_stored(
    twin, other_twin, other_talent, other_agency_manager, brand_manager
):
    for viewer in (
        model_viewer(other_talent),
        member_viewer(other_agency_manager),
        member_viewer(brand_manager),
    ):
        with pytest.raises(Twin.DoesNotExist):
            report(viewer, twin, url="https://a.example.org/x")

    assert not Sighting.objects.exists()


# --- Case transitions -----------------------------------------------------------------------


@pytest.fixture
def case(active, twin, django_capture_on_commit_callbacks) -> TakedownCase:
    with django_capture_on_commit_callbacks(execute=True):
        sighting = report(model_viewer(twin.talent), twin, url="https://host.example.com/p/9")
    return TakedownCase.objects.get(sighting=sighting)


def move(by, case, to, note=""):
    return services.move_case(by=by, case_id=case.pk, to=to, note=note)


def test_notice_sent_then_removed_closes_the_case_and_tells_the_model(case, agency_manager, twin):
    sent = move(agency_manager, case, "notice_sent")
    assert sent.status == "notice_sent" and sent.notice_sent_at is not None

    removed = move(agency_manager, case, "removed")

    assert removed.status == "removed" and removed.closed_at is not None
    titles = list(
        Notification.objects.filter(user=twin.talent.user).values_list("title", flat=True)
    )
    assert any("notice was sent to host.example.com" in t for t in titles)
    assert any("the picture was removed" in t for t in titles)
    verbs = list(
        AuditEvent.objects.filter(target_type="misuse.takedowncase", target_id=case.pk)
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == [
        "misuse.case_opened",
        "misuse.notice_drafted",
        "misuse.case_notice_sent",
        "misuse.case_removed",
    ]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        (["licensed"], "licensed"),
        (["dismissed"], "dismissed"),
        (["notice_sent", "licensed"], "licensed"),
        (["notice_sent", "dismissed"], "dismissed"),
    ],
)
def test_a_case_can_end_licensed_after_all_or_dismissed(case, agency_manager, path, status):
    for to in path:
        move(agency_manager, case, to, note="The brand showed a licence.")

    case.refresh_from_db()
    assert case.status == status and case.closed_at is not None


@pytest.mark.parametrize(
    ("path", "to"),
    [
        ([], "removed"),  # not before the notice is sent
        ([], "open"),
        ([], "bogus"),
        (["notice_sent"], "notice_sent"),
        (["dismissed"], "notice_sent"),
        (["notice_sent", "removed"], "dismissed"),
        (["licensed"], "removed"),
    ],
)
def test_invalid_transitions_are_refused_and_change_nothing(case, agency_manager, path, to):
    for step in path:
        move(agency_manager, case, step)
    case.refresh_from_db()
    before = (case.status, case.updated_at)

    with pytest.raises(TransitionError):
        move(agency_manager, case, to)

    case.refresh_from_db()
    assert (case.status, case.updated_at) == before


def test_the_notice_cannot_be_marked_sent_before_it_is_drafted(
    active, twin, agency_manager, django_capture_on_commit_callbacks
):
    sighting = report(model_viewer(twin.talent), twin, url="https://host.example.com/p/9")
    case = TakedownCase.objects.get(sighting=sighting)  # its worker has not run

    with pytest.raises(TransitionError, match="still being drafted"):
        move(agency_manager, case, "notice_sent")


def test_only_the_agencys_managers_move_a_case_on(
    case, agency_member, other_agency_manager, brand_manager
):
    with pytest.raises(PermissionDenied):
        move(agency_member, case, "dismissed")
    for stranger in (other_agency_manager, brand_manager):
        with pytest.raises(TakedownCase.DoesNotExist):
            move(stranger, case, "dismissed")

    case.refresh_from_db()
    assert case.status == "open"
