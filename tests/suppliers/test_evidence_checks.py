"""The winner's evidence checklist (suppliers.evidence_checks): one rule per kind, each edge on its day."""

from __future__ import annotations

import datetime as dt

import pytest

from procurement import calendar
from procurement.models import EvidenceKind, Trade
from suppliers import evidence_checks as checks
from suppliers.models import EvidenceDocument

TODAY = dt.date(2027, 5, 20)
ITE = Trade.EXTERNAL_WALL_INSULATION
K = EvidenceKind


def doc(kind, *, issued_on=TODAY - dt.timedelta(days=10), valid_until=TODAY + dt.timedelta(days=365),
        activities=None) -> EvidenceDocument:
    insurance = kind in (K.LIABILITY_INSURANCE, K.DECENNIAL_INSURANCE)
    return EvidenceDocument(kind=kind, issued_on=issued_on, valid_until=valid_until,
                            activities=activities if activities is not None else ([ITE] if insurance else []))


def complete(**replace):
    """Every kind valid, except the kinds given (a document, or None for none)."""
    documents = []
    for kind in checks.WINNER_KINDS:
        if kind in replace:
            if replace[kind] is not None:
                documents.append(replace[kind])
        else:
            documents.append(doc(kind))
    return documents


def statuses(documents, works_start=None) -> dict:
    found = checks.winner_evidence(None, trade=ITE, today=TODAY, works_start=works_start, documents=documents)
    return {c.kind: c.status for c in found}


def test_a_complete_file_is_valid_on_every_kind():
    assert set(statuses(complete()).values()) == {"valid"}


@pytest.mark.parametrize("kind", checks.WINNER_KINDS)
def test_each_kind_is_missing_without_its_document(kind):
    found = statuses(complete(**{kind: None}))
    assert found[kind] == "missing"
    assert [k for k, status in found.items() if status != "valid"] == [kind]


def test_kbis_issued_3_months_minus_a_day_ago_is_valid_and_3_months_plus_a_day_too_old():
    three_months = calendar.add_months(TODAY, -3)
    assert statuses(complete(kbis=doc(K.KBIS, issued_on=three_months + dt.timedelta(days=1))))["kbis"] == "valid"
    assert statuses(complete(kbis=doc(K.KBIS, issued_on=three_months - dt.timedelta(days=1))))["kbis"] == "too_old"


def test_urssaf_vigilance_must_be_issued_under_6_months():
    six = calendar.add_months(TODAY, -6)
    fresh = doc(K.URSSAF_VIGILANCE, issued_on=six + dt.timedelta(days=1))
    stale = doc(K.URSSAF_VIGILANCE, issued_on=six - dt.timedelta(days=1))
    assert statuses(complete(urssaf_vigilance=fresh))["urssaf_vigilance"] == "valid"
    assert statuses(complete(urssaf_vigilance=stale))["urssaf_vigilance"] == "too_old"


def test_an_expired_tax_certificate_is_expired():
    expired = doc(K.TAX_CERTIFICATE, valid_until=TODAY - dt.timedelta(days=1))
    assert statuses(complete(tax_certificate=expired))["tax_certificate"] == "expired"


def test_a_document_expiring_before_the_works_start_is_expired():
    liability = doc(K.LIABILITY_INSURANCE, valid_until=TODAY + dt.timedelta(days=5))
    assert statuses(complete(liability_insurance=liability))["liability_insurance"] == "valid"
    found = statuses(complete(liability_insurance=liability), works_start=TODAY + dt.timedelta(days=11))
    assert found["liability_insurance"] == "expired"


@pytest.mark.parametrize("kind", [K.DECENNIAL_INSURANCE, K.LIABILITY_INSURANCE])
def test_an_insurance_whose_activities_miss_the_trade_is_not_matching(kind):
    wrong = doc(kind, activities=[Trade.WINDOWS, Trade.HEATING])
    found = checks.winner_evidence(None, trade=ITE, today=TODAY, documents=complete(**{kind: wrong}))
    [check] = [c for c in found if c.kind == kind]
    assert check.status == "not_matching"
    assert "Isolation thermique par l'extérieur" in check.detail


def test_a_valid_document_is_enough_among_older_ones():
    old = doc(K.KBIS, issued_on=TODAY - dt.timedelta(days=200))
    new = doc(K.KBIS, issued_on=TODAY - dt.timedelta(days=3))
    assert statuses(complete(kbis=None) + [old, new])["kbis"] == "valid"
    assert statuses(complete(kbis=None) + [old])["kbis"] == "too_old"


def test_problems_are_keyed_by_kind():
    problems = checks.evidence_problems(checks.winner_evidence(
        None, trade=ITE, today=TODAY, documents=complete(kbis=None, decennial_insurance=None)))
    assert set(problems) == {"kbis", "decennial_insurance"}
    assert all(len(messages) == 1 for messages in problems.values())
