"""The footer's pages (templates/legal/, extending base.html): accessibility statement, legal notice,
personal data, terms of use, contact.

Public, for everyone (signed in or not). Who publishes the platform comes from settings (``LANDLORD_NAME``,
``LANDLORD_ADDRESS``, ``LANDLORD_SIREN``, ``LANDLORD_EMAIL``, …), so another landlord deploys it as is.

The accessibility statement reports the automated check that the browser tests run on every build
(``tests/browser/test_accessibility.py``: axe-core over ``AUDITED_PAGES``, no serious or critical violation
allowed); the manual audit of RGAA 4.1 has not been made yet, hence "partiellement conforme".
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

# The pages the automated check covers (key → name in the statement); the browser test checks these keys.
AUDITED_PAGES = {
    "portal_dashboard": _("Espace entreprise : tableau de bord"),
    "tender_inbox": _("Espace entreprise : mes consultations"),
    "bid_form": _("Espace entreprise : formulaire d'offre"),
    "console_dashboard": _("Console acheteur : tableau de bord"),
    "applications": _("Console acheteur : candidatures"),
    "directory": _("Console acheteur : annuaire des fournisseurs"),
    "tender_detail": _("Console acheteur : page d'un marché"),
    "evaluation_ranking": _("Console acheteur : classement des offres"),
}
AUDIT = {
    "tool": "axe-core 4.14.1",
    "standard": "WCAG 2.1 AA",
    "date": dt.date(2026, 12, 2),
    "serious": 0,
    "critical": 0,
}


def _landlord() -> dict:
    return {
        "name": settings.LANDLORD_NAME,
        "address_lines": [line for line in settings.LANDLORD_ADDRESS.splitlines() if line.strip()],
        "siren": settings.LANDLORD_SIREN,
        "email": settings.LANDLORD_EMAIL,
        "phone": settings.LANDLORD_PHONE,
        "director": settings.LANDLORD_PUBLICATION_DIRECTOR,
        "dpo_email": settings.LANDLORD_DPO_EMAIL,
        "host": settings.LANDLORD_HOST,
    }


def _page(template: str, **extra):
    @require_GET
    def view(request):
        return render(request, f"legal/{template}.html", {"landlord": _landlord(), **extra})

    view.__name__ = template.replace("-", "_")
    return view


accessibility = _page("accessibilite", audited_pages=list(AUDITED_PAGES.values()), audit=AUDIT)
legal_notice = _page("mentions_legales")
privacy = _page("donnees_personnelles")
terms = _page("cgu")
contact = _page("contact")

@require_GET
def favicon(request):
    """Browsers that ask for /favicon.ico get the platform's icon."""
    return redirect(static("favicon.svg"), permanent=True)


urlpatterns = [
    path("accessibilite/", accessibility, name="accessibility"),
    path("mentions-legales/", legal_notice, name="legal_notice"),
    path("donnees-personnelles/", privacy, name="privacy"),
    path("cgu/", terms, name="terms"),
    path("contact/", contact, name="contact"),
    path("favicon.ico", favicon, name="favicon"),
]
