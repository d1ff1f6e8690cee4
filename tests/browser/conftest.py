"""Browser harness: Debian's Chromium driven by Playwright against pytest-django's live server.

The site runs in a thread of the test process (`live_server`), so browser tests need committed
data: mark them `@pytest.mark.django_db(transaction=True)`. Without a `chromium` on PATH the
journeys skip locally and fail under CI=true.

Screenshots land in var/screenshots/<test name>/NN-step.png; a failing test adds one more.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.conf import settings

from tests.factories import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

IN_CI = os.environ.get("CI", "").lower() == "true"
# Without the background-networking flags Chromium waits on services it cannot reach here.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
# Generous, because waits return as soon as the page is ready: they only cost time when a
# test fails. A cold live server on a busy two-core CI box needs >10 s for its first page.
TIMEOUT_MS = 15_000
NAVIGATION_TIMEOUT_MS = 30_000


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"CI=true: browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo
) -> Generator[None, Any, None]:
    # Lets the page fixture know, at teardown, whether the test body failed.
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if not executable:
        _unavailable("chromium is not installed (Debian: apt-get install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    expect.set_options(timeout=TIMEOUT_MS)
    # Playwright's sync API keeps an asyncio loop running on this thread, which Django's
    # async-safety check mistakes for async code calling the ORM. The tests are synchronous.
    with pytest.MonkeyPatch.context() as mp, sync_playwright() as playwright:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS, timeout=30_000
        )
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _categories(migrated_categories: None) -> None:
    """Each journey starts from a migrated database."""


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings) -> None:
    # Redis is shared with every other test process on the machine. Allauth counts sign-ins
    # and failures per IP there (127.0.0.1 for all of them), so another suite's failed logins
    # could lock these journeys out. A key prefix of their own keeps Redis in play, isolated.
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"browser-{uuid.uuid4().hex}"
    settings.CACHES = caches


@dataclass
class _Recorder:
    """Numbered screenshots and the console errors of one test's pages."""

    directory: Path
    count: int = 0
    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


_RECORDERS: dict[int, _Recorder] = {}


def shot(page: Page, step: str, *, full_page: bool = True) -> Path:
    """Save a screenshot as var/screenshots/<test>/NN-<step>.png (the whole page by default)."""
    recorder = _RECORDERS[id(page)]
    recorder.count += 1
    path = recorder.directory / f"{recorder.count:02d}-{_slug(step)}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def allow_console_error(page: Page, pattern: str) -> None:
    """A console error this test expects (e.g. the browser noting a 400 answer)."""
    _RECORDERS[id(page)].allowed.append(re.compile(pattern))


def assert_images_loaded(images: Locator) -> int:
    """Every matched <img> was fetched and decoded (a broken media URL fails). Returns count."""
    from playwright.sync_api import expect

    count = images.count()
    assert count > 0, "no images matched"
    for i in range(count):
        img = images.nth(i)
        img.scroll_into_view_if_needed()
        expect(img).to_have_js_property("complete", True)
        width = img.evaluate("el => el.naturalWidth")
        assert width > 0, f"image did not load: {img.get_attribute('src')}"
    return count


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:80] or "step"


@pytest.fixture
def make_page(
    request: pytest.FixtureRequest, browser: Browser, live_server
) -> Iterator[Callable[..., Page]]:
    """make_page(width=, height=, mobile=, bypass_csp=, javascript=) opens a page in a fresh
    context on the live server."""
    directory = Path(settings.VAR_DIR) / "screenshots" / _slug(request.node.name)
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    recorder = _Recorder(directory)
    contexts, pages = [], []

    def _make(
        *,
        width: int = DESKTOP["width"],
        height: int = DESKTOP["height"],
        mobile: bool = False,
        bypass_csp: bool = False,
        javascript: bool = True,
    ) -> Page:
        context = browser.new_context(
            base_url=live_server.url,
            bypass_csp=bypass_csp,  # lets a test inject a checker such as axe-core
            viewport={"width": width, "height": height},
            is_mobile=mobile,
            has_touch=mobile,
            device_scale_factor=2 if mobile else 1,
            java_script_enabled=javascript,  # False: what a page does without its scripts
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda m: (
                recorder.errors.append(f"console: {m.text} ({m.location.get('url', '')})")
                if m.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda e: recorder.errors.append(f"page error: {e}"))
        _RECORDERS[id(page)] = recorder
        pages.append(page)
        return page

    yield _make

    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    try:
        if failed and pages:
            shot(pages[-1], "failed")
    finally:
        for page in pages:
            _RECORDERS.pop(id(page), None)
        for context in contexts:
            context.close()
    unexpected = recorder.unexpected_errors()
    if unexpected and not failed:
        pytest.fail("JavaScript console errors:\n" + "\n".join(unexpected), pytrace=False)


@pytest.fixture
def page(make_page: Callable[..., Page]) -> Page:
    """A 1280×900 page in its own browser context, with base_url set to the live server."""
    return make_page()


def sign_in(page: Page, user, *, password: str = PASSWORD) -> Page:
    """Sign in through the real form at /accounts/login/ and wait for the signed-in header."""
    from playwright.sync_api import expect

    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(password)
    page.get_by_role("button", name="Sign in", exact=False).click()
    # On a phone the header's menu is folded: the button is there, out of sight.
    expect(page.get_by_role("button", name="Sign out", include_hidden=True)).to_be_attached()
    return page


@pytest.fixture
def signed_in_page(page: Page) -> Callable[..., Page]:
    """signed_in_page(user) signs `user` in on the test's page and returns it."""

    def _signed_in(user, *, on: Page | None = None) -> Page:
        return sign_in(on or page, user)

    return _signed_in
