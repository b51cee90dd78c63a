"""static/js/numbers.js reads and writes numbers as procurement/numbers.py does (the shared cases of
tests/number_cases.json), and the bid form's live total reads prices typed the French way."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from tenders import services
from tenders.models import Bid
from tests.factories import DEFAULT_PASSWORD, published_tender

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASES = json.loads((Path(__file__).parent.parent / "number_cases.json").read_text(encoding="utf-8"))
SCRIPT = Path(settings.BASE_DIR) / "static" / "js" / "numbers.js"


def test_the_script_agrees_with_the_server_on_every_shared_case(chromium):
    page = chromium.new_page()
    try:
        page.set_content("<!doctype html><title>numbers</title>")
        page.add_script_tag(path=str(SCRIPT))
        read = page.evaluate("cases => cases.map(c => PlatformNumbers.read(c.text))", CASES["read"])
        written = page.evaluate(
            """cases => cases.map(c => [
            PlatformNumbers.format(c.value, c.places, "fr", {trim: c.trim}),
            PlatformNumbers.format(c.value, c.places, "en", {trim: c.trim}),
            PlatformNumbers.format(c.value, c.places, "en", {trim: c.trim, field: true})])""",
            CASES["format"],
        )
    finally:
        page.close()
    for case, got in zip(CASES["read"], read, strict=True):
        expected = case["value"]
        assert (got is None) == (expected is None), (case, got)
        if expected is not None:
            assert Decimal(got) == Decimal(expected), (case, got)
    for case, got in zip(CASES["format"], written, strict=True):
        assert got == [case["fr"], case["en"], case["en_field"]], case


def test_the_live_total_reads_prices_typed_the_french_way(ui):
    tender, [(company, user)] = published_tender(suppliers=1)
    bid = services.bid_create(actor=user, tender=tender, company=company)
    page = ui.new_page("contractor")
    ui.log_in(page, user.email, DEFAULT_PASSWORD)
    page.goto(reverse("tenders_portal:bid", args=[bid.id]))
    schedule = page.locator("table[data-price-schedule]")
    # Quantities 1, 1 200 and 1 200 (tests.factories): a space, a no-break space and a narrow one.
    page.get_by_label("Prix unitaire de la ligne 1.1").fill("1 450,50")
    page.get_by_label("Prix unitaire de la ligne 2.1").fill("95,5")
    page.get_by_label("Prix unitaire de la ligne 2.2").fill("1\u202f000")
    amounts = schedule.locator("tbody [data-amount]")
    expect(amounts, ui.why(page, "line amounts")).to_have_text(
        ["1\u00a0450,50", "114\u00a0600,00", "1\u00a0200\u00a0000,00"]
    )
    expect(schedule.locator("[data-sum]"), ui.why(page, "live sum")).to_have_text("1\u00a0316\u00a0050,50")
    page.get_by_label("Prix total de l'offre (€ HT)").fill("1 316 050,50")
    expect(page.locator("[data-check]"), ui.why(page, "total equal")).to_have_text(
        "Le prix total est égal à la somme des lignes."
    )
    # Ambiguous input is refused as the server refuses it.
    page.get_by_label("Prix unitaire de la ligne 2.1").fill("1.450,00")
    expect(amounts.nth(1), ui.why(page, "ambiguous price")).to_have_text("Montant illisible")
    page.get_by_label("Prix unitaire de la ligne 2.1").fill("95,5")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    expect(page.get_by_role("status").filter(has_text="Brouillon enregistré")).to_be_visible()
    # Saved, the prices come back the French way.
    expect(page.get_by_label("Prix unitaire de la ligne 1.1")).to_have_value("1\u00a0450,50")
    expect(page.get_by_label("Prix unitaire de la ligne 2.1")).to_have_value("95,50")
    content = services.bid_content(Bid.objects.get(pk=bid.pk))
    assert [line["unit_price"] for line in content["lines"]] == ["1450.50", "95.50", "1000.00"]
    assert content["total_price"] == "1316050.50"
