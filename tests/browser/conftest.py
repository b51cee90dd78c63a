"""Browser tests: Debian's Chromium driven by Playwright's sync API against ``live_server``.

Every test marked ``browser`` gets Chromium (skipped without it, failing under REQUIRE_SERVICES=1).
``ui`` opens pages (one browser context per person, so sessions never mix), takes screenshots into the
test's ``tmp_path`` and, when a test fails, a screenshot of every open page whose path is printed with
the failure; ``ui.why(page, text)`` gives assertion messages that name that path in advance.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000

# Visible form controls that a screen reader would announce without a name.
UNLABELLED_CONTROLS_JS = """
() => Array.from(document.querySelectorAll("input, select, textarea"))
  .filter(el => el.type !== "hidden" && el.type !== "submit" && el.type !== "button")
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute("aria-label")
                && !el.getAttribute("aria-labelledby") && !el.getAttribute("title"))
  .map(el => el.outerHTML.slice(0, 120))
"""
PASSWORD = "Chantier-2026-sûr"


@pytest.fixture
def chromium(require_chromium):
    """A Chromium process for one test.

    Playwright's sync API keeps an asyncio loop running in this thread, so Django would refuse ORM calls
    made by the test itself (SynchronousOnlyOperation): DJANGO_ALLOW_ASYNC_UNSAFE is set for the lifetime
    of the browser only, and Playwright is stopped before the database is flushed.

    While that loop runs, Django's per-thread connections live in another context (asgiref's Local): the
    connections the test opened there are closed before Playwright stops, or one would stay open and
    PostgreSQL would refuse to drop the test database at the end of the session.
    """
    from django.db import connections
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(require_chromium), args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                connections.close_all()
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


class UI:
    def __init__(self, browser, base_url: str, shots_dir: Path):
        self.browser = browser
        self.base_url = base_url
        self.shots_dir = shots_dir
        self.pages: dict[str, object] = {}
        self.contexts = []

    def new_page(self, name: str, *, viewport: dict | None = None, javascript: bool = True):
        """A page in a fresh context (its own cookies): one per person taking part in the journey.

        ``viewport`` is the window's size (a desktop screen unless told, e.g. ``layout.PHONE``);
        ``javascript=False`` opens the page as a browser without scripts would.
        """
        context = self.browser.new_context(
            base_url=self.base_url, locale="fr-FR", viewport=viewport or {"width": 1280, "height": 900},
            java_script_enabled=javascript,
        )
        context.set_default_timeout(TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        page._ui_name = name
        self.pages[name] = page
        return page

    def failure_path(self, page) -> Path:
        return self.shots_dir / f"failure-{page._ui_name}.png"

    def why(self, page, text: str) -> str:
        """An assertion message naming the screenshot taken if the assertion fails."""
        return f"{text} (page {page.url}; screenshot: {self.failure_path(page)})"

    def screenshot(self, page, name: str) -> Path:
        """A full-page screenshot; the page's form controls must all have a label (checked at the same time)."""
        path = self.shots_dir / f"{re.sub(r'[^A-Za-z0-9_-]+', '-', name)}.png"
        page.screenshot(path=str(path), full_page=True)
        unlabelled = page.evaluate(UNLABELLED_CONTROLS_JS)
        assert not unlabelled, f"form controls without a label on {page.url}: {unlabelled} (screenshot: {path})"
        return path

    def log_in(self, page, email: str, password: str = PASSWORD):
        """The login page, as a person fills it in."""
        page.goto("/accounts/login/")
        page.get_by_label("Adresse e-mail").fill(email)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("main").get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state()

    def close(self):
        for context in self.contexts:
            with contextlib.suppress(Exception):  # the browser may already be gone
                context.close()


@pytest.fixture
def ui(request, django_db_setup, chromium, live_server, settings, tmp_path):
    """Pages on the live server; links in mails point at it (SITE_URL).

    ``django_db_setup`` comes before ``live_server`` so that the server (and its database connections)
    stops before the test database is dropped at the end of the session.
    """
    settings.SITE_URL = live_server.url
    shots = tmp_path / "screenshots"
    shots.mkdir()
    helper = UI(chromium, live_server.url, shots)
    request.node._ui = helper
    yield helper
    helper.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    helper = getattr(item, "_ui", None)
    if helper is None or report.when != "call" or not report.failed:
        return
    paths = []
    for page in list(helper.pages.values()):
        try:
            path = helper.failure_path(page)
            page.screenshot(path=str(path), full_page=True)
            paths.append(f"{page._ui_name}: {path} ({page.url})")
        except Exception as exc:  # noqa: BLE001  a closed page cannot be captured
            paths.append(f"{page._ui_name}: no screenshot ({exc})")
    if paths:
        report.sections.append(("Screenshots at failure", "\n".join(paths)))


# --- data prepared through the services ----------------------------------------------------------------

@pytest.fixture
def buyer(db):
    """A buyer account (staff_create_or_update), able to log in with PASSWORD."""
    from procurement.accounts.services import staff_create_or_update

    return staff_create_or_update(email="claire.acheteuse@bailleur-social.fr", roles=["buyer"], password=PASSWORD,
                                  first_name="Claire", last_name="Dubois")


@pytest.fixture
def open_dps(buyer):
    """An open DPS with one category requiring three certificates; returns (dps, category)."""
    import datetime as dt

    from django.utils import timezone

    from procurement.models import Trade
    from procurement.services import category_create, dps_create, dps_publish

    dps = dps_create(actor=buyer, reference="SAD-2026-NORD", title="Rénovation énergétique du parc Nord",
                     valid_until=timezone.localdate() + dt.timedelta(days=3 * 365),
                     description="Isolation, menuiseries et chauffage de 4 000 logements.")
    category = category_create(
        actor=buyer, dps=dps, code="ITE-59", name="Isolation thermique par l'extérieur — Nord",
        trade=Trade.EXTERNAL_WALL_INSULATION, territories=["59"], max_contract_value="500000",
        min_turnover="300000", required_evidence=["kbis", "urssaf_vigilance", "liability_insurance"],
    )
    dps = dps_publish(actor=buyer, dps=dps)
    return dps, category
