"""Browser harness: Debian's Chromium driven by Playwright against pytest-django's live server.

Every page a browser test loads is checked with axe-core (WCAG 2.1 AA) and for horizontal overflow
(the page must be no wider than the window), and photographed into
``var/screenshots/<test>/<n>-<slug>.png`` (test artefacts, git-ignored); a test fails if any page it
visited has a violation or overflows. Tests run at 1280 px, and every page a test reaches by GET
is also opened beside it at 390 px, a phone, with the test's cookies: checked for overflow and
photographed as ``<n>-<slug>-390.png``, so every journey leaves both widths behind; the first phone
copy of each kind of page (its path with the numbers taken out) in a test process is checked with
axe-core too, so every page the suite reaches is checked at both widths without paying axe twice for
the same template. A test (or
module) marked ``both_viewports`` runs again wholly at 390 px (menus and all, as on a phone). Use
``browser_login`` to sign in as a persona (TOTP included), ``header_link``/``sign_out`` to use the
header as a person would at any width.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from cernai.core.demo import demo_totp_secret
from tests.factories import PASSWORD, has_mfa

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_SOURCE = (Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js").read_text()
AXE_RUN = """async () => {
  // A load handler's run and the end-of-test check can overlap: wait for the other run to finish.
  while (axe._running) { await new Promise(resolve => setTimeout(resolve, 25)); }
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""

# The widest element that sticks out of the window, named so that a failure says what to fix.
OVERFLOW_CHECK = """() => {
  const limit = window.innerWidth;
  if (document.documentElement.scrollWidth <= limit) return null;
  let widest = null, right = 0;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > right + 0.5) { widest = el; right = r.right; }
  }
  const classes = widest && typeof widest.className === 'string' ? widest.className.trim().split(/\\s+/) : [];
  const name = widest ? widest.tagName.toLowerCase() + (widest.id ? '#' + widest.id : '')
    + classes.filter(Boolean).map(c => '.' + c).join('')
    + ' "' + (widest.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 60) + '"' : '?';
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: limit, widest: name, right: Math.round(right)};
}"""
VIEWPORTS = {"1280": {"width": 1280, "height": 800}, "390": {"width": 390, "height": 844}}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"

pytestmark = pytest.mark.browser


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_viewports: run this browser test at 1280 px and again at 390 px")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "viewport_width" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_viewports"):
        metafunc.parametrize("viewport_width", list(VIEWPORTS), scope="function")


