"""Price and delay scores, weighted totals: worked examples computed by hand (Nmax = 10)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from tenders.evaluation.arithmetic import display
from tenders.evaluation.pricing import (
    DELAY,
    ENVIRONMENTAL,
    LINEAR,
    PRICE,
    PROPORTIONAL,
    TECHNICAL,
    Criterion,
    MissingScore,
    ScoringBid,
    delay_score,
    price_score,
    score_bids,
    weighted_total,
)

D = Decimal

CRITERIA = [
    Criterion(code="prix", kind=PRICE, weight=40),
    Criterion(code="technique", kind=TECHNICAL, weight=30),
    Criterion(code="environnement", kind=ENVIRONMENTAL, weight=20),
    Criterion(code="delai", kind=DELAY, weight=10),
]


def test_proportional_with_three_bids():
    # Pmin = 80 000.
    # 80 000 → 10 × 80 000 / 80 000 = 10
    # 100 000 → 10 × 80 000 / 100 000 = 8
    # 120 000 → 10 × 80 000 / 120 000 = 20/3 = 6.666… (6.67 shown)
    bounds = {"pmin": D("80000"), "pmax": D("120000"), "method": PROPORTIONAL}
    assert price_score(D("80000"), **bounds) == 10
    assert price_score(D("100000"), **bounds) == 8
    assert price_score(D("120000"), **bounds) == Fraction(20, 3)
    assert display(price_score(D("120000"), **bounds)) == D("6.67")


def test_linear_with_three_bids():
    # Pmin = 80 000, Pmax = 120 000, Pmax − Pmin = 40 000.
    # 80 000 → 10 × (120 000 − 80 000) / 40 000 = 10
    # 90 000 → 10 × (120 000 − 90 000) / 40 000 = 10 × 30 000 / 40 000 = 7.5
    # 120 000 → 10 × 0 / 40 000 = 0
    bounds = {"pmin": D("80000"), "pmax": D("120000"), "method": LINEAR}
    assert price_score(D("80000"), **bounds) == 10
    assert price_score(D("90000"), **bounds) == Fraction(15, 2)
    assert price_score(D("120000"), **bounds) == 0


@pytest.mark.parametrize("method", [PROPORTIONAL, LINEAR])
def test_equal_prices_all_get_ten(method):
    # Proportional: 10 × 95 000 / 95 000 = 10. Linear: Pmax = Pmin, so 10 by rule (no division by zero).
    assert price_score(D("95000.00"), pmin=D("95000.00"), pmax=D("95000.00"), method=method) == 10


@pytest.mark.parametrize("method", [PROPORTIONAL, LINEAR])
def test_a_single_bid_gets_ten(method):
    [only] = score_bids([ScoringBid("a", D("123456.78"), 12, {"technique": D("5"), "environnement": D("5")})],
                        CRITERIA, price_method=method)
    # price 10 and delay 10 (Pmin = Pmax, shortest = longest): 40 + 30 × 5 / 10 + 20 × 5 / 10 + 10 = 75
    assert only.price_score == 10
    assert only.scores["delai"] == 10
    assert only.total == 75


@pytest.mark.parametrize("method", [PROPORTIONAL, LINEAR])
def test_the_lowest_price_gets_the_best_score(method):
    prices = [D("101000"), D("99000.50"), D("150000")]
    scores = {p: price_score(p, pmin=min(prices), pmax=max(prices), method=method) for p in prices}
    assert max(scores, key=scores.get) == D("99000.50")
    assert scores[D("99000.50")] == 10


def test_a_price_outside_the_admissible_bounds_is_a_mistake():
    with pytest.raises(ValueError):
        price_score(D("70000"), pmin=D("80000"), pmax=D("120000"), method=PROPORTIONAL)
    with pytest.raises(ValueError):
        price_score(D("90000"), pmin=D("80000"), pmax=D("120000"), method="cheapest")


def test_delay_score_by_the_price_formula_on_durations():
    # Durations 10, 12, 16 weeks; shorter is better.
    # proportional: 10 × 10 / 10 = 10; 10 × 10 / 12 = 25/3 = 8.33…; 10 × 10 / 16 = 6.25
    # linear: 10 × (16 − 10) / 6 = 10; 10 × (16 − 12) / 6 = 20/3 = 6.66…; 10 × 0 / 6 = 0
    assert delay_score(10, shortest=10, longest=16, method=PROPORTIONAL) == 10
    assert delay_score(12, shortest=10, longest=16, method=PROPORTIONAL) == Fraction(25, 3)
    assert delay_score(16, shortest=10, longest=16, method=PROPORTIONAL) == Fraction(25, 4)
    assert delay_score(10, shortest=10, longest=16, method=LINEAR) == 10
    assert delay_score(12, shortest=10, longest=16, method=LINEAR) == Fraction(20, 3)
    assert delay_score(16, shortest=10, longest=16, method=LINEAR) == 0


def test_weighted_total_with_weights_40_30_20_10_is_exact():
    # price 20/3, technical 7.5, environmental 8, delay 25/3:
    # 40 × 20/3 / 10 = 80/3 = 26.666…
    # 30 × 7.5 / 10 = 22.5
    # 20 × 8 / 10 = 16
    # 10 × 25/3 / 10 = 25/3 = 8.333…
    # total = 80/3 + 25/3 + 22.5 + 16 = 35 + 38.5 = 73.5 exactly (no 73.4999… from rounded thirds)
    scores = {"prix": Fraction(20, 3), "technique": D("7.5"), "environnement": D("8"), "delai": Fraction(25, 3)}
    assert weighted_total(scores, CRITERIA) == Fraction(147, 2)
    assert display(weighted_total(scores, CRITERIA)) == D("73.50")


def test_weighted_total_bounds():
    assert weighted_total({c.code: 10 for c in CRITERIA}, CRITERIA) == 100
    assert weighted_total({c.code: 0 for c in CRITERIA}, CRITERIA) == 0


def test_score_bids_worked_example():
    # Proportional, delay by formula. Pmin = 80 000; shortest = 10 weeks.
    bids = [
        ScoringBid("A", D("80000"), 10, {"technique": D("6"), "environnement": D("7")}),
        ScoringBid("B", D("100000"), 12, {"technique": D("8"), "environnement": D("8")}),
        ScoringBid("C", D("120000"), 16, {"technique": D("9"), "environnement": D("9.5")}),
    ]
    a, b, c = score_bids(bids, CRITERIA, price_method=PROPORTIONAL)
    # A: price 10, delay 10 → 40 + 30 × 6 / 10 + 20 × 7 / 10 + 10 = 40 + 18 + 14 + 10 = 82
    assert a.scores == {"prix": 10, "technique": 6, "environnement": 7, "delai": 10}
    assert a.total == 82
    # B: price 8, delay 25/3 → 32 + 24 + 16 + 25/3 = 72 + 8.333… = 241/3 = 80.333… (80.33 shown)
    assert b.price_score == 8
    assert b.contributions == {"prix": 32, "technique": 24, "environnement": 16, "delai": Fraction(25, 3)}
    assert b.total == Fraction(241, 3)
    assert b.display_total == D("80.33")
    # C: price 20/3, delay 6.25 → 80/3 + 27 + 19 + 6.25 = 52.25 + 26.666… = 947/12 = 78.9166… (78.92 shown)
    assert c.total == Fraction(947, 12)
    assert c.display_total == D("78.92")


def test_delay_judged_by_the_panel_takes_the_consensus_score():
    bids = [
        ScoringBid("A", D("80000"), 10, {"technique": D("6"), "environnement": D("7"), "delai": D("4")}),
        ScoringBid("B", D("100000"), 12, {"technique": D("8"), "environnement": D("8"), "delai": D("9.5")}),
    ]
    a, b = score_bids(bids, CRITERIA, price_method=PROPORTIONAL, delay_by_panel=True)
    assert a.scores["delai"] == 4  # not 10, although A is the shortest
    assert b.scores["delai"] == Fraction(19, 2)


def test_missing_consensus_scores_are_all_named():
    bids = [
        ScoringBid("A", D("80000"), 10, {"technique": D("6")}),
        ScoringBid("B", D("100000"), 12, {"environnement": D("8")}),
    ]
    with pytest.raises(MissingScore) as caught:
        score_bids(bids, CRITERIA, price_method=LINEAR)
    assert caught.value.missing == [("A", "environnement"), ("B", "technique")]


@pytest.mark.parametrize(("value", "shown"), [
    (Fraction(8335, 1000), D("8.34")),   # exactly half: up
    (Fraction(-1, 8), D("-0.13")),       # half away from zero
    (Fraction(20, 3), D("6.67")),
    (Fraction(10), D("10.00")),
    (D("2.675"), D("2.68")),
    (Fraction(-1, 1000), D("0.00")),
])
def test_display_rounds_half_up_to_two_decimals(value, shown):
    assert display(value) == shown
    assert str(display(value)) == str(shown)
