"""The demo data made as hard to lay out as real use gets, and every role signed in.

The phone sweep and the accessibility sweep share it: the demo (three agencies, three brands,
every role, licences in several stages) plus, on the model Linnea Lindqvist's twin, a licence in
every status with a long name, a long intended use with an unbroken address, many territories
and uses with long asset references.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from marketplace.accounts.models import Membership, Organisation, Role, User
from marketplace.accounts.tenancy import Viewer
from marketplace.approvals import services as approvals
from marketplace.core.errors import ValidationFailed
from marketplace.crew import services as crew_services
from marketplace.crew.models import CrewMember
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Licence
from marketplace.licensing.territories import EU
from marketplace.misuse import services as misuse
from marketplace.misuse.models import TakedownCase
from marketplace.payments.services import usage as payments
from marketplace.talent.demo_images import studio_portrait
from marketplace.talent.models import Twin
from tests.browser import conftest as harness
from tests.flows import CTX, consent_to
from tests.signin import current_code, give_totp

if TYPE_CHECKING:
    from playwright.sync_api import Page

DEMO_PASSWORD = "likeness-demo"
MODEL_EMAIL = "linnea.lindqvist@talent.test"
# The demo photographer (load_demo gives her a login), credited on the model's twin.
CREW_EMAIL = "ana.pereira@crew.test"
LONG_CREW_NAME = "Maximiliane Alexandra Montgomery-Vandenberghe-Oyelaran"
LONG_CREW_EMAIL = "maximiliane.montgomery-vandenberghe-oyelaran@photogrammetry-studio.test"
LONG_WORK = "Full-body photogrammetry scan, 148-camera rig, SS26 editorial and knitwear capsule"
LONG_BRAND = "Kestrel Apparel & Outerwear International Holdings (Europe) GmbH"
LONG_TWIN = "Linnea Lindqvist — Scandinavian editorial, beauty and knitwear twin (studio set 2026)"
LONG_USE = (
    "Product detail pages, Instagram carousel posts, TikTok and Reels clips, printed lookbooks "
    "and in-store posters for the autumn-winter knitwear capsule across every European market: "
    "twenty-four studio looks on plain backgrounds, no voice, no compositing with other people, "
    "no retouching of body shape, briefs and approvals at "
    "https://kestrel.example/campaigns/aw26/knitwear-capsule/lookbook-and-product-detail-pages"
)
MANY_TERRITORIES = [*EU, "GB", "NO", "CH", "IS"]
LONG_ASSET = (
    "campaigns/aw26/instagram/carousel/kestrel-knitwear-capsule-look-08-final-v3-approved.jpg"
)

# (key, audience): who signs in, and which pages they are sent to. The agency is the model's
# own (Meridian Talent), the brand Kestrel, whose licences of her twin are in every status.
ROLES = [
    ("agency owner", "agency"),
    ("agency manager", "agency"),
    ("agency member", "agency"),
    ("agency finance", "agency"),
    ("brand owner", "brand"),
    ("brand manager", "brand"),
    ("brand member", "brand"),
    ("brand finance", "brand"),
    ("model", "model"),
    ("crew", "crew"),
    ("staff", "staff"),
    ("anonymous", "anonymous"),
]


@dataclass
class World:
    twin: Twin  # the model's twin, with a licence in every status
    licences: dict[str, Licence] = field(default_factory=dict)  # status -> licence
    catalogue_twin: Twin | None = None  # a published twin of another agency
    staff_pk: int = 0
    # An active licence whose terms ask for the model's approval of each image, and a proof
    # under it in its second version (the model asked for changes), waiting for her answer.
    approval_licence: Licence | None = None
    proof_reference: str = ""
    takedown_case_pk: int = 0  # the model's sighting that no licence covers

    @property
    def agency(self) -> Organisation:
        return self.twin.agency


def build(settings, tmp_path) -> World:
    """The demo, then the worst cases. Tasks run inline (load_demo_licences turns that on)."""
    settings.SIGNING_KEY_DIR = tmp_path / "keys"
    settings.LIKENESS_REQUIRE_MFA_ROLES = []
    call_command("ensure_signing_key", verbosity=0)
    call_command("load_demo", verbosity=0)
    call_command("load_demo_licences", verbosity=0)

    brand = Organisation.objects.get(slug="kestrel")
    Organisation.objects.filter(pk=brand.pk).update(name=LONG_BRAND)
    twin = Twin.objects.get(talent__user__email=MODEL_EMAIL)
    Twin.objects.filter(pk=twin.pk).update(display_name=LONG_TWIN)
    twin.refresh_from_db()
    buyer = Membership.objects.get(organisation__slug="kestrel", role=Role.MANAGER)
    booker = Membership.objects.get(organisation=twin.agency, role=Role.MANAGER)
    category = (
        twin.permitted_categories.exclude(pk__in=twin.talent.restricted_categories.values("pk"))
        .order_by("id")
        .first()
    )
    assert category is not None
    media = list(twin.rate_card.lines.values_list("media_type", flat=True))
    today = timezone.localdate()

    def request(start_in: int = 3, days: int = 180) -> Licence:
        terms = licensing.TermsInput(
            media_types=media,
            territories=MANY_TERRITORIES,
            start_date=today + timedelta(days=start_in),
            end_date=today + timedelta(days=start_in + days),
            category=category.slug,
            intended_use=LONG_USE,
            exclusive=False,
        )
        return licensing.request_licence(by=buyer, twin_id=twin.pk, terms=terms)

    def approved(**kw) -> Licence:
        licence = request(**kw)
        licensing.approve_licence(by=booker, reference=licence.reference)
        licence.refresh_from_db()
        return licence

    def consented(**kw) -> Licence:
        licence = approved(**kw)
        consent_to(licence, twin.talent)
        licence.refresh_from_db()
        return licence

    def with_status(licence: Licence, status: str) -> Licence:
        Licence.objects.filter(pk=licence.pk).update(status=status)
        licence.refresh_from_db()
        return licence

    world = World(twin=twin)
    S = Licence.Status
    world.licences[S.REQUESTED] = request()
    countered = request()
    counter_terms = licensing.TermsInput(
        media_types=media[:1],
        territories=MANY_TERRITORIES[:12],
        start_date=today + timedelta(days=10),
        end_date=today + timedelta(days=100),
        category=category.slug,
        intended_use=LONG_USE,
        exclusive=False,
    )
    licensing.counter_licence(by=booker, reference=countered.reference, terms=counter_terms)
    world.licences[S.COUNTERED] = countered
    world.licences[S.AWAITING_CONSENT] = approved()
    world.licences[S.CONSENTED] = consented()
    world.licences[S.AWAITING_PAYMENT] = with_status(consented(), S.AWAITING_PAYMENT)
    active = with_status(consented(start_in=0), S.AWAITING_PAYMENT)
    licensing.activate_licence(licence_id=active.pk)
    for n in range(3):
        payments.record_usage(
            by=buyer,
            reference=active.reference,
            data=payments.UsageInput(
                used_on=today,
                media_type=media[n % len(media)],
                territory=MANY_TERRITORIES[n],
                asset_reference=f"{LONG_ASSET}?variant={n}",
                idempotency_key=f"worst-case-{n}",
            ),
        )
    world.licences[S.ACTIVE] = active
    # Refused (outside its territories), and kept with the reason for the model to see.
    with contextlib.suppress(ValidationFailed):
        payments.record_usage(
            by=buyer,
            reference=active.reference,
            data=payments.UsageInput(
                used_on=today,
                media_type=media[0],
                territory="US",
                asset_reference=f"{LONG_ASSET}?variant=us",
                idempotency_key="worst-case-refused",
            ),
        )
    world.takedown_case_pk = _sighting_with_a_case(twin)
    for status in (S.EXPIRED, S.TERMINATED, S.REVOKED, S.LAPSED):
        world.licences[status] = with_status(consented(), status)
    declined = request()
    licensing.decline_licence(
        by=booker, reference=declined.reference, reason="The dates clash with a shoot. " * 8
    )
    world.licences[S.DECLINED] = declined
    withdrawn = request()
    licensing.withdraw_licence(by=buyer, reference=withdrawn.reference, reason="Budget moved.")
    world.licences[S.WITHDRAWN] = withdrawn
    refused = approved()
    licensing.refuse_consent(
        talent=twin.talent,
        user=twin.talent.user,
        reference=refused.reference,
        reason="I do not want my likeness in swimwear campaigns. " * 4,
        context=CTX,
    )
    world.licences[S.REFUSED] = refused
    assert set(world.licences) == set(S.values), set(S.values) - set(world.licences)
    for licence in world.licences.values():
        licence.refresh_from_db()
    world.catalogue_twin = (
        Twin.objects.filter(status=Twin.Status.PUBLISHED).exclude(pk=twin.pk).order_by("pk").first()
    )
    approval = request(start_in=0)
    licensing.counter_licence(
        by=booker,
        reference=approval.reference,
        terms=licensing.TermsInput(
            media_types=media,
            territories=MANY_TERRITORIES,
            start_date=today,
            end_date=today + timedelta(days=180),
            category=category.slug,
            intended_use=LONG_USE,
            exclusive=False,
            image_approval=True,
            approval_hours=72,
        ),
    )
    licensing.accept_counter(by=buyer, reference=approval.reference)
    approval.refresh_from_db()
    consent_to(approval, twin.talent)
    approval = with_status(approval, S.AWAITING_PAYMENT)
    licensing.activate_licence(licence_id=approval.pk)
    approval.refresh_from_db()
    world.approval_licence = approval
    world.proof_reference = _proof_in_second_version(approval, buyer, media[0], today)
    staff = User.objects.get(email="admin@likeness.test")
    world.staff_pk = staff.pk
    RecoveryCodes.activate(staff)  # so that the recovery-codes page has codes to show
    # The demo photographer, credited on the model's twin with a long role and shoot too.
    crew_services.add_credit(
        by=booker,
        twin_id=twin.pk,
        credit=crew_services.CreditInput(role="scan_artist", work=LONG_WORK),
        crew_member_id=CrewMember.objects.get(agency=twin.agency, email=CREW_EMAIL).pk,
    )
    crew_services.add_credit(
        by=booker,
        twin_id=twin.pk,
        credit=crew_services.CreditInput(role="other", work=LONG_WORK),
        new_person=crew_services.NewCrewMember(LONG_CREW_NAME, LONG_CREW_EMAIL),
    )
    return world


def _proof_in_second_version(licence: Licence, buyer: Membership, media: str, today) -> str:
    def placement(key: str, seed: int) -> approvals.ProofInput:
        return approvals.ProofInput(
            media_type=media,
            territory=MANY_TERRITORIES[-1],
            publish_on=today + timedelta(days=5),
            caption=f"{LONG_ASSET} — {LONG_USE}"[:900],
            image=SimpleUploadedFile(
                "look.jpg", studio_portrait(seed, size=(1200, 1500)), content_type="image/jpeg"
            ),
            idempotency_key=key,
        )

    proof, _ = approvals.submit_proof(
        by=buyer, reference=licence.reference, data=placement("worst-proof", 3)
    )
    approvals.decide_proof(
        user=licence.talent.user,
        talent=licence.talent,
        proof_reference=proof.reference,
        version=1,
        decision="changes_requested",
        note="Warmer light and a tighter crop, please; no retouching of the jaw line. " * 3,
    )
    approvals.resubmit_proof(
        by=buyer, proof_reference=proof.reference, data=placement("worst-proof-2", 4)
    )
    return proof.reference


def _sighting_with_a_case(twin: Twin) -> int:
    """The model reports her twin on a page no licence covers, with a long unbroken address
    and a screenshot: a case opens and its notice is drafted (inline)."""
    viewer = Viewer(user=twin.talent.user, membership=None)
    viewer.__dict__["talent"] = twin.talent
    sighting = misuse.report_sighting(
        viewer=viewer,
        data=misuse.SightingInput(
            twin_id=twin.pk,
            seen_on=timezone.localdate(),
            territory="US",
            media_type="web",
            url="https://images.unlicensed-fashion-outlet.example/" + LONG_ASSET,
            screenshot=SimpleUploadedFile("seen.jpg", studio_portrait(41, size=(390, 844))),
            note="Seen in a sponsored post. " * 6,
        ),
    )
    return TakedownCase.objects.get(sighting=sighting).pk


def email_for(world: World, role: str) -> str:
    audience, _, member_role = role.partition(" ")
    if audience == "agency":
        return Membership.objects.get(organisation=world.agency, role=member_role).user.email
    if audience == "brand":
        return f"{member_role}@kestrel.test"
    return {"model": MODEL_EMAIL, "crew": CREW_EMAIL, "staff": "admin@likeness.test"}.get(role, "")


def sign_in(
    make_page,
    world: World,
    role: str,
    *,
    at_code: Callable[[Page], None] | None = None,
    **page_options,
) -> Page:
    """A new page signed in as `role` (the staff through the admin, with their code;
    `at_code` is called on the page that asks for it)."""
    page = make_page(**page_options)
    email = email_for(world, role)
    if role == "anonymous":
        return page
    if role == "staff":
        staff = User.objects.get(email=email)
        Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).delete()
        secret = give_totp(staff)  # a fresh one per sign-in: a code is accepted only once
        harness.allow_console_error(page, r"/favicon\.ico")  # the admin links no icon
        page.goto("/admin/")
        page.locator("input[name=login]").fill(email)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in", exact=False).click()
        page.locator("input[name=code]").wait_for()
        if at_code is not None:
            at_code(page)
        page.locator("input[name=code]").fill(current_code(secret))
        page.get_by_role("button", name="Sign in", exact=False).click()
        page.wait_for_url("**/admin/")
        return page
    return harness.sign_in(page, User.objects.get(email=email), password=DEMO_PASSWORD)
