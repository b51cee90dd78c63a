"""The pages work under their Content-Security-Policy: Chromium reports no blocked script, style or frame."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_no_page_breaks_the_policy(ui, buyer, open_dps):
    from tests.factories import draft_tender

    dps, category = open_dps
    category.dps = dps
    tender = draft_tender(category, actor=buyer)
    page = ui.new_page("buyer")
    violations = []
    page.on("console", lambda message: violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text else None)
    for path in ("/", "/accounts/register/", "/api/docs/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    ui.log_in(page, buyer.email)
    for path in ("/console/", "/console/marches/", f"/console/marches/{tender.id}/", "/console/candidatures/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
    ui.screenshot(page, "tender-detail-under-csp")
    assert violations == [], "\n".join(violations)
