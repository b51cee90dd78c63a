"""Panel helpers: score steps, the spread between evaluators, the SHA-256 of a submitted sheet."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest
from django.utils import translation

from tenders.evaluation.panel import (
    PanelScore,
    SheetLine,
    clean_consensus_score,
    clean_evaluator_score,
    sheet_canonical_json,
    sheet_sha256,
    spreads,
)

D = Decimal


@pytest.mark.parametrize(("value", "score"), [
    ("7.5", D("7.5")), (D("7.5"), D("7.5")), (7.5, D("7.5")), (0, D("0")), ("10", D("10")), ("7.50", D("7.50")),
])
def test_evaluator_scores_accepted(value, score):
    assert clean_evaluator_score(value) == (score, [])


@pytest.mark.parametrize(("value", "message"), [
    ("10.5", "La note doit être comprise entre 0 et 10."),
    (D("-0.5"), "La note doit être comprise entre 0 et 10."),
    ("7.25", "La note se donne par demi-point (par exemple 7 ou 7.5)."),
    (7.25, "La note se donne par demi-point (par exemple 7 ou 7.5)."),
    ("sept", "Nombre attendu entre 0 et 10 (par exemple 7.5)."),
    ("NaN", "Nombre attendu entre 0 et 10 (par exemple 7.5)."),
    (True, "Nombre attendu entre 0 et 10 (par exemple 7.5)."),
    (None, "Ce champ est obligatoire."),
])
def test_evaluator_scores_refused(value, message):
    with translation.override("fr"):
        score, errors = clean_evaluator_score(value)
        assert score is None
        assert [str(e) for e in errors] == [message]


def test_consensus_scores():
    assert clean_consensus_score("7.25") == (D("7.25"), [])  # no half-point step for the consensus
    assert clean_consensus_score("0") == (D("0"), [])
    with translation.override("fr"):
        assert [str(e) for e in clean_consensus_score("10.01")[1]] == ["La note doit être comprise entre 0 et 10."]
        assert [str(e) for e in clean_consensus_score("7.333")[1]] == ["La note de consensus a au plus deux décimales."]


def test_spread_per_bid_and_criterion():
    scores = [
        PanelScore("alice", "A", "technique", D("8")),
        PanelScore("bruno", "A", "technique", D("4.5")),
        PanelScore("chloe", "A", "technique", D("6")),
        PanelScore("alice", "A", "environnement", D("7")),
        PanelScore("bruno", "A", "environnement", D("4")),
        PanelScore("alice", "B", "technique", D("5")),
        PanelScore("bruno", "B", "technique", D("5")),
    ]
    technique_a, environnement_a, technique_b = spreads(scores)
    # A × technique: 8, 4.5, 6 → min 4.5, max 8, spread 3.5 > 3 → flagged
    assert technique_a.scores == (("alice", D("8")), ("bruno", D("4.5")), ("chloe", D("6")))
    assert (technique_a.minimum, technique_a.maximum, technique_a.spread, technique_a.flagged) == (
        D("4.5"), D("8"), D("3.5"), True)
    # A × environnement: 7, 4 → spread exactly 3 → not flagged (above 3 only)
    assert (environnement_a.spread, environnement_a.flagged) == (D("3"), False)
    # B × technique: 5, 5 → spread 0
    assert (technique_b.bid_id, technique_b.criterion, technique_b.spread, technique_b.flagged) == (
        "B", "technique", D("0"), False)


SHEET = [
    SheetLine("bid-2", "technique", D("7.5"), "Méthodologie claire"),
    SheetLine("bid-1", "technique", D("8"), ""),
    SheetLine("bid-1", "environnement", D("6.50"), "Peu de matériaux biosourcés"),
]


def test_sheet_canonical_json_is_sorted_with_decimals_as_strings():
    canonical = sheet_canonical_json(tender_id=12, evaluator_id=7, lines=SHEET)
    assert canonical == (
        '{"evaluator":"7","scores":['
        '{"bid":"bid-1","comment":"Peu de matériaux biosourcés","criterion":"environnement","score":"6.5"},'
        '{"bid":"bid-1","comment":"","criterion":"technique","score":"8"},'
        '{"bid":"bid-2","comment":"Méthodologie claire","criterion":"technique","score":"7.5"}'
        '],"tender":"12"}'
    )
    assert sheet_sha256(tender_id=12, evaluator_id=7, lines=SHEET) == hashlib.sha256(canonical.encode()).hexdigest()


def test_sheet_sha256_is_stable_across_orderings_and_spellings():
    digest = sheet_sha256(tender_id=12, evaluator_id=7, lines=SHEET)
    assert sheet_sha256(tender_id=12, evaluator_id=7, lines=list(reversed(SHEET))) == digest
    respelled = [SheetLine(line.bid_id, line.criterion, line.score.quantize(D("0.00")), line.comment) for line in SHEET]
    assert sheet_sha256(tender_id=12, evaluator_id=7, lines=respelled) == digest  # 8.00 is 8


def test_sheet_sha256_changes_with_half_a_point_or_a_comment():
    digest = sheet_sha256(tender_id=12, evaluator_id=7, lines=SHEET)
    changed = [SHEET[0], SheetLine("bid-1", "technique", D("8.5"), ""), SHEET[2]]
    assert sheet_sha256(tender_id=12, evaluator_id=7, lines=changed) != digest
    recommented = [SHEET[0], SHEET[1], SheetLine("bid-1", "environnement", D("6.5"), "Bon")]
    assert sheet_sha256(tender_id=12, evaluator_id=7, lines=recommented) != digest
    assert sheet_sha256(tender_id=12, evaluator_id=8, lines=SHEET) != digest  # another evaluator's sheet


def test_a_sheet_holds_one_score_per_pair():
    with pytest.raises(ValueError):
        sheet_canonical_json(tender_id=1, evaluator_id=1, lines=[*SHEET, SheetLine("bid-1", "technique", D("2"))])
