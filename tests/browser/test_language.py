"""The language switch of the header."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_switching_to_english_on_the_home_page(ui, open_dps):
    page = ui.new_page("visitor")
    page.goto("/")
    expect(page.locator("html"), ui.why(page, "French first")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Référencez votre entreprise pour nos travaux de rénovation énergétique")

    page.get_by_role("button", name="EN — English", exact=True).click()
    expect(page.locator("html"), ui.why(page, "page in English")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1), ui.why(page, "English heading")).to_have_text(
        "Get your company listed for our energy renovation works")
    expect(page.get_by_role("heading", name="How does it work? Three steps")).to_be_visible()
    expect(page.get_by_role("main").get_by_role("link", name="Create an account")).to_be_visible()
    expect(page.get_by_role("button", name="EN — English", exact=True), ui.why(page, "current language marked")
           ).to_have_attribute("aria-current", "true")
    expect(page.get_by_role("button", name="FR — Français", exact=True)).not_to_have_attribute("aria-current", "true")
    expect(page.get_by_role("button", name="EN — English", exact=True), ui.why(page, "short visible label")).to_have_text("EN")
    ui.screenshot(page, "home-english")

    # The choice sticks on the next page, and French comes back on request.
    page.get_by_role("main").get_by_role("link", name="Create an account").click()
    expect(page.get_by_role("heading", level=1), ui.why(page, "register page in English")).to_have_text(
        "Create an account")
    page.get_by_role("button", name="FR — Français", exact=True).click()
    expect(page.get_by_role("heading", level=1), ui.why(page, "back to French")).to_have_text("Créer un compte")