@pytest.fixture
def viewport_width() -> str:
    """The window's width: 1280 px unless the test is marked ``both_viewports``."""
    return "1280"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any], viewport_width: str) -> dict[str, Any]:
    return {
        **browser_context_args,
        "locale": "en-GB",
        "timezone_id": "Europe/Zurich",
        "viewport": VIEWPORTS[viewport_width],
    }


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core in the page (through the DevTools protocol, so the page's CSP still holds)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    return list(page.evaluate(AXE_RUN))


# The kinds of page (paths with numbers taken out) already checked with axe at 390 px in this process.
PHONE_AXED: set[str] = set()


def _page_kind(url: str) -> str:
    return re.sub(r"[0-9]+", "N", re.sub(r"^https?://[^/]+", "", url).split("#")[0].split("?")[0])


def _slug(url: str) -> str:
    path = re.sub(r"^https?://[^/]+", "", url).split("#")[0]
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-")[:80] or "home"


@pytest.fixture
def page(
    page: Page,
    live_server: Any,
    request: pytest.FixtureRequest,
    settings: Any,
    viewport_width: str,
    browser_context_args: dict[str, Any],
) -> Any:
    """A page whose every load is checked with axe-core and for horizontal overflow, and
    photographed; the test fails on any violation or overflow."""
    # The portal is configured with the address it is served at: links in emails lead back to it.
    settings.PORTAL_BASE_URL = live_server.url
    seen: dict[str, list[dict[str, Any]]] = {}
    overflows: dict[str, dict[str, Any]] = {}
    csp_errors: list[str] = []
    shots = SCREENSHOTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True, exist_ok=True)
    taken = [0]
    methods: dict[str, str] = {}  # how the window reached each address: only a GET is repeated
    phoned: set[str] = set()

    def navigated(request: Any) -> None:
        if request.is_navigation_request() and request.frame == page.main_frame:
            methods[request.url] = request.method

    phones: list[Any] = []  # the phone's browser context, made on first use

    def on_a_phone(url: str) -> None:
        """The same address at 390 px, beside the test's window, which keeps its size (its clicks land
        where it expects them). The phone is a context of its own holding a copy of the test's
        cookies: a cookie the phone's answer sets (an older session's, a rotated CSRF token) must not
        land in the test's session, which may have signed in meanwhile."""
        if viewport_width != "1280" or url in phoned or methods.get(url) != "GET":
            return
        if not url.startswith(live_server.url):
            return
        phoned.add(url)
        if not phones:
            browser = page.context.browser
            assert browser is not None
            phones.append(browser.new_context(**{**browser_context_args, "viewport": VIEWPORTS["390"]}))
        context = phones[0]
        context.clear_cookies()
        context.add_cookies(page.context.cookies())
        phone = context.new_page()
        try:
            phone.goto(url, wait_until="load")
            overflow = phone.evaluate(OVERFLOW_CHECK)
            if overflow:
                overflows[f"{url} at 390 px"] = overflow
            if _page_kind(url) not in PHONE_AXED:
                PHONE_AXED.add(_page_kind(url))
                seen[f"{url} at 390 px"] = axe_violations(phone)
            phone.screenshot(path=str(shots / f"{taken[0]:02d}-{_slug(url)}-390.png"))
        finally:
            phone.close()

    def check(loaded: Page) -> None:
        # Playwright delivers events during our own calls, so a load check can start while another
        # is still running; AXE_RUN waits for the earlier run in the page, so none is skipped.
        url = loaded.url  # the address that just loaded
        try:
            loaded.wait_for_load_state("load")
            seen[url] = axe_violations(loaded)
            overflow = loaded.evaluate(OVERFLOW_CHECK)
            if overflow:
                overflows[url] = overflow
            taken[0] += 1
            # The window as the person sees it: a full-page capture resizes the window for a moment,
            # and a click the test makes meanwhile (handlers run during the test's own calls) misses.
            loaded.screenshot(path=str(shots / f"{taken[0]:02d}-{_slug(url)}.png"))
        except Exception as exc:  # navigated away mid-check: the next page is checked on its own load
            if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
                raise
        # The phone's window is the test's own to load, so the test moving on does not cut it short.
        on_a_phone(url)

    def console(message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            csp_errors.append(message.text)

    page.on("request", navigated)
    page.on("load", check)
    page.on("console", console)
    page.set_default_timeout(15_000)
    yield page
    page.remove_listener("load", check)
    page.remove_listener("request", navigated)
    check(page)  # the page the test ended on (waits in the page for a load check still in flight)
    for context in phones:
        context.close()
    problems = {url: v for url, v in seen.items() if v}
    assert not problems, f"axe-core WCAG 2.1 AA violations: {problems}"
    assert not overflows, f"pages wider than the window (scrollWidth > innerWidth): {overflows}"
    assert not csp_errors, f"CSP violations: {csp_errors}"
    assert seen, "no page was loaded, so nothing was checked for accessibility"


# The periods whose codes this test typed, per secret. The server marks a used code in the durable
# cache (table ``cernai_cache``), which the live server's flush empties after every test: a code a
# previous test typed signs in again, so only this test's codes count.
_USED_PERIODS: dict[str, set[int]] = {}
# At worst this long between reading a code and the server checking it (a busy machine included).
_TYPING_MARGIN = 8


@pytest.fixture(autouse=True)
def _codes_of_earlier_tests_are_forgotten() -> None:
    _USED_PERIODS.clear()


def fill_totp(page: Page, secret: str) -> None:
    """Type a code as a person would: one the server still accepts when the form arrives, and never
    one already used (a code signs in once). The server accepts the codes of the neighbouring periods
    too (``MFA_TOTP_TOLERANCE``, a phone's clock drift): the current code first, else the next
    period's (a phone slightly ahead), else the previous one's; when none is left, wait for the next
    period."""
    from allauth.mfa import app_settings
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    period, tolerance = app_settings.TOTP_PERIOD, app_settings.TOTP_TOLERANCE
    used = _USED_PERIODS.setdefault(secret, set())
    while True:
        now = time.time()
        current, left = int(now // period), period - now % period
        # The form may arrive in the next period: a code must be accepted in that one as well.
        oldest = current - tolerance + (1 if left < _TYPING_MARGIN else 0)
        ahead = range(current, current + tolerance + 1)
        behind = range(current - 1, oldest - 1, -1)
        choice = next((p for p in [*ahead, *behind] if p >= oldest and p not in used), None)
        if choice is not None:
            used.add(choice)
            page.get_by_label("Code").fill(format_hotp_value(hotp_value(secret, choice)))
            return
        time.sleep(left + 0.1)


@pytest.fixture
def browser_login(live_server: Any) -> Any:
    """``browser_login(page, user)`` signs in through the real login form, second factor included."""

    def do_login(page: Page, user: Any, password: str = PASSWORD) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Email").fill(user.email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign In").click()
        if has_mfa(user):
            page.wait_for_url("**/accounts/2fa/authenticate/**")
            fill_totp(page, demo_totp_secret(user.email))
            page.get_by_role("button", name="Sign In").click()
        page.wait_for_url(f"{live_server.url}/dashboard/**")

    return do_login


def _open_menus_around(page: Page, target: Any) -> None:
    """Open, outermost first, the header's disclosures that hide ``target`` (the phone's "Menu",
    then the section's drop-down) by clicking their buttons, as a person would."""
    ids = target.evaluate(
        "el => { const out = []; for (let d = el.closest('details'); d; d = d.parentElement.closest('details'))"
        " out.unshift(d.id); return out; }"
    )
    for details_id in ids:
        details = page.locator(f"#{details_id}")
        summary = details.locator(":scope > summary")
        if details.get_attribute("open") is None and summary.is_visible():
            summary.click()


def header_link(page: Page, name: str) -> Any:
    """The header's link called ``name``, made visible (menus opened) and ready to click."""
    link = page.get_by_role("banner").get_by_role("link", name=name, exact=True, include_hidden=True)
    _open_menus_around(page, link)
    return page.get_by_role("banner").get_by_role("link", name=name, exact=True)


def sign_out(page: Page) -> None:
    """Sign out from the user menu in the header."""
    button = page.get_by_role("banner").get_by_role("button", name="Sign out", include_hidden=True)
    _open_menus_around(page, button)
    page.get_by_role("banner").get_by_role("button", name="Sign out").click()
