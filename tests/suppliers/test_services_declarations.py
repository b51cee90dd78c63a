"""Declarations on honour: sworn, complete, versioned (every version kept)."""

import pytest

from procurement.errors import NotAllowed, ValidationFailed
from suppliers.models import EXCLUSION_GROUNDS, Declaration
from suppliers.services import declaration_submit
from tests.factories import CompanyFactory, DeclarationFactory, UserFactory, all_grounds_false, company_owner

pytestmark = pytest.mark.django_db


def submit(company, **extra):
    kwargs = {"actor": company_owner(company), "company": company, "exclusion_grounds": all_grounds_false(),
              "capacities": {}, "sworn": True, "signatory": "Jean Dupont"}
    kwargs.update(extra)
    return declaration_submit(**kwargs)


def test_each_submission_is_a_new_sworn_version_and_old_ones_are_kept():
    company = CompanyFactory()
    first = submit(company)
    second = submit(company, exclusion_grounds={**all_grounds_false(), "bankruptcy": True})

    assert (first.version, second.version) == (1, 2)
    versions = list(Declaration.objects.filter(company=company).order_by("version"))
    assert [d.version for d in versions] == [1, 2]
    assert all(d.sworn for d in versions)
    assert versions[0].exclusion_grounds == all_grounds_false()  # version 1 untouched
    assert versions[1].grounds_that_apply == ["bankruptcy"]


def test_unsworn_declaration_is_refused():
    company = CompanyFactory()
    with pytest.raises(ValidationFailed) as exc:
        submit(company, sworn=False)
    assert "sworn" in exc.value.errors
    assert not Declaration.objects.exists()


def test_every_exclusion_ground_needs_an_answer():
    company = CompanyFactory()
    grounds = all_grounds_false()
    grounds.pop("corruption")
    with pytest.raises(ValidationFailed) as exc:
        submit(company, exclusion_grounds=grounds)
    assert any("corruption" in m for m in exc.value.errors["exclusion_grounds"])


def test_unknown_ground_and_non_boolean_answer_are_refused():
    company = CompanyFactory()
    with pytest.raises(ValidationFailed) as exc:
        submit(company, exclusion_grounds={**all_grounds_false(), "made-up": False, "fraud": "non"})
    messages = " ".join(exc.value.errors["exclusion_grounds"])
    assert "made-up" in messages and "fraud" in messages


def test_signatory_is_required():
    with pytest.raises(ValidationFailed) as exc:
        submit(CompanyFactory(), signatory=" ")
    assert "signatory" in exc.value.errors


def test_only_members_may_declare():
    company = CompanyFactory()
    with pytest.raises(NotAllowed):
        submit(company, actor=UserFactory())


def test_declared_turnovers_update_the_company():
    company = CompanyFactory(turnovers=[])
    DeclarationFactory(company=company, capacities={"turnovers": [{"year": 2024, "amount": "1800000"}]})
    company.refresh_from_db()
    assert company.turnovers == [{"year": 2024, "amount": "1800000.00"}]
    assert len(EXCLUSION_GROUNDS) == len(Declaration.objects.get(company=company).exclusion_grounds)
