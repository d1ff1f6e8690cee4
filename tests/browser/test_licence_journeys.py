"""A licence from request to payout, in a real browser, asserting on what each party sees.

Each journey builds the state before it through the services and then does its own steps in
Chromium, so the tests are independent and run in parallel: a brand requests an exclusive
licence and watches the live quote; a competitor is refused that slot without learning who
holds it; the agency approves and the model consents; the three parties sign while the
contract panel follows; the brand pays on the Stripe sandbox's hosted Checkout page; the
brand reports uses; and after a payout run the model reads their earnings, on a phone too.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone
from playwright.sync_api import Locator, Page, Route, expect

from marketplace.accounts.models import Membership, Organisation
from marketplace.contracts.models import Contract
from marketplace.core.models import AuditEvent
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Consent, ExclusivityHold, Licence
from marketplace.licensing.states import short_date
from marketplace.payments.models import Charge, Earning, UsageReport, WebhookEvent
from marketplace.payments.services import checkout
from marketplace.payments.tasks import run_payouts_task
from marketplace.talent.demo_images import studio_portrait
from marketplace.talent.models import Talent, Twin
from stripe_sandbox.testing import Sandbox
from tests.browser.conftest import allow_console_error, shot
from tests.browser.test_journeys import assert_no_horizontal_scroll, nav
from tests.factories import (
    AgencyFactory,
    BrandFactory,
    MembershipFactory,
    TalentFactory,
    TwinFactory,
    UserFactory,
)
from tests.flows import consented_licence
from tests.licensing.conftest import make_terms

pytestmark = pytest.mark.django_db(transaction=True)

HOLDER = "Kestrel Apparel"
USE = "Instagram posts and stories for the spring denim collection: six looks, studio light."
COMPETITOR = "Vela Studio"


# --- The cast and the state before each journey -------------------------------------------


@dataclass
class Cast:
    agency: Organisation
    brand: Organisation
    booker: Membership  # the agency's manager
    buyer: Membership  # the brand's manager
    talent: Talent
    twin: Twin


def cast() -> Cast:
    """Northlight Models represents Amara Okafor, whose twin Kestrel Apparel wants to use."""
    agency = AgencyFactory(name="Northlight Models")
    brand = BrandFactory(name=HOLDER)
    booker = MembershipFactory(
        organisation=agency, role="manager", user=UserFactory(full_name="Nora Booker")
    )
    buyer = MembershipFactory(
        organisation=brand, role="manager", user=UserFactory(full_name="Bea Brandt")
    )
    talent = TalentFactory(
        agency=agency, full_name="Amara Okafor", user=UserFactory(full_name="Amara Okafor")
    )
    twin = TwinFactory(talent=talent, display_name="Amara O. twin", with_image=True)
    return Cast(agency, brand, booker, buyer, talent, twin)


def requested(c: Cast, **terms: Any) -> Licence:
    return licensing.request_licence(by=c.buyer, twin_id=c.twin.pk, terms=make_terms(**terms))


def consented(c: Cast, **terms: Any) -> Licence:
    return consented_licence(brand_member=c.buyer, agency_member=c.booker, twin=c.twin, **terms)


def awaiting_payment(c: Cast, **terms: Any) -> Licence:
    """Consented and signed: the contract journey is its own test, so here it is a given."""
    licence = consented(c, **terms)
    Licence.objects.filter(pk=licence.pk).update(status=Licence.Status.AWAITING_PAYMENT)
    licence.refresh_from_db()
    return licence


def paid(c: Cast, sandbox: Sandbox, **terms: Any) -> Licence:
    """Paid through Checkout on the sandbox, as the hosted page would: active, with earnings."""
    licence = awaiting_payment(c, **terms)
    charge = checkout.start_licence_checkout(by=c.buyer, reference=licence.reference)
    assert charge.checkout_session_id is not None
    sandbox.complete_checkout(charge.checkout_session_id, card="visa")
    checkout.complete_checkout(session_id=charge.checkout_session_id)
    licence.refresh_from_db()
    assert licence.status == Licence.Status.ACTIVE
    return licence


@pytest.fixture(autouse=True)
def _seal_keys(settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    # The platform seals executed contracts; never with the developer's own var/keys.
    settings.SIGNING_KEY_DIR = tmp_path_factory.getbasetemp() / "seal-keys"


@pytest.fixture
def stripe_site(stripe_env: Sandbox, live_server, settings) -> Iterator[Sandbox]:
    """The sandbox sends browsers back to the live server and POSTs its events to the
    site's webhook endpoint, signed with the site's secret, as `stripe listen` would."""
    settings.SITE_URL = live_server.url
    stripe_env.configure(
        forward_to=live_server.url + "/payments/stripe/webhook/",
        webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
    )
    yield stripe_env
    stripe_env.configure(forward_to=None, webhook_secret=None)


class HeldTask:
    """Stands in for a Celery task in its module: what the site enqueues waits here until
    the test plays the worker, so each state in between can be seen in the browser."""

    def __init__(self, task: Any) -> None:
        self.task = task
        self.calls: list[dict[str, Any]] = []

    def delay(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)

    def run(self) -> Any:
        """Run the held call in a thread of its own, as a worker would: sealing drives
        asyncio, which cannot start on this thread (Playwright's loop runs here)."""
        assert len(self.calls) == 1, self.calls
        kwargs = self.calls.pop()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["result"] = self.task(**kwargs)
            except BaseException as exc:  # re-raised on the test's thread
                outcome["error"] = exc
            finally:
                connections.close_all()

        worker = threading.Thread(target=work)
        worker.start()
        worker.join(timeout=60)
        assert not worker.is_alive(), "the task did not finish within 60 s"
        if "error" in outcome:
            raise outcome["error"]
        return outcome["result"]


@pytest.fixture
def held_contract_tasks(monkeypatch) -> dict[str, HeldTask]:
    from marketplace.contracts import tasks

    held = {
        "generate": HeldTask(tasks.generate_contract_task),
        "seal": HeldTask(tasks.seal_contract_task),
    }
    monkeypatch.setattr(tasks, "generate_contract_task", held["generate"])
    monkeypatch.setattr(tasks, "seal_contract_task", held["seal"])
    return held


# --- Page helpers ----------------------------------------------------------------------------


def quote_row(page: Page, label: str) -> Locator:
    return page.locator("#quote tr", has_text=label)


def set_territories(page: Page, names: list[str]) -> None:
    """Choose exactly these countries in the territory picker, as a person would: remove the
    others from the chosen list, find each missing one with the filter box and tick it."""
    for label in page.locator(".territory-chosen button.chip").all_inner_texts():
        name = label.replace("×", "").strip()
        if name not in names:
            page.get_by_role("button", name=f"Remove {name}").click()
    finder = page.get_by_label("Find a country")
    for name in names:
        box = page.get_by_label(name, exact=True)
        if not box.is_checked():
            finder.fill(name)
            box.check()
    finder.fill("")


def status_badge(page: Page) -> Locator:
    return page.locator("h1 .badge")


def message(page: Page) -> Locator:
    return page.locator("ul.messages li")


def contract_panel(page: Page) -> Locator:
    return page.locator("#contract-panel")


def panel_badge(page: Page) -> Locator:
    return contract_panel(page).locator("h2 + .badge")


def open_licence(page: Page, licence: Licence, *, tab: str = "Open") -> None:
    nav(page, "Licences")
    page.locator(".stat-row").get_by_role("link", name=tab, exact=True).click()
    page.get_by_role("link", name=licence.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(licence.reference)


def assert_not_on_page(page: Page, text: str) -> None:
    """Nowhere in the document, visible or not (titles, attributes, hidden fields)."""
    html = page.content()
    assert text not in html, f"{text!r} appears on {page.url}"


def ymd(day: date) -> str:
    return f"{day:%Y-%m-%d}"


# --- (2) A brand requests an exclusive licence -----------------------------------------------


def test_brand_requests_an_exclusive_licence_while_the_quote_follows_the_terms(
    signed_in_page,
):
    c = cast()

    page = signed_in_page(c.buyer.user)
    nav(page, "Catalogue")
    page.get_by_role("link", name=re.compile("Amara O. twin")).click()
    page.get_by_role("link", name="Request a licence").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Request a licence for Amara O. twin")
    quote = page.locator("#quote")
    expect(quote.locator("#quote-missing")).to_have_text(
        "To see the price, complete: Media, Territories."
    )
    expect(quote.locator("#quote-problems li")).to_have_text(
        [
            "Industry / product category: This field is required.",
            "Intended use: This field is required.",
        ]
    )
    shot(page, "empty request")

    # The quote is swapped in by htmx; a full reload would lose this mark.
    page.evaluate("window.sameDocument = true")
    page.get_by_label("Social media").check()
    set_territories(page, ["Germany"])
    # The price shows as soon as the terms that set it are chosen; the rest is listed apart.
    expect(quote_row(page, "Licence fee")).to_contain_text("€1,000.00")
    expect(quote.locator("#duration-reason")).to_have_text(
        "91 days → the 3-month tier (1 to 92 days): fee × 100 %."
    )
    page.get_by_label("Industry / product category").select_option(label="Beauty and cosmetics")
    expect(quote.locator("#quote-problems li")).to_have_text(
        ["Intended use: This field is required."]
    )
    page.get_by_label("Intended use").press_sequentially(USE)
    expect(quote.locator("#quote-problems")).to_have_count(0)

    # Social media 1,000.00 × one country 100 % × up to 3 months 100 %.
    expect(quote_row(page, "Licence fee")).to_contain_text("€1,000.00")
    expect(quote_row(page, "Territory (country)")).to_contain_text("× 100 %")
    expect(quote).to_contain_text("Available for these terms.")
    expect(quote_row(page, "Exclusivity premium")).to_have_count(0)
    shot(page, "quote for one country")

    page.get_by_label("Exclusive for this category, territories and window").check()
    expect(quote_row(page, "Exclusivity premium")).to_contain_text("+ 50 %")
    expect(quote_row(page, "Licence fee")).to_contain_text("€1,500.00")

    set_territories(page, ["Germany", "France"])
    expect(quote_row(page, "Territory (region)")).to_contain_text("× 200 %")
    expect(quote_row(page, "Licence fee")).to_contain_text("€3,000.00")

    page.get_by_label("Web / e-commerce").check()
    # (1,000.00 + 1,500.00) × 200 % × 150 % = 7,500.00: platform 10 %, agency 20 % of the rest.
    expect(quote_row(page, "Licence fee")).to_contain_text("€7,500.00")
    expect(quote).to_contain_text(
        "Model €5,400.00 · Agency commission €1,350.00 (20 %) · Platform €750.00 (10 %)"
    )
    expect(quote).to_contain_text("Available for these terms.")
    assert page.evaluate("window.sameDocument") is True
    shot(page, "exclusive quote")

    page.get_by_role("button", name="Send request").click()

    expect(page).to_have_url(re.compile(r"/licences/LIC-[0-9A-F]+/$"))
    licence = Licence.objects.get(brand=c.brand)
    assert page.url.endswith(f"/licences/{licence.reference}/")
    expect(message(page)).to_have_text(
        f"Request {licence.reference} sent to Northlight Models. "
        "The slot is reserved for you while they review it."
    )
    expect(status_badge(page)).to_have_text("Requested — the agency reviews it")
    terms = page.locator("dl.comp")
    expect(terms).to_contain_text("Social media, Web / e-commerce")
    expect(terms).to_contain_text("Exclusive for this category, territories and window")
    expect(terms).to_contain_text("Beauty and cosmetics")
    price = page.locator(".card", has=page.get_by_role("heading", name="Price", exact=True))
    expect(price.locator("tr", has_text="Licence fee")).to_contain_text("€7,500.00")
    shot(page, "requested")

    assert licence.current_terms.total_fee == 750_000
    assert licence.current_terms.exclusive is True
    assert set(
        ExclusivityHold.objects.filter(licence=licence, active=True).values_list(
            "territory", flat=True
        )
    ) == {"DE", "FR"}


# --- (3) A competitor tries the same exclusive slot ------------------------------------------


def test_a_competitor_is_refused_the_exclusive_slot_without_learning_who_holds_it(
    signed_in_page,
):
    c = cast()
    held = requested(c, exclusive=True)  # beauty, DE and FR, from day 10 to day 99
    licensing.approve_licence(by=c.booker, reference=held.reference)
    terms = held.current_terms
    rival = MembershipFactory(
        organisation=BrandFactory(name=COMPETITOR),
        role="manager",
        user=UserFactory(full_name="Rafa Rival"),
    )
    refusal = (
        f"Not available: Beauty and cosmetics in DE, FR is reserved by a pending exclusive "
        f"request until {ymd(terms.end_date)}. Choose other dates, territories or category."
    )

    page = signed_in_page(rival.user)
    nav(page, "Catalogue")
    page.get_by_role("link", name=re.compile("Amara O. twin")).click()
    held_card = page.locator(
        ".card", has=page.get_by_role("heading", name="Exclusive licences held or reserved")
    )
    expect(held_card).to_contain_text(
        f"exclusive in Beauty and cosmetics · DE, FR · until {ymd(terms.end_date)}"
        " · reserved by a pending request"
    )
    assert_not_on_page(page, HOLDER)
    shot(page, "blind availability")

    page.get_by_role("link", name="Request a licence").click()
    page.get_by_label("Intended use").fill(USE)
    page.get_by_label("Industry / product category").select_option(label="Beauty and cosmetics")
    page.get_by_label("Social media").check()
    page.get_by_label("Exclusive for this category, territories and window").check()
    set_territories(page, ["Germany", "France"])

    expect(page.locator("#quote .notice.bad")).to_have_text(refusal)
    expect(page.locator("#quote")).not_to_contain_text("Available for these terms.")
    assert_not_on_page(page, HOLDER)
    shot(page, "quote says not available")

    page.get_by_role("button", name="Send request").click()

    expect(page).to_have_url(re.compile(rf"/catalogue/{c.twin.slug}/request/$"))
    expect(page.locator(".errorlist")).to_have_text(refusal)
    expect(page.get_by_label("Exclusive for this category, territories and window")).to_be_checked()
    assert_not_on_page(page, HOLDER)
    shot(page, "request refused")
    assert not Licence.objects.filter(brand=rival.organisation).exists()

    # Not exclusive either: another brand's exclusivity blocks any licence in its slot.
    page.get_by_label("Exclusive for this category, territories and window").uncheck()
    expect(page.locator("#quote .notice.bad")).to_have_text(refusal)

    # Italy is open: the refusal is about that slot, nothing else.
    set_territories(page, ["Italy"])
    expect(page.locator("#quote")).to_contain_text("Available for these terms.")
    expect(quote_row(page, "Licence fee")).to_contain_text("€1,000.00")
    shot(page, "italy is available")

    nav(page, "Licences")
    expect(page.get_by_role("link", name=held.reference)).to_have_count(0)
    assert_not_on_page(page, HOLDER)
    assert_not_on_page(page, held.reference)


# --- (4) The agency approves, the model consents ----------------------------------------------


def test_the_agency_approves_and_the_model_consents_in_writing(make_page, signed_in_page):
    c = cast()
    licence = requested(c, exclusive=True, media_types=["social", "web"])

    agency = signed_in_page(c.booker.user)
    nav(agency, "Requests")
    expect(agency.get_by_role("heading", name="Requests to review")).to_be_visible()
    row = agency.locator("tr", has_text=licence.reference)
    expect(row).to_contain_text(HOLDER)
    expect(row).to_contain_text("Beauty and cosmetics · DE, FR · exclusive")
    expect(row).to_contain_text("€7,500.00")
    shot(agency, "requests to review")

    row.get_by_role("link", name=licence.reference).click()
    decision = agency.locator(
        ".card", has=agency.get_by_role("heading", name="Your decision", exact=True)
    )
    expect(decision).to_contain_text("No other licence touches these terms.")
    shot(agency, "review")
    decision.get_by_role("button", name="Approve").click()

    expect(message(agency)).to_have_text("Approved. The model is asked to consent.")
    expect(status_badge(agency)).to_have_text("Awaiting model's consent")
    expect(agency.locator("ol.progress").first.locator("li.now")).to_have_text("Model consents")
    expect(agency.get_by_role("heading", name="Your decision", exact=True)).to_have_count(0)
    shot(agency, "approved")

    model = signed_in_page(c.talent.user, on=make_page())
    nav(model, "Consents")
    request_card = model.locator("a.card", has_text=f"{HOLDER} wants Amara O. twin")
    expect(request_card).to_contain_text("Your share: €5,400.00")
    request_card.click()

    expect(model.get_by_role("heading", level=1)).to_have_text(f"{HOLDER} asks to use your twin")
    plain = model.locator(
        ".card", has=model.get_by_role("heading", name="In plain language", exact=True)
    )
    expect(plain).to_contain_text(
        f"{HOLDER} may show Amara O. twin in social media, web / e-commerce"
    )
    expect(plain).to_contain_text("for beauty and cosmetics, exclusively.")
    expect(plain).to_contain_text("They may not train AI with it.")
    statement = model.locator("blockquote.statement")
    expect(statement).to_contain_text(
        f"I, Amara Okafor, consent to {HOLDER} using my digital twin 'Amara O. twin'"
    )
    expect(statement).to_contain_text("My share is €5,400.00 of a licence fee of €7,500.00.")
    shot(model, "consent request")

    # A name that is not the model's is refused with the reason.
    model.get_by_label("Type your full name to sign").fill("A. Okafor")
    model.get_by_label("I have read these terms and give my consent").check()
    model.get_by_role("button", name="Give consent").click()
    expect(model.locator(".errorlist")).to_have_text(
        "Type your full name exactly as 'Amara Okafor' to sign."
    )
    assert not Consent.objects.filter(licence=licence).exists()
    shot(model, "wrong name")

    model.get_by_label("Type your full name to sign").fill("Amara Okafor")
    model.get_by_label("I have read these terms and give my consent").check()
    model.get_by_role("button", name="Give consent").click()

    expect(model).to_have_url(re.compile(rf"/licences/{licence.reference}/$"))
    expect(message(model)).to_have_text(
        "Thank you. Your consent is recorded; the contract is prepared next."
    )
    expect(status_badge(model)).to_have_text(f"Awaiting {HOLDER}'s signature (the brand)")
    consent_card = model.locator(
        ".card", has=model.get_by_role("heading", name="Consent", exact=True)
    )
    expect(consent_card).to_contain_text(
        re.compile(
            r"Given by Amara Okafor on \d{4}-\d\d-\d\d \d\d:\d\d UTC for exactly these terms"
        )
    )
    # The worker (inline here) has prepared the contract: the brand signs first.
    expect(panel_badge(model)).to_have_text("Awaiting signatures 0/3")
    expect(contract_panel(model)).to_contain_text(f"Brand · {HOLDER} — to sign next")
    shot(model, "consented")

    consent = Consent.objects.get(licence=licence)
    assert consent.decision == Consent.Decision.GIVEN
    assert consent.terms_hash == licence.current_terms.terms_hash
    assert consent.ip_address == "127.0.0.1"
    assert "Chrome" in consent.user_agent

    agency.reload()
    expect(status_badge(agency)).to_have_text(f"Awaiting {HOLDER}'s signature (the brand)")
    expect(agency.locator(".card", has_text="Given by Amara Okafor")).to_be_visible()


# --- (5) Brand, agency and model sign; the panel follows -------------------------------------


def sign(page: Page, *, as_name: str, expected_help: str) -> None:
    contract_panel(page).get_by_role("link", name="Review and sign").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Contract")
    expect(page.get_by_text(f"As on your account: {expected_help}")).to_be_visible()
    shot(page, f"signing as {as_name}")
    page.get_by_label("Type your full name to sign").fill(as_name)
    page.get_by_label(
        "I have reviewed this contract and sign it; my typed name is my signature"
    ).check()
    page.get_by_role("button", name="Sign the contract").click()


def test_brand_agency_and_model_sign_in_turn_while_the_contract_panel_follows(
    make_page, signed_in_page, held_contract_tasks
):
    c = cast()
    licence = consented(c, exclusive=True)

    brand = signed_in_page(c.buyer.user)
    open_licence(brand, licence)
    expect(panel_badge(brand)).to_have_text("Generating…")
    expect(contract_panel(brand)).to_contain_text("This page updates by itself.")
    expect(contract_panel(brand).locator("ol.progress li.now")).to_have_text("Generating")
    shot(brand, "generating")

    # The page polls; it is never reloaded while the worker renders the contract.
    brand.evaluate("window.sameDocument = true")
    held_contract_tasks["generate"].run()
    expect(panel_badge(brand)).to_have_text("Awaiting signatures 0/3")
    expect(contract_panel(brand)).to_contain_text(f"Brand · {HOLDER} — to sign next")
    expect(contract_panel(brand).get_by_role("link", name="Review and sign")).to_be_visible()
    assert brand.evaluate("window.sameDocument") is True
    shot(brand, "ready to sign")

    sign(brand, as_name="Bea Brandt", expected_help="Bea Brandt")
    expect(message(brand)).to_have_text("Signed. The other parties are told.")
    expect(panel_badge(brand)).to_have_text("Awaiting signatures 1/3")
    expect(contract_panel(brand)).to_contain_text(f"Brand · {HOLDER} — signed by Bea Brandt")
    expect(contract_panel(brand)).to_contain_text(
        "You have signed. Waiting for the agency to sign. Order: brand, agency, model."
    )
    expect(contract_panel(brand).get_by_role("link", name="Review and sign")).to_have_count(0)
    shot(brand, "brand signed")
    brand.evaluate("window.sameDocument = true")

    agency = signed_in_page(c.booker.user, on=make_page())
    open_licence(agency, licence)
    expect(panel_badge(agency)).to_have_text("Awaiting signatures 1/3")
    sign(agency, as_name="Nora Booker", expected_help="Nora Booker")
    expect(panel_badge(agency)).to_have_text("Awaiting signatures 2/3")
    expect(contract_panel(agency)).to_contain_text(
        "Agency · Northlight Models — signed by Nora Booker"
    )
    expect(contract_panel(agency)).to_contain_text("Model · Amara Okafor — to sign next")

    # The brand's page, left open, catches up by itself.
    expect(panel_badge(brand)).to_have_text("Awaiting signatures 2/3")
    expect(contract_panel(brand)).to_contain_text("Waiting for the model to sign.")
    shot(brand, "agency signed")

    model = signed_in_page(c.talent.user, on=make_page())
    open_licence(model, licence)
    sign(model, as_name="Amara Okafor", expected_help="Amara Okafor")
    expect(panel_badge(model)).to_have_text("Signed 3/3 — sealing…")
    expect(contract_panel(model)).to_contain_text(
        "All three parties signed. The platform is adding the signature certificate"
    )
    expect(panel_badge(brand)).to_have_text("Signed 3/3 — sealing…")
    assert brand.evaluate("window.sameDocument") is True
    shot(brand, "sealing")

    # Sealed: the panel tells the page to reload once, and the licence has moved on to payment.
    held_contract_tasks["seal"].run()
    expect(panel_badge(brand)).to_have_text("Executed")
    expect(status_badge(brand)).to_have_text("Signed — awaiting the brand's payment")
    expect(contract_panel(brand)).to_contain_text("sealed by the platform")
    expect(brand.get_by_role("button", name="Pay with Stripe")).to_be_visible()
    assert brand.evaluate("window.sameDocument") is None
    shot(brand, "executed")

    with brand.expect_download() as download:
        contract_panel(brand).get_by_role("link", name="Download executed PDF").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    contract = Contract.objects.get(licence=licence)
    assert contract.status == Contract.Status.EXECUTED
    assert [s.typed_name for s in contract.signatures.order_by("signed_at")] == [
        "Bea Brandt",
        "Nora Booker",
        "Amara Okafor",
    ]


@pytest.mark.celery_worker
def test_a_real_worker_prepares_the_contract_after_the_model_consents(signed_in_page, real_worker):
    c = cast()
    licence = requested(c, exclusive=True)
    licensing.approve_licence(by=c.booker, reference=licence.reference)

    model = signed_in_page(c.talent.user)
    model.goto(f"/licences/{licence.reference}/consent/")
    model.get_by_label("Type your full name to sign").fill("Amara Okafor")
    model.get_by_label("I have read these terms and give my consent").check()
    model.get_by_role("button", name="Give consent").click()

    # The consent commits and the request returns at once; a `celery worker` process renders
    # the contract, and the panel (polling while it says "Generating…") shows it ready.
    expect(message(model)).to_have_text(
        "Thank you. Your consent is recorded; the contract is prepared next."
    )
    expect(panel_badge(model)).to_have_text("Awaiting signatures 0/3", timeout=45_000)
    expect(contract_panel(model)).to_contain_text(f"Brand · {HOLDER} — to sign next")
    shot(model, "contract ready")

    contract = Contract.objects.get(licence=licence)
    assert contract.status == Contract.Status.AWAITING_SIGNATURES
    generated = AuditEvent.objects.get(verb="contract.generated")
    assert generated.data["pid"] not in (os.getpid(), None)  # rendered by the worker process


# --- (6) The brand pays on the hosted Checkout page ------------------------------------------


def test_brand_pays_on_the_hosted_checkout_page_and_the_licence_goes_active(
    signed_in_page, stripe_site
):
    c = cast()
    licence = awaiting_payment(c, media_types=["social", "web"])  # 5,000.00

    page = signed_in_page(c.buyer.user)
    open_licence(page, licence)
    payment = page.locator(".card", has=page.get_by_role("heading", name="Payment", exact=True))
    expect(payment).to_contain_text("Signed by everyone. Pay €5,000.00 to start the licence.")
    shot(page, "awaiting payment")
    payment.get_by_role("button", name="Pay with Stripe").click()

    expect(page).to_have_url(re.compile(re.escape(stripe_site.base_url) + r"/checkout/pay/cs_"))
    expect(page.get_by_text("Pay Likeness")).to_be_visible()
    expect(
        page.get_by_role("cell", name=f"Licence {licence.reference}: Amara O. twin")
    ).to_be_visible()
    shot(page, "hosted checkout")

    # A declined card first: the session stays open, and nothing changes on our side.
    allow_console_error(page, r"status of 402")
    page.get_by_role("button", name="Pay with a declining card").click()
    expect(page.get_by_role("alert")).to_contain_text("declined")
    shot(page, "card declined")
    assert Charge.objects.get(licence=licence).status == Charge.Status.OPEN

    page.get_by_label("Card number").fill("4242 4242 4242 4242")
    page.get_by_role("button", name="Pay €5,000.00").click()

    expect(page).to_have_url(re.compile(rf"/licences/{licence.reference}/$"))
    expect(message(page)).to_have_text("Payment received. Thank you.")
    # Paid, but its window starts later: scheduled, and no use can be reported yet.
    start = licence.current_terms.start_date
    expect(status_badge(page)).to_have_text(f"Scheduled — starts {short_date(start)}")
    expect(page.locator("ol.progress").first.locator("li.now")).to_have_text("Active")
    uses = page.locator(".card", has=page.get_by_role("heading", name="Uses", exact=True))
    expect(uses).to_contain_text("0 uses reported.")
    expect(uses).to_contain_text(
        f"Scheduled: uses can be reported from {start.day} {start:%b %Y}, the licence's first day."
    )
    expect(uses.get_by_role("link", name="Report a use")).to_have_count(0)
    shot(page, "active")

    # The webhook arrived too, was verified and applied (once: the return page got there first
    # or the webhook did; both paths are the same idempotent service).
    stripe_site.wait_for(
        lambda: WebhookEvent.objects.filter(
            type="checkout.session.completed", processed_at__isnull=False
        ).exists(),
        timeout=15,
    )
    charge = Charge.objects.get(licence=licence)
    assert charge.status == Charge.Status.PAID
    assert charge.amount == 500_000
    assert Earning.objects.filter(licence=licence).count() == 2  # the model and the agency

    nav(page, "Billing")
    row = page.locator("tr", has_text=licence.reference)
    expect(row).to_contain_text("€5,000.00")
    expect(row.locator(".badge")).to_have_text("Paid")
    shot(page, "billing")


def test_the_webhook_alone_activates_a_licence_when_the_brand_never_comes_back(
    signed_in_page, stripe_site
):
    c = cast()
    licence = awaiting_payment(c)

    page = signed_in_page(c.buyer.user)
    open_licence(page, licence)
    page.get_by_role("button", name="Pay with Stripe").click()
    expect(page.get_by_text("Pay Likeness")).to_be_visible()

    # The brand's connection drops on the way back: the sandbox takes the payment, but the
    # browser never follows its redirect to our return page.
    redirects: list[tuple[int, str]] = []

    def pay_then_drop(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        answer = route.fetch(max_redirects=0)
        redirects.append((answer.status, answer.headers.get("location", "")))
        route.fulfill(status=200, content_type="text/html", body="<p>Offline</p>")

    page.route(f"{stripe_site.base_url}/checkout/pay/*", pay_then_drop)
    page.get_by_role("button", name="Pay €2,000.00").click()
    expect(page.get_by_text("Offline")).to_be_visible()
    [(status, location)] = redirects
    assert status == 303 and "/payments/return/?session_id=cs_" in location, redirects

    stripe_site.wait_for(
        lambda: Licence.objects.filter(pk=licence.pk, status=Licence.Status.ACTIVE).exists(),
        timeout=15,
    )
    assert WebhookEvent.objects.filter(type="checkout.session.completed").count() == 1
    page.goto("/")  # the brand comes back later
    open_licence(page, licence, tab="Active")
    expect(status_badge(page)).to_have_text(
        f"Scheduled — starts {short_date(licence.current_terms.start_date)}"
    )
    timeline = page.locator(".card", has=page.get_by_role("heading", name="Timeline", exact=True))
    expect(timeline).to_contain_text("The licence is active.")
    shot(page, "active through the webhook")


def test_a_declined_card_shows_its_reason_and_a_3d_secure_card_activates_the_licence(
    signed_in_page, stripe_site
):
    c = cast()
    licence = awaiting_payment(c)

    page = signed_in_page(c.buyer.user)
    open_licence(page, licence)
    page.get_by_role("button", name="Pay with Stripe").click()
    expect(page.get_by_text("Pay Likeness")).to_be_visible()

    # A card with too little on it: Stripe's page says so, and so does ours once she is back.
    allow_console_error(page, r"status of 402")
    page.get_by_label("Card number").fill("4000 0000 0000 9995")
    page.get_by_role("button", name="Pay €2,000.00").click()
    expect(page.get_by_role("alert")).to_contain_text("insufficient funds")
    stripe_site.wait_for(
        lambda: Charge.objects.filter(licence=licence).exclude(payment_error="").exists(),
        timeout=15,
    )
    page.get_by_role("button", name="Cancel and return").click()
    expect(page).to_have_url(re.compile(rf"/licences/{licence.reference}/$"))
    expect(status_badge(page)).to_have_text("Signed — awaiting the brand's payment")
    payment = page.locator(".card", has=page.get_by_role("heading", name="Payment", exact=True))
    expect(payment.get_by_role("status")).to_have_text(
        "Your last payment did not go through. The card has insufficient funds."
    )
    shot(page, "declined, the reason shown")

    # A 3-D Secure card: the bank's challenge, completed, and the licence is active.
    payment.get_by_role("button", name="Pay with Stripe").click()
    page.get_by_label("Card number").fill("4000 0000 0000 3220")
    page.get_by_role("button", name="Pay €2,000.00").click()
    expect(page.get_by_role("heading", name="Authenticate your payment")).to_be_visible()
    shot(page, "3-D Secure challenge")
    page.get_by_role("button", name="Complete authentication").click()

    expect(page).to_have_url(re.compile(rf"/licences/{licence.reference}/$"))
    expect(message(page)).to_have_text("Payment received. Thank you.")
    # Paid: the licence is in force from its first day (the cast's window starts later).
    expect(status_badge(page)).to_have_text(
        f"Scheduled — starts {short_date(licence.current_terms.start_date)}"
    )
    licence.refresh_from_db()
    assert licence.status == Licence.Status.ACTIVE
    charge = Charge.objects.get(licence=licence)
    assert (charge.status, charge.payment_error) == (Charge.Status.PAID, "")


# --- (7) The brand reports uses --------------------------------------------------------------


def report_use(
    page: Page, *, on: date, media: str, territory: str, asset: str, image: Path | None = None
) -> None:
    page.get_by_label("Date of use").fill(ymd(on))
    page.get_by_label("Media", exact=True).select_option(label=media)
    page.get_by_label("Territory", exact=True).select_option(territory)
    page.get_by_label("Asset reference").fill(asset)
    if image is not None:
        page.get_by_label("Image (optional)").set_input_files(image)
    page.get_by_role("button", name="Report use").click()


def test_brand_reports_uses_and_one_outside_the_licence_is_refused_with_the_reason(
    signed_in_page, tmp_path
):
    c = cast()
    today = timezone.localdate()
    end = today + timedelta(days=60)
    licence = awaiting_payment(
        c, media_types=["social", "web"], start_date=today, end_date=end, max_uses=2
    )
    licensing.activate_licence(licence_id=licence.pk)
    placement = tmp_path / "placement.jpg"
    placement.write_bytes(studio_portrait(21, size=(300, 375)))

    page = signed_in_page(c.buyer.user)
    open_licence(page, licence, tab="Active")
    page.get_by_role("link", name="Report a use").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Uses of Amara O. twin")
    expect(page.get_by_text("No uses reported yet.")).to_be_visible()
    # Only what the licence covers is offered.
    expect(page.get_by_label("Media", exact=True).locator("option")).to_have_text(
        ["Social media", "Web / e-commerce"]
    )
    expect(page.get_by_label("Territory", exact=True).locator("option")).to_have_text(
        ["France (FR)", "Germany (DE)"]
    )
    shot(page, "no uses yet")

    report_use(
        page,
        on=today,
        media="Social media",
        territory="DE",
        asset="ig/spring-denim-01.jpg",
        image=placement,
    )
    expect(message(page)).to_have_text("Use recorded.")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td")).to_have_text(
        [
            ymd(today),
            "Social media",
            "DE",
            re.compile(r"ig/spring-denim-01\.jpg"),  # with the link to its signed copies
            "€10.00 unbilled",
        ]
    )
    expect(rows.first.locator("img")).to_have_js_property("complete", True)
    assert rows.first.locator("img").evaluate("el => el.naturalWidth") > 0

    # The day before the licence starts is outside its window: refused, with the reason.
    allow_console_error(page, r"status of 400")
    yesterday = today - timedelta(days=1)
    # The browser offers only the window's days; past its check, the server refuses too.
    date_field = page.get_by_label("Date of use")
    expect(date_field).to_have_value(ymd(today))
    assert date_field.get_attribute("min") == ymd(today)
    date_field.evaluate("el => el.removeAttribute('min')")
    report_use(page, on=yesterday, media="Web / e-commerce", territory="FR", asset="pdp/fr-02")
    expect(page.locator(".errorlist")).to_have_text(
        f"{ymd(yesterday)} is outside the licence window {ymd(today)} – {ymd(end)}."
    )
    expect(rows).to_have_count(1)
    shot(page, "outside the window")

    report_use(page, on=today, media="Web / e-commerce", territory="FR", asset="pdp/fr-02")
    expect(message(page)).to_have_text("Use recorded.")
    expect(rows).to_have_count(2)
    expect(page.locator("table tbody tr", has_text="pdp/fr-02").locator("td")).to_have_text(
        [ymd(today), "Web / e-commerce", "FR", "pdp/fr-02", "€20.00 unbilled"]
    )

    # The licence allows two uses; a third is refused however well it fits.
    report_use(page, on=today, media="Social media", territory="FR", asset="ig/story-03")
    expect(page.locator(".errorlist")).to_have_text("The use cap is reached (2 of 2).")
    expect(rows).to_have_count(2)
    shot(page, "use cap reached")

    assert sorted(UsageReport.objects.values_list("asset_reference", flat=True)) == [
        "ig/spring-denim-01.jpg",
        "pdp/fr-02",
    ]
    page.get_by_role("link", name=f"← {licence.reference}").click()
    uses = page.locator(".card", has=page.get_by_role("heading", name="Uses", exact=True))
    expect(uses).to_contain_text("2 uses reported of 2 allowed.")


# --- (8) A payout run, and the model's dashboard ---------------------------------------------


def kpi(page: Page, name: str) -> Locator:
    return page.locator(".kpi", has=page.locator("span", has_text=re.compile(f"^{name}$")))


def test_after_the_payout_run_the_model_sees_earnings_and_the_monthly_chart(
    make_page, signed_in_page, stripe_site
):
    c = cast()
    licence = paid(c, stripe_site, media_types=["social", "web"])  # 5,000.00: model 3,600.00

    model = signed_in_page(c.talent.user)
    nav(model, "Dashboard")
    expect(model).to_have_url(re.compile(r"/me/dashboard/$"))
    expect(kpi(model, "Earned")).to_contain_text("€3,600.00")
    expect(kpi(model, "Paid out")).to_contain_text("€0.00")
    expect(kpi(model, "Pending")).to_contain_text("€3,600.00 waiting for your payout account")
    shot(model, "earned, waiting for a payout account")

    # The model connects a payout account on the sandbox's hosted onboarding page.
    model.get_by_role("link", name="set up payouts").click()
    model.get_by_role("button", name="Set up payouts with Stripe").click()
    expect(model).to_have_url(re.compile(re.escape(stripe_site.base_url) + r"/connect/onboarding/"))
    shot(model, "hosted onboarding")
    model.get_by_role("button", name="Complete onboarding").click()
    expect(model).to_have_url(re.compile(r"/payouts/$"))
    expect(model.get_by_text("Your Stripe account is connected.")).to_be_visible()
    expect(model.get_by_text("No payouts yet.")).to_be_visible()

    # The nightly run, as beat would start it (tasks run inline here).
    run_payouts_task.delay()
    assert [t["amount"] for t in stripe_site.state("transfer")] == [360_000]

    model.reload()
    payout_row = model.locator("table tbody tr").first
    expect(payout_row).to_contain_text("€3,600.00")
    expect(payout_row.locator(".badge")).to_have_text("Sent to your Stripe account")
    shot(model, "payout paid")

    nav(model, "Dashboard")
    expect(kpi(model, "Earned")).to_contain_text("€3,600.00")
    expect(kpi(model, "Paid out")).to_contain_text("€3,600.00")
    expect(kpi(model, "Pending")).to_contain_text("€0.00")
    expect(kpi(model, "Pending")).to_contain_text("nothing pending")
    expect(model.get_by_text("Next payout run:")).to_be_visible()
    chart = model.get_by_role("img", name="Earnings per month in EUR")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.bar")).to_have_count(12)
    this_month = f"{timezone.now():%b %Y}: €3,600.00"
    expect(chart.locator("rect.bar title").last).to_have_text(this_month)
    expect(chart).to_contain_text("max €3,600.00")
    # The bar of this month is the tallest; the earlier months are empty.
    heights = chart.locator("rect.bar").evaluate_all(
        "bars => bars.map(b => parseFloat(b.getAttribute('height')))"
    )
    assert heights[-1] == max(heights) > 100 and set(heights[:-1]) == {0.5}, heights
    by_brand = model.locator(".card", has=model.get_by_role("heading", name="By brand", exact=True))
    expect(by_brand).to_contain_text(re.compile(rf"{HOLDER}\s*€3,600.00"))
    by_licence = model.locator(
        ".card", has=model.get_by_role("heading", name="By licence", exact=True)
    )
    expect(by_licence).to_contain_text(licence.reference)
    shot(model, "dashboard after the payout")
    assert set(Earning.objects.filter(talent=c.talent).values_list("status", flat=True)) == {
        Earning.Status.PAID
    }

    phone = make_page(width=390, height=844, mobile=True)
    signed_in_page(c.talent.user, on=phone)
    phone.goto("/me/dashboard/")
    expect(kpi(phone, "Paid out")).to_contain_text("€3,600.00")
    phone_chart = phone.get_by_role("img", name="Earnings per month in EUR")
    phone_chart.scroll_into_view_if_needed()
    expect(phone_chart).to_be_visible()
    width = phone_chart.evaluate("el => el.getBoundingClientRect().width")
    assert 200 < width <= 390, width
    assert_no_horizontal_scroll(phone)
    shot(phone, "dashboard on a phone", full_page=False)
    assert_no_horizontal_scroll(phone)
    shot(phone, "dashboard on a phone, whole page")
