"""Automated accessibility check (WCAG 2.1 A and AA rules of axe-core) of the platform's main pages, in
Chromium: no serious or critical violation is allowed. The pages are those the accessibility statement
lists (``procurement.site.legal.AUDITED_PAGES``), which reports this check.

axe-core is the vendored ``tests/browser/vendor/axe.min.js``, injected by Playwright as an init script (it
runs before the page's own scripts and is not subject to the page's Content-Security-Policy)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from procurement.site.legal import AUDITED_PAGES
from tests.factories import (
    DEFAULT_PASSWORD,
    company_owner,
    draft_bid,
    published_tender,
    submitted_application,
)
from tests.tenders.test_views_evaluation import scored_tender

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " " + n.failureSummary)}));
}"""


def violations(page) -> list[dict]:
    found = page.evaluate(RUN_AXE, WCAG_TAGS)
    return [v for v in found if v["impact"] in ("serious", "critical")]


def checked_page(ui, name, email):
    page = ui.new_page(name)
    page.context.add_init_script(script=AXE)
    ui.log_in(page, email, DEFAULT_PASSWORD)
    return page


@pytest.fixture
def situation():
    """Made before the browser starts (the documents' PDF rendering runs its own event loop)."""
    ot = scored_tender(evaluators=1)
    submitted_application()  # the applications list and the console dashboard have a row
    tender, suppliers = published_tender(suppliers=1)
    company, supplier = suppliers[0]
    assert company_owner(company) == supplier
    return ot, supplier, draft_bid(tender, supplier)


def test_main_pages_have_no_serious_or_critical_violation(situation, ui):
    ot, supplier, bid = situation

    urls = {
        "portal_dashboard": (supplier, reverse("portal:dashboard")),
        "tender_inbox": (supplier, reverse("tenders_portal:inbox")),
        "bid_form": (supplier, reverse("tenders_portal:bid", args=[bid.id])),
        "console_dashboard": (ot.buyer, reverse("console:dashboard")),
        "applications": (ot.buyer, reverse("console:applications")),
        "directory": (ot.buyer, reverse("console:directory")),
        "tender_detail": (ot.buyer, reverse("tenders_console:detail", args=[ot.tender.id])),
        "evaluation_ranking": (ot.buyer, reverse("tenders_console:evaluation_ranking", args=[ot.tender.id])),
    }
    assert set(urls) == set(AUDITED_PAGES)  # the statement reports exactly these pages

    pages = {}
    report = {}
    for key, (user, url) in urls.items():
        if user.email not in pages:
            pages[user.email] = checked_page(ui, user.email, user.email)
        page = pages[user.email]
        page.goto(url)
        assert page.url.endswith(url), ui.why(page, f"{key} opened")
        found = violations(page)
        if found:
            report[key] = found
            ui.screenshot(page, f"axe-{key}")
    assert not report, "serious or critical accessibility violations:\n" + "\n".join(
        f"{key} ({urls[key][1]}): {v['id']} [{v['impact']}] {v['help']}\n    " + "\n    ".join(v["nodes"])
        for key, found in report.items() for v in found)
