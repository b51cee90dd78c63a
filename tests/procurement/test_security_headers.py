"""Every response carries a Content-Security-Policy without 'unsafe-inline' scripts or styles; the pages keep
to it (no inline script, no style attribute, no inline event handler), and this site may still frame its own
document previews."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import draft_tender

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/register/", "/accounts/password-reset/",
                                  "/api/v1/dps/", "/api/v1/nulle-part/"])
def test_every_response_has_a_strict_policy(client, path):
    policy = directives(client.get(path))
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]


def test_console_pages_too(client, buyer):
    tender = draft_tender(actor=buyer)
    client.force_login(buyer)
    response = client.get(reverse("tenders_console:detail", args=[tender.id]))
    assert response.status_code == 200
    assert directives(response)["script-src"] == ["'self'"]
    html = response.content.decode()
    assert ' style="' not in html and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_the_api_docs_load_their_script_from_a_file(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", response.content.decode())
    assert directives(response)["script-src"] == ["'self'"]


@pytest.mark.parametrize("template", sorted(p for p in TEMPLATES.rglob("*.html") if "documents" not in p.parts),
                         ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_page_templates_have_no_inline_script_style_or_handler(template):
    """The PDF templates (templates/documents) are rendered by WeasyPrint, never served as pages."""
    text = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"<style\b", text), "<style> block"
    assert not re.search(r"\sstyle=|style=&quot;", text), "style attribute"
    assert not re.search(r"\son[a-z]+=\"", text), "inline event handler"
