"""Price and delay scores with Nmax = 10, and the weighted total (DOMAIN.md "Evaluation").

- proportional: N = 10 × Pmin / P;
- linear: N = 10 × (Pmax − P) / (Pmax − Pmin); when every price is equal (a single bid included), 10.

Pmin and Pmax are taken over the admissible bids only: the caller passes those bounds (``price_score``)
or only the admissible bids (``score_bids``). The lowest price always gets 10, the best score. A ``delay``
criterion is scored by the same formula on the bid's duration (the shorter, the better), unless the
tender says the panel judges it. Weighted total = Σ weight × score / 10, between 0 and 100 since the
weights total 100. Everything is exact (``Fraction``); ``arithmetic.display`` rounds to 2 decimals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .arithmetic import BidId, Number, display, to_exact

NMAX = 10

PROPORTIONAL = "proportional"
LINEAR = "linear"
PRICE_METHODS = (PROPORTIONAL, LINEAR)

# Criterion kinds, as stored on the tender's criteria.
PRICE = "price"
TECHNICAL = "technical"
DELAY = "delay"
ENVIRONMENTAL = "environmental"
SOCIAL = "social"
CRITERION_KINDS = (PRICE, TECHNICAL, DELAY, ENVIRONMENTAL, SOCIAL)


@dataclass(frozen=True)
class Criterion:
    code: str
    kind: str
    weight: int


@dataclass(frozen=True)
class ScoringBid:
    """An admissible bid as the ranking needs it.

    ``panel_scores`` holds the consensus score of every criterion the panel judges (by criterion code):
    every non-price criterion, except a ``delay`` criterion scored by formula.
    """

    bid_id: BidId
    total_price: Decimal
    duration_weeks: int | None
    panel_scores: Mapping[str, Decimal]


@dataclass(frozen=True)
class BidScore:
    bid_id: BidId
    price_score: Fraction
    scores: Mapping[str, Fraction]  # every criterion code → its score out of 10
    contributions: Mapping[str, Fraction]  # every criterion code → weight × score / 10 (the chart's bars)
    total: Fraction  # Σ contributions, 0–100

    @property
    def display_total(self) -> Decimal:
        return display(self.total)


class MissingScore(ValueError):
    """A criterion judged by the panel has no consensus score yet for some bids."""

    def __init__(self, missing: Sequence[tuple[BidId, str]]):
        self.missing = list(missing)
        super().__init__("no score for " + ", ".join(f"{bid}.{code}" for bid, code in self.missing))


def formula_score(value: Number, *, best: Number, worst: Number, method: str) -> Fraction:
    """Score out of 10 of a figure where lower is better (a price, a duration).

    ``best`` and ``worst`` are the lowest and highest figures among the admissible bids.
    """
    value, best, worst = to_exact(value), to_exact(best), to_exact(worst)
    if not best <= value <= worst:
        raise ValueError(f"{value} is outside the range [{best}, {worst}] of the admissible bids")
    if method == PROPORTIONAL:
        if best <= 0:
            raise ValueError("the proportional formula needs figures above zero")
        return NMAX * best / value
    if method == LINEAR:
        if worst == best:
            return Fraction(NMAX)
        return NMAX * (worst - value) / (worst - best)
    raise ValueError(f"unknown price method {method!r}")


def price_score(price: Decimal, *, pmin: Decimal, pmax: Decimal, method: str) -> Fraction:
    """N = 10 × Pmin / P (proportional) or 10 × (Pmax − P) / (Pmax − Pmin) (linear; all equal → 10)."""
    return formula_score(price, best=pmin, worst=pmax, method=method)


def delay_score(duration_weeks: int, *, shortest: int, longest: int, method: str) -> Fraction:
    """The price formula applied to durations: the shortest duration gets 10."""
    return formula_score(duration_weeks, best=shortest, worst=longest, method=method)


def bounds(values: Iterable[Number]) -> tuple[Number, Number]:
    """(lowest, highest) of the admissible bids' figures."""
    values = list(values)
    if not values:
        raise ValueError("no admissible bid")
    return min(values), max(values)


def contributions(scores: Mapping[str, Number], criteria: Sequence[Criterion]) -> dict[str, Fraction]:
    """weight × score / 10 for every criterion, in the order of ``criteria``."""
    missing = [c.code for c in criteria if c.code not in scores]
    if missing:
        raise ValueError(f"no score for {', '.join(missing)}")
    return {c.code: c.weight * to_exact(scores[c.code]) / NMAX for c in criteria}


def weighted_total(scores: Mapping[str, Number], criteria: Sequence[Criterion]) -> Fraction:
    """Σ weight × score / 10, exact (0–100 when the weights total 100)."""
    return sum(contributions(scores, criteria).values(), Fraction(0))


def score_bids(bids: Sequence[ScoringBid], criteria: Sequence[Criterion], *, price_method: str,
               delay_by_panel: bool = False) -> list[BidScore]:
    """Every criterion's score, the contributions and the weighted total of each admissible bid.

    ``bids`` must be the admissible bids only: Pmin, Pmax (and the shortest and longest durations) are
    taken over them. Price criteria are scored by ``price_method``; a ``delay`` criterion by the same
    formula on ``duration_weeks`` unless ``delay_by_panel``; every other criterion takes the bid's
    ``panel_scores``. Raises ``MissingScore`` naming every (bid, criterion) still without a score.
    """
    if price_method not in PRICE_METHODS:
        raise ValueError(f"unknown price method {price_method!r}")
    if not bids:
        return []
    pmin, pmax = bounds(bid.total_price for bid in bids)
    delay_by_formula = not delay_by_panel and any(c.kind == DELAY for c in criteria)
    if delay_by_formula:
        if any(bid.duration_weeks is None for bid in bids):
            raise MissingScore([(bid.bid_id, c.code) for bid in bids if bid.duration_weeks is None
                                for c in criteria if c.kind == DELAY])
        shortest, longest = bounds(bid.duration_weeks for bid in bids)

    missing: list[tuple[BidId, str]] = []
    results: list[BidScore] = []
    for bid in bids:
        price = price_score(bid.total_price, pmin=pmin, pmax=pmax, method=price_method)
        scores: dict[str, Fraction] = {}
        for criterion in criteria:
            if criterion.kind == PRICE:
                scores[criterion.code] = price
            elif criterion.kind == DELAY and delay_by_formula:
                scores[criterion.code] = delay_score(bid.duration_weeks, shortest=shortest, longest=longest,
                                                     method=price_method)
            elif criterion.code in bid.panel_scores:
                scores[criterion.code] = to_exact(bid.panel_scores[criterion.code])
            else:
                missing.append((bid.bid_id, criterion.code))
        if missing:
            continue
        parts = contributions(scores, criteria)
        results.append(BidScore(bid_id=bid.bid_id, price_score=price, scores=scores, contributions=parts,
                                total=sum(parts.values(), Fraction(0))))
    if missing:
        raise MissingScore(missing)
    return results
