"""Abnormally-low detection: each method on a hand-computed example, its boundary, the unit-rate lines."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from django.utils import translation

from tenders.evaluation.anomalies import (
    DEFAULT_THRESHOLDS,
    ESTIMATE_GAP,
    MEAN_GAP,
    MEAN_SIGMA,
    REDUCED_MEAN,
    DetectionSetting,
    OpenedBid,
    detect,
    detect_mean_gap,
    detect_mean_sigma,
    detect_reduced_mean,
    median,
    validate_detection_setting,
)
from tenders.evaluation.arithmetic import display

D = Decimal


def bids(**totals):
    return [OpenedBid(bid_id=name, total_price=D(total)) for name, total in totals.items()]


def suspected(results):
    return sorted(bid for bid, result in results.items() if result.suspected)


# --- mean_gap: total ≤ (1 − t) × mean of the other bids ----------------------------------------------------


def test_mean_gap_worked_example():
    # t = 0.20 (default).
    # A: others (100 000 + 100 000 + 120 000) / 3 = 320 000 / 3 = 106 666.67; 0.8 × that = 85 333.33
    #    80 000 ≤ 85 333.33 → suspected; gap = 80 000 / (320 000 / 3) − 1 = 0.75 − 1 = −0.25
    # B: others (80 000 + 100 000 + 120 000) / 3 = 100 000; 0.8 × 100 000 = 80 000; 100 000 → no, gap 0
    # D: others (80 000 + 100 000 + 100 000) / 3 = 93 333.33; 120 000 → no
    results = detect_mean_gap(bids(A="80000", B="100000", C="100000", D="120000"))
    assert suspected(results) == ["A"]
    a = results["A"]
    assert a.reference == Fraction(320000, 3)
    assert a.threshold_amount == Fraction(256000, 3)
    assert display(a.threshold_amount) == D("85333.33")
    assert a.gap == Fraction(-1, 4)
    assert (results["B"].reference, results["B"].threshold_amount, results["B"].gap) == (100000, 80000, 0)


def test_mean_gap_boundary_is_inclusive():
    # A: others (100 000 + 100 000) / 2 = 100 000; 0.8 × 100 000 = 80 000; A at exactly 80 000 → suspected (≤).
    assert suspected(detect_mean_gap(bids(A="80000.00", B="100000", C="100000"))) == ["A"]
    # One cent above: 80 000.01 > 80 000 → not suspected.
    assert suspected(detect_mean_gap(bids(A="80000.01", B="100000", C="100000"))) == []


def test_mean_gap_boundary_is_exact_with_thirds():
    # t = 0.25. For A, B and C: others = (100 + 100 + 200) / 3 = 400 / 3 = 133.33…; 0.75 × 400 / 3 = 100 exactly,
    # so each bid of 100 is at the threshold and suspected (a rounded 133.33… × 0.75 would give 99.99…).
    # D: others = (100 + 100 + 100) / 3 = 100; 0.75 × 100 = 75; 200 → no.
    results = detect_mean_gap(bids(A="100", B="100", C="100", D="200"), threshold=D("0.25"))
    assert results["A"].threshold_amount == 100
    assert suspected(results) == ["A", "B", "C"]


def test_mean_gap_never_suspects_a_single_bid():
    report = detect(bids(A="1"), setting=DetectionSetting(MEAN_GAP, D("0.20")), estimate=D("100000"))
    [only] = report.bids
    assert only.suspected is False
    assert (only.method.reference, only.method.threshold_amount, only.gap_to_mean) == (None, None, None)
    assert only.gap_to_estimate == Fraction(1, 100000) - 1


# --- reduced_mean: M1, M2 = mean of bids ≤ 1.2 × M1, total < 0.9 × M2 --------------------------------------


def test_reduced_mean_worked_example_and_boundary():
    # M1 = (90 000 + 100 000 + 100 000 + 110 000 + 200 000) / 5 = 600 000 / 5 = 120 000; 1.2 × M1 = 144 000
    # kept for M2: every bid but E (200 000 > 144 000); M2 = 400 000 / 4 = 100 000; 0.9 × M2 = 90 000
    # A at exactly 90 000: 90 000 < 90 000 is false → not suspected (strict <).
    report = detect(bids(A="90000", B="100000", C="100000", D="110000", E="200000"),
                    setting=DetectionSetting(REDUCED_MEAN, None))
    assert (report.mean, report.reduced_mean, report.reduced_mean_bids) == (120000, 100000, ("A", "B", "C", "D"))
    assert report.threshold == D("0.10")
    assert report.inclusive is False
    a = report.bids[0]
    assert (a.method.reference, a.method.threshold_amount, a.method.gap) == (100000, 90000, Fraction(-1, 10))
    assert [b.bid_id for b in report.bids if b.suspected] == []


def test_reduced_mean_one_cent_below():
    # M1 = 599 999.99 / 5 = 119 999.998; 1.2 × M1 = 143 999.9976 → E (200 000) still left out
    # M2 = (89 999.99 + 100 000 + 100 000 + 110 000) / 4 = 399 999.99 / 4 = 99 999.9975
    # 0.9 × M2 = 89 999.99775; 89 999.99 < 89 999.99775 → suspected
    results = detect_reduced_mean(bids(A="89999.99", B="100000", C="100000", D="110000", E="200000"))
    assert results["A"].threshold_amount == Fraction(D("89999.99775"))
    assert suspected(results) == ["A"]


def test_reduced_mean_keeps_a_bid_exactly_at_1_2_m1():
    # M1 = (60 000 + 120 000 + 120 000) / 3 = 100 000; 1.2 × M1 = 120 000: both 120 000 bids are kept (≤).
    # M2 = 300 000 / 3 = 100 000; 0.9 × M2 = 90 000; 60 000 < 90 000 → suspected.
    report = detect(bids(A="60000", B="120000", C="120000"), setting=DetectionSetting(REDUCED_MEAN, None))
    assert report.reduced_mean_bids == ("A", "B", "C")
    assert report.reduced_mean == 100000
    assert [b.bid_id for b in report.bids if b.suspected] == ["A"]


# --- mean_sigma: total < mean − σ (population σ) -------------------------------------------------------------


def test_mean_sigma_uses_the_population_standard_deviation():
    # mean = (70 + 100 + 130) / 3 = 100
    # population σ² = ((−30)² + 0² + 30²) / 3 = 1 800 / 3 = 600; σ = √600 = 24.4948…; mean − σ = 75.505…
    # 70 < 75.505… → suspected. (With the sample σ, √(1 800 / 2) = 30, the threshold would be 70 exactly,
    # and 70 would not be suspected.)
    report = detect(bids(A="70", B="100", C="130"), setting=DetectionSetting(MEAN_SIGMA, None))
    assert report.mean == 100
    assert report.variance == 600
    assert display(report.sigma) == D("24.49")
    assert report.threshold is None
    a = report.bids[0]
    assert display(a.method.threshold_amount) == D("75.51")
    assert a.method.gap == Fraction(-3, 10)
    assert [b.bid_id for b in report.bids if b.suspected] == ["A"]


def test_mean_sigma_boundary_is_strict():
    # mean = (90 + 90 + 110 + 110) / 4 = 100; σ² = (4 × 10²) / 4 = 100; σ = 10; mean − σ = 90
    # 90 < 90 is false → neither 90 is suspected.
    results = detect_mean_sigma(bids(A="90", B="90", C="110", D="110"))
    assert results["A"].threshold_amount == 90
    assert suspected(results) == []
    # Two bids are never suspected: σ = |a − b| / 2, so the lower one sits exactly at mean − σ.
    assert suspected(detect_mean_sigma(bids(A="80000", B="120000"))) == []


# --- estimate_gap: total ≤ (1 − t) × estimate, with the gaps to the mean and to the estimate ---------------


def test_estimate_gap_worked_example_and_boundary():
    # estimate 100 000, t = 0.30: 0.7 × 100 000 = 70 000
    # A at exactly 70 000 → suspected (≤); B 70 000.01 → not; C 95 000 → not.
    report = detect(bids(A="70000", B="70000.01", C="95000"), setting=DetectionSetting(ESTIMATE_GAP, None),
                    estimate=D("100000"))
    assert report.threshold == D("0.30")
    assert report.inclusive is True
    a, b, c = report.bids
    assert (a.method.reference, a.method.threshold_amount) == (100000, 70000)
    assert [x.bid_id for x in report.bids if x.suspected] == ["A"]
    # never the only reference: the gap to the estimate and to the mean of the other bids are there too
    assert a.gap_to_estimate == Fraction(-3, 10)
    # A: others (70 000.01 + 95 000) / 2 = 82 500.005; gap = 70 000 / 82 500.005 − 1 = −0.1515… (−15.15 %)
    assert a.gap_to_mean == Fraction(70000) / Fraction(D("82500.005")) - 1
    assert display(a.gap_to_mean * 100) == D("-15.15")
    assert c.gap_to_estimate == Fraction(-1, 20)


@pytest.mark.parametrize("method", [MEAN_GAP, REDUCED_MEAN, MEAN_SIGMA, ESTIMATE_GAP])
def test_every_method_reports_both_gaps_for_every_bid(method):
    # C: others (80 000 + 100 000) / 2 = 90 000 → gap 120 000 / 90 000 − 1 = 1/3; to the estimate: +0.2.
    report = detect(bids(A="80000", B="100000", C="120000"), setting=DetectionSetting(method, None),
                    estimate=D("100000"))
    assert report.method == method
    assert [(b.gap_to_mean, b.gap_to_estimate) for b in report.bids] == [
        (Fraction(80000, 110000) - 1, Fraction(-1, 5)),
        (Fraction(0), Fraction(0)),
        (Fraction(1, 3), Fraction(1, 5)),
    ]


def test_estimate_gap_needs_an_estimate():
    with pytest.raises(ValueError):
        detect(bids(A="1", B="2"), setting=DetectionSetting(ESTIMATE_GAP, None))


# --- unit-rate lines: ≤ 50 % of the median of the OTHER bids for the same line -----------------------------


def test_median_odd_and_even():
    assert median([D("30"), D("20"), D("24")]) == 24  # 20, 24, 30 → the middle one
    assert median([D("10"), D("14")]) == 12  # (10 + 14) / 2
    assert median([D("4"), D("10"), D("10"), D("4")]) == 7  # 4, 4, 10, 10 → (4 + 10) / 2


def test_low_unit_rate_lines_whatever_the_total():
    def bid(name, **lines):
        return OpenedBid(bid_id=name, total_price=D("100000"), lines={k: D(v) for k, v in lines.items()})

    opened = [
        bid("A", L1="10", L2="5", L3="6", L4="4", L5="1"),
        bid("B", L1="30", L2="10", L3="12", L4="10"),
        bid("C", L1="20", L2="14", L3="12", L4="10"),
        bid("D", L1="24", L4="4"),
    ]
    report = detect(opened, estimate=D("100000"))
    # Equal totals: nobody is suspected by the mean gap, yet lines are listed.
    assert [b.bid_id for b in report.bids if b.suspected] == []
    a, b, c, d = report.bids
    assert [(f.ref, f.unit_price, f.median, f.gap, f.compared_with) for f in a.lines] == [
        # L1: others 30, 20, 24 → median 24 (odd count); 50 % = 12; 10 ≤ 12; gap (10 − 24) / 24 = −7/12
        ("L1", D("10"), 24, Fraction(-7, 12), 3),
        # L2: others 10, 14 (D did not price it) → median (10 + 14) / 2 = 12 (even count); 5 ≤ 6; gap −7/12
        ("L2", D("5"), 12, Fraction(-7, 12), 2),
        # L3: others 12, 12 → median 12; 6 ≤ 6 exactly (the boundary is inclusive); gap −1/2
        ("L3", D("6"), 12, Fraction(-1, 2), 2),
        # L4: others B 10, C 10, D 4 → median 10; 4 ≤ 5; gap −3/5. With A's own 4 counted, the median of
        # 4, 4, 10, 10 would be 7 and 4 > 3.5 would hide it: only the OTHER bids count.
        ("L4", D("4"), 10, Fraction(-3, 5), 3),
        # L5: nobody else priced it → not listed
    ]
    # D's L4: others A 4, B 10, C 10 → median 10; 4 ≤ 5 → listed too.
    assert [(f.ref, f.median, f.gap) for f in d.lines] == [("L4", 10, Fraction(-3, 5))]
    # B's L2: others 5, 14 → median 9.5; 10 > 4.75. C's L4: others 4, 10, 4 → median 4; 10 > 2.
    assert b.lines == () and c.lines == ()


def test_a_line_one_cent_above_half_the_median_is_not_listed():
    opened = [OpenedBid("A", D("1"), {"L3": D("6.01")}), OpenedBid("B", D("1"), {"L3": D("12")}),
              OpenedBid("C", D("1"), {"L3": D("12")})]
    assert detect(opened).bids[0].lines == ()


# --- the tender's setting ------------------------------------------------------------------------------------


def test_defaults_table():
    expected = {MEAN_GAP: D("0.20"), REDUCED_MEAN: D("0.10"), MEAN_SIGMA: None, ESTIMATE_GAP: D("0.30")}
    assert dict(DEFAULT_THRESHOLDS) == expected


@pytest.mark.parametrize(("value", "setting"), [
    (None, DetectionSetting(MEAN_GAP, D("0.20"))),
    ({"method": "mean_gap"}, DetectionSetting(MEAN_GAP, D("0.20"))),
    ({"method": "mean_gap", "threshold": 0.4}, DetectionSetting(MEAN_GAP, D("0.4"))),
    ({"method": "reduced_mean"}, DetectionSetting(REDUCED_MEAN, D("0.10"))),
    ({"method": "mean_sigma", "threshold": None}, DetectionSetting(MEAN_SIGMA, None)),
    ({"method": "estimate_gap", "threshold": "0.25"}, DetectionSetting(ESTIMATE_GAP, D("0.25"))),
])
def test_valid_settings(value, setting):
    assert validate_detection_setting(value) == (setting, {})


@pytest.mark.parametrize(("value", "errors"), [
    ("mean_gap", {"abnormally_low": ["Objet attendu : {method, threshold}."]}),
    ({}, {"abnormally_low.method": ["Ce champ est obligatoire."]}),
    ({"method": "median"}, {"abnormally_low.method": [
        "Méthode inconnue. Méthodes possibles : mean_gap (écart à la moyenne des autres offres), "
        "reduced_mean (moyenne réduite), mean_sigma (moyenne moins un écart type), "
        "estimate_gap (écart à l'estimation)."]}),
    ({"method": "mean_gap", "threshold": 0}, {"abnormally_low.threshold": [
        "Le seuil doit être strictement compris entre 0 et 1 (par exemple 0.20 pour 20 %)."]}),
    ({"method": "mean_gap", "threshold": 1}, {"abnormally_low.threshold": [
        "Le seuil doit être strictement compris entre 0 et 1 (par exemple 0.20 pour 20 %)."]}),
    ({"method": "estimate_gap", "threshold": "-0.1"}, {"abnormally_low.threshold": [
        "Le seuil doit être strictement compris entre 0 et 1 (par exemple 0.20 pour 20 %)."]}),
    ({"method": "mean_gap", "threshold": "vingt"}, {"abnormally_low.threshold": [
        "Nombre décimal attendu (par exemple 0.20)."]}),
    ({"method": "mean_gap", "threshold": True}, {"abnormally_low.threshold": [
        "Nombre décimal attendu (par exemple 0.20)."]}),
    ({"method": "mean_sigma", "threshold": 0.2}, {"abnormally_low.threshold": [
        "La méthode mean_sigma n'a pas de seuil : la référence est la moyenne moins un écart type."]}),
    ({"method": "mean_gap", "seuil": 0.2}, {"abnormally_low": [
        "Champ inconnu : seuil (seuls « method » et « threshold » sont acceptés)."]}),
])
def test_invalid_settings_are_explained_in_french(value, errors):
    with translation.override("fr"):
        setting, found = validate_detection_setting(value)
        assert setting is None
        assert {key: [str(m) for m in msgs] for key, msgs in found.items()} == errors


def test_estimate_gap_refused_without_an_estimate():
    with translation.override("fr"):
        setting, errors = validate_detection_setting({"method": "estimate_gap"}, has_estimate=False)
        assert setting is None
        assert [str(m) for m in errors["abnormally_low.method"]] == [
            "La méthode estimate_gap demande l'estimation de l'acheteur (montant estimé)."]
