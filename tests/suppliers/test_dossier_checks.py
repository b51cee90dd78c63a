"""One rule for "dossier complet": the portal (before and while applying) and the console's review show the checks
of ``suppliers.evidence_checks.dossier_checks``, the category's minimum turnover included."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from procurement.models import EvidenceKind
from suppliers import evidence_checks
from suppliers.models import Company
from suppliers.services import application_request_info, evidence_upload
from tests.factories import (
    CategoryFactory,
    DPSFactory,
    company_owner,
    pdf_file,
    ready_company,
    submitted_application,
)

pytestmark = pytest.mark.django_db

YEAR = timezone.localdate().year


def text(response) -> str:
    """The page as text: no tags, spaces (non-breaking ones included) made plain."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", html.unescape(strip_tags(response.content.decode())))


@pytest.fixture
def dps(buyer):
    dps = DPSFactory(actor=buyer, published=True)
    dps.categories.update(code="ITE-59", min_turnover=Decimal("200000"))
    CategoryFactory(dps=dps, actor=buyer, code="ITE-60", territories=["60"], min_turnover=Decimal("100000"))
    return dps


def low_turnover_company(categories):
    """A company with every document and a sworn declaration; its most recent turnover is below 200 000 €, an
    older one above (the most recent counts)."""
    company, user = ready_company(categories)
    Company.objects.filter(pk=company.pk).update(
        turnovers=[{"year": YEAR - 1, "amount": "150000.00"}, {"year": YEAR - 2, "amount": "900000.00"}]
    )
    company.refresh_from_db()
    return company, user


def test_the_apply_page_shows_the_turnover_requirement_per_category_before_applying(client, dps):
    company, user = low_turnover_company(list(dps.categories.all()))
    client.force_login(user)

    response = client.get(reverse("portal:apply", args=[dps.id]) + f"?company={company.id}")
    assert response.status_code == 200 and response.context["current"] is None
    page = text(response)
    assert "Chiffre d'affaires minimum : 200 000 €" in page
    assert f"le vôtre ({YEAR - 1}) : 150 000 € ✗ insuffisant" in page
    assert "Chiffre d'affaires minimum : 100 000 €" in page
    assert f"le vôtre ({YEAR - 1}) : 150 000 € ✓ atteint" in page
    rows = {row["category"].code: row["dossier"] for row in response.context["rows"]}
    assert not rows["ITE-59"].complete and rows["ITE-60"].complete
    assert page.count("Dossier complet") == 1  # ITE-60 only


def test_a_turnover_below_the_minimum_does_not_block_the_submission(dps):
    """The buyer judges (other proof of capacity may be accepted): the dossier is incomplete, not refused."""
    categories = list(dps.categories.all())
    company, user = low_turnover_company(categories)
    application = submitted_application(dps=dps, categories=categories, company=company, user=user)
    assert application.status == "submitted"
    dossier = evidence_checks.dossier_checks(company, categories)
    assert dossier.missing_items() == {}
    assert [d.complete for d in dossier.categories] == [False, True]


def _supersede_with_expired(company, kind):
    evidence_upload(
        actor=company_owner(company),
        company=company,
        kind=kind,
        uploaded_file=pdf_file(),
        issued_on=timezone.localdate() - dt.timedelta(days=400),
        valid_until=timezone.localdate() - dt.timedelta(days=1),
        confirm_expired=True,
    )


SCENARIOS = {
    "turnover below one minimum": lambda company: None,
    "no turnover declared": lambda company: Company.objects.filter(pk=company.pk).update(turnovers=[]),
    "a required document replaced by an expired one": lambda company: _supersede_with_expired(
        company, EvidenceKind.KBIS
    ),
    "turnover above both minimums": lambda company: Company.objects.filter(pk=company.pk).update(
        turnovers=[{"year": YEAR - 1, "amount": "750000.00"}]
    ),
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_portal_and_the_console_agree_on_each_category(scenario, dps, buyer):
    """The application is back with the company (information requested): the portal shows its dossier, the buyer
    reviews it. For each category, both say the same: complete or not, and the same turnover verdict."""
    categories = list(dps.categories.order_by("code"))
    company, user = low_turnover_company(categories)
    application = submitted_application(dps=dps, categories=categories, company=company, user=user)
    application_request_info(actor=buyer, application=application, message="Merci de compléter.")
    SCENARIOS[scenario](company)

    supplier = Client()
    supplier.force_login(user)
    portal = supplier.get(reverse("portal:application", args=[application.id]))
    apply = supplier.get(reverse("portal:apply", args=[dps.id]) + f"?company={company.id}")
    staff = Client()
    staff.force_login(buyer)
    console = staff.get(reverse("console:application_review", args=[application.id]))
    assert portal.status_code == apply.status_code == console.status_code == 200

    def verdicts(dossiers):
        return {d.category.code: (d.complete, d.turnover.ok, tuple(d.missing)) for d in dossiers}

    seen_by_console = verdicts(console.context["dossier"].categories)
    assert verdicts(row["dossier"] for row in portal.context["rows"]) == seen_by_console
    assert verdicts(row["dossier"] for row in apply.context["rows"]) == seen_by_console
    complete = sum(complete for complete, _ok, _missing in seen_by_console.values())
    assert text(portal).count("Dossier complet") == text(apply).count("Dossier complet") == complete
    assert text(console).count("Dossier complet") == complete
    assert text(console).count("insuffisant") == sum(not ok for _c, ok, _m in seen_by_console.values())
    if scenario == "turnover below one minimum":
        assert seen_by_console["ITE-59"][:2] == (False, False) and seen_by_console["ITE-60"][0]


def test_the_console_review_states_the_turnover_checked_per_category(client, buyer, dps):
    categories = list(dps.categories.order_by("code"))
    company, user = low_turnover_company(categories)
    application = submitted_application(dps=dps, categories=categories, company=company, user=user)
    client.force_login(buyer)
    page = text(client.get(reverse("console:application_review", args=[application.id])))
    section = page[page.index("Dossier par catégorie") : page.index("Décision par catégorie")]
    assert "ITE-59" in section and "200 000 €" in section and f"{YEAR - 1} : 150 000 €" in section
    assert section.count("insuffisant") == 1 and section.count("atteint") == 1
    assert section.count("Incomplet") == 1 and section.count("Dossier complet") == 1
