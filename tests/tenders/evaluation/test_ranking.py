"""Ranking by weighted total and the tie-break: each step, and the rule that decided."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import translation

from tenders.evaluation.pricing import DELAY, ENVIRONMENTAL, PRICE, TECHNICAL, Criterion, weighted_total
from tenders.evaluation.ranking import Contender, default_tie_break, rank, validate_tie_break

D = Decimal
CRITERIA = [
    Criterion(code="prix", kind=PRICE, weight=40),
    Criterion(code="technique", kind=TECHNICAL, weight=30),
    Criterion(code="environnement", kind=ENVIRONMENTAL, weight=20),
    Criterion(code="delai", kind=DELAY, weight=10),
]
MORNING = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def contender(bid_id, *, price, prix, technique, environnement, delai, minutes):
    scores = {"prix": prix, "technique": technique, "environnement": environnement, "delai": delai}
    scores = {code: D(str(value)) for code, value in scores.items()}
    return Contender(bid_id=bid_id, total=weighted_total(scores, CRITERIA), scores=scores,
                     total_price=D(price), received_at=MORNING + dt.timedelta(minutes=minutes))


def test_default_rule_is_heaviest_non_price_then_price_then_receipt():
    assert default_tie_break(CRITERIA) == ("technique", "price", "received_at")
    same_weight = [Criterion("p", PRICE, 50), Criterion("env", ENVIRONMENTAL, 25), Criterion("tech", TECHNICAL, 25)]
    assert default_tie_break(same_weight) == ("env", "price", "received_at")  # first of equal weights
    assert default_tie_break([Criterion("p", PRICE, 100)]) == ("price", "received_at")


def test_distinct_totals_need_no_tie_break():
    # A: 40 × 10 + 30 × 5 + 20 × 5 + 10 × 5 → (400 + 150 + 100 + 50) / 10 = 70
    # B: 40 × 8 + 30 × 9 + 20 × 9 + 10 × 9 → (320 + 270 + 180 + 90) / 10 = 86
    a = contender("A", price="80000", prix=10, technique=5, environnement=5, delai=5, minutes=0)
    b = contender("B", price="100000", prix=8, technique=9, environnement=9, delai=9, minutes=5)
    assert (a.total, b.total) == (70, 86)
    ranking = rank([a, b], CRITERIA)
    assert [(r.bid_id, r.rank, r.tied_with, r.decided_by) for r in ranking.bids] == [
        ("B", 1, (), None), ("A", 2, (), None)]
    assert ranking.decisions == ()


def test_heaviest_non_price_criterion_decides_first():
    # A: 40 × 10 / 10 + 30 × 6 / 10 + 20 × 7 / 10 + 10 × 8 / 10 = 40 + 18 + 14 + 8 = 80
    # B: 40 × 8 / 10 + 30 × 8 / 10 + 20 × 7 / 10 + 10 × 10 / 10 = 32 + 24 + 14 + 10 = 80
    # Tied at 80: technical 8 (B) > 6 (A), so B first, although A is cheaper and was received earlier.
    a = contender("A", price="80000", prix=10, technique=6, environnement=7, delai=8, minutes=0)
    b = contender("B", price="100000", prix=8, technique=8, environnement=7, delai=10, minutes=5)
    assert a.total == b.total == 80
    ranking = rank([a, b], CRITERIA)
    assert [(r.bid_id, r.rank, r.tied_with, r.decided_by) for r in ranking.bids] == [
        ("B", 1, ("A",), "technique"), ("A", 2, ("B",), "technique")]
    [decision] = ranking.decisions
    assert (decision.ahead, decision.behind, decision.rule) == ("B", "A", "technique")
    assert (decision.ahead_value, decision.behind_value) == (8, 6)


def test_then_the_lower_price():
    # A: 40 × 10 / 10 + 30 × 7 / 10 + 20 × 6 / 10 + 10 × 8 / 10 = 40 + 21 + 12 + 8 = 81
    # B: 40 × 8 / 10 + 30 × 7 / 10 + 20 × 9 / 10 + 10 × 10 / 10 = 32 + 21 + 18 + 10 = 81
    # Tied at 81, technical 7 = 7; price 80 000 < 100 000: A first, although B was received earlier.
    a = contender("A", price="80000", prix=10, technique=7, environnement=6, delai=8, minutes=5)
    b = contender("B", price="100000", prix=8, technique=7, environnement=9, delai=10, minutes=0)
    assert a.total == b.total == 81
    ranking = rank([b, a], CRITERIA)
    assert [(r.bid_id, r.rank, r.decided_by) for r in ranking.bids] == [("A", 1, "price"), ("B", 2, "price")]
    assert (ranking.decisions[0].ahead_value, ranking.decisions[0].behind_value) == (D("80000"), D("100000"))


def test_then_the_earlier_receipt():
    # Same price (80 000, price score 10), same technical score 7:
    # A: 40 + 21 + 20 × 8 / 10 + 10 × 6 / 10 = 40 + 21 + 16 + 6 = 83
    # B: 40 + 21 + 20 × 7 / 10 + 10 × 8 / 10 = 40 + 21 + 14 + 8 = 83
    # B was received 3 minutes before A: B first.
    a = contender("A", price="80000", prix=10, technique=7, environnement=8, delai=6, minutes=3)
    b = contender("B", price="80000", prix=10, technique=7, environnement=7, delai=8, minutes=0)
    assert a.total == b.total == 83
    ranking = rank([a, b], CRITERIA)
    assert [(r.bid_id, r.rank, r.decided_by) for r in ranking.bids] == [
        ("B", 1, "received_at"), ("A", 2, "received_at")]


def test_a_three_way_tie_says_which_rule_placed_each_bid():
    # All three at 81 (see the examples above): C = 40 × 10 / 10 + 30 × 7 / 10 + 20 × 6 / 10 + 10 × 8 / 10 = 81.
    # A and C: same technical score, same price → receipt (C at 1 min, A at 5 min): C before A.
    # B: technical 7 too, price 100 000 > 80 000 → after both.
    # D is alone at 70 and takes no part in the tie.
    a = contender("A", price="80000", prix=10, technique=7, environnement=6, delai=8, minutes=5)
    b = contender("B", price="100000", prix=8, technique=7, environnement=9, delai=10, minutes=0)
    c = contender("C", price="80000", prix=10, technique=7, environnement=6, delai=8, minutes=1)
    d = contender("D", price="90000", prix=10, technique=5, environnement=5, delai=5, minutes=2)
    ranking = rank([a, b, c, d], CRITERIA)
    assert [(r.bid_id, r.rank, r.tied_with, r.decided_by) for r in ranking.bids] == [
        ("C", 1, ("A", "B"), "received_at"),
        ("A", 2, ("C", "B"), "received_at"),
        ("B", 3, ("C", "A"), "price"),
        ("D", 4, (), None),
    ]
    assert [(t.ahead, t.behind, t.rule) for t in ranking.decisions] == [
        ("C", "A", "received_at"), ("A", "B", "price")]


def test_a_custom_tie_break_list():
    # The pair of test_then_the_lower_price (both at 81), with the tender's rule ["environnement"]:
    # environmental 9 (B) > 6 (A): B first, where the default rule put A first on price.
    a = contender("A", price="80000", prix=10, technique=7, environnement=6, delai=8, minutes=5)
    b = contender("B", price="100000", prix=8, technique=7, environnement=9, delai=10, minutes=0)
    ranking = rank([a, b], CRITERIA, tie_break=["environnement"])
    assert ranking.rules == ("environnement", "received_at")
    assert [(r.bid_id, r.decided_by) for r in ranking.bids] == [("B", "environnement"), ("A", "environnement")]


def test_a_custom_list_does_not_add_the_price_only_the_receipt():
    # Same pair, rule ["technique"]: 7 = 7; the price is not in the tender's rule, so the receipt decides:
    # B (received at 0 min) before A (5 min), although A is cheaper.
    a = contender("A", price="80000", prix=10, technique=7, environnement=6, delai=8, minutes=5)
    b = contender("B", price="100000", prix=8, technique=7, environnement=9, delai=10, minutes=0)
    ranking = rank([a, b], CRITERIA, tie_break=["technique"])
    assert [(r.bid_id, r.decided_by) for r in ranking.bids] == [("B", "received_at"), ("A", "received_at")]
    # And a rule that puts the price first:
    ranking = rank([a, b], CRITERIA, tie_break=["price", "technique"])
    assert ranking.rules == ("price", "technique", "received_at")
    assert [(r.bid_id, r.decided_by) for r in ranking.bids] == [("A", "price"), ("B", "price")]


def test_identical_receipt_times_fall_back_on_the_bid_id():
    a = contender("b-2", price="80000", prix=10, technique=7, environnement=8, delai=6, minutes=0)
    b = contender("b-1", price="80000", prix=10, technique=7, environnement=8, delai=6, minutes=0)
    for order in ([a, b], [b, a]):
        ranking = rank(order, CRITERIA)
        assert [(r.bid_id, r.rank, r.decided_by) for r in ranking.bids] == [("b-1", 1, "bid_id"), ("b-2", 2, "bid_id")]


def test_validate_tie_break():
    assert validate_tie_break(None, CRITERIA) == (None, {})
    assert validate_tie_break(["environnement", "price"], CRITERIA) == (("environnement", "price"), {})
    with translation.override("fr"):
        rules, errors = validate_tie_break(["qualite", "price", "price"], CRITERIA)
        assert rules is None
        assert errors == {
            "tie_break[0]": ["« qualite » n'est ni un critère de la consultation, ni « price », ni « received_at »."],
            "tie_break[2]": ["« price » est utilisé deux fois."],
        }
        ambiguous = [*CRITERIA, Criterion("received_at", TECHNICAL, 0)]
        assert validate_tie_break(["received_at"], ambiguous)[1] == {
            "tie_break[0]": ["« received_at » est ambigu : c'est aussi le code d'un critère qui n'est pas le prix."]}
        assert list(validate_tie_break("technique", CRITERIA)[1]) == ["tie_break"]
