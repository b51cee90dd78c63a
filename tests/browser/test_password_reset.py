"""A password-reset link opened in a browser: the secret after "#" is posted by the page's script, never
requested in an address (so it reaches no access log), and the person chooses a new password."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_mailed_link_works_without_its_token_reaching_the_server(ui, live_server, settings, mailoutbox):
    from tests.factories import UserFactory

    settings.SITE_URL = live_server.url
    user = UserFactory(email="oubli@example.fr")
    page = ui.new_page("supplier")
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/accounts/password-reset/")
    page.get_by_label("Courriel").fill(user.email)
    page.get_by_role("button", name="Envoyer le lien").click()
    page.wait_for_load_state()
    link = re.search(r"https?://\S+/accounts/reset/#\S+", mailoutbox[-1].body).group(0)
    token = link.rsplit("/", 1)[1]

    page.goto(link)
    expect(page.locator("#id_new_password1"), ui.why(page, "set-password form")).to_be_visible()
    ui.screenshot(page, "set-password")
    page.locator("#id_new_password1").fill("Menuiserie-2026-neuve")
    page.locator("#id_new_password2").fill("Menuiserie-2026-neuve")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.get_by_text("Votre mot de passe est modifié"), ui.why(page, "done")).to_be_visible()
    assert all(token not in url.split("#")[0] for url in requested), requested
    user.refresh_from_db()
    assert user.check_password("Menuiserie-2026-neuve")
