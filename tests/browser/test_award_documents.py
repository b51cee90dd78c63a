"""After the award, the buyer downloads the analysis report from the tender page, and a losing bidder its
rejection letter from its bid page (documents generated through the services' hooks, as in production)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from procurement.documents import services as document_services
from procurement.models import DocumentKind, DocumentStatus, GeneratedDocument
from tests.factories import DEFAULT_PASSWORD, awarded_tender

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _latest(kind, **filters) -> GeneratedDocument:
    document = GeneratedDocument.objects.filter(kind=kind, **filters).order_by("-version").first()
    assert document is not None and document.status == DocumentStatus.READY, document and document.error
    return document


def _download(page, link) -> bytes:
    with page.expect_download() as info:
        link.click()
    return Path(info.value.path()).read_bytes()


@pytest.fixture
def awarded(transactional_db):
    """Awarded before the browser starts: signing runs its own event loop, which Playwright's would block."""
    return awarded_tender(("150000.00", "160000.00"))


def test_the_buyer_downloads_the_report_and_a_losing_bidder_its_rejection_letter(awarded, ui):
    ot = awarded
    report = _latest(DocumentKind.ANALYSIS_REPORT, object_id=ot.tender.id)
    assert report.version == 2  # the proposal's, then the approval's
    loser_company, loser = ot.bidders[1]
    letter = _latest(DocumentKind.REJECTION_LETTER, company_id=loser_company.id)

    console = ui.new_page("buyer")
    ui.log_in(console, ot.buyer.email, DEFAULT_PASSWORD)
    console.goto(f"/console/marches/{ot.tender.id}/")
    reports = console.locator("section", has=console.get_by_role("heading", name="Procès-verbaux et rapports"))
    link = reports.get_by_role("link", name=re.compile("Rapport d'analyse des offres"))
    expect(link, ui.why(console, "analysis report on the tender page")).to_be_visible()
    ui.screenshot(console, "buyer-tender-reports")
    assert _download(console, link) == document_services.document_content(report)

    portal = ui.new_page("loser")
    ui.log_in(portal, loser.email, DEFAULT_PASSWORD)
    portal.goto(f"/portail/marches/offres/{ot.bids[1].id}/")
    link = portal.get_by_role("link", name=re.compile("Lettre de rejet"))
    expect(link, ui.why(portal, "rejection letter on the bid page")).to_be_visible()
    expect(portal.get_by_role("link", name=re.compile("Lettre d'attribution")),
           ui.why(portal, "no award letter for a losing bidder")).to_have_count(0)
    ui.screenshot(portal, "loser-bid-page")
    assert _download(portal, link) == document_services.document_content(letter)
