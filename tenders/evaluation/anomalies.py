"""Abnormally-low detection (L2152-5/6, R2152-3/4): a suspicion, never a decision.

Detection runs over every opened bid, classified or not (``OpenedBid``). The tender states one method
(``DetectionSetting``); with threshold t (the default per method in ``DEFAULT_THRESHOLDS``):

- ``mean_gap``: suspected when total ≤ (1 − t) × the mean of the OTHER opened bids (t = 0.20). A single
  bid has no other bid to compare with and is never suspected by this method.
- ``reduced_mean`` (moyenne réduite): M1 = mean of all opened bids; M2 = mean of the bids whose total is
  ≤ 1.2 × M1; suspected when total < (1 − t) × M2, t = 0.10 by default (the 0.9 × M2 of the method).
- ``mean_sigma``: suspected when total < mean − σ, σ being the POPULATION standard deviation of all
  opened bids (Σ (total − mean)² / n, the bid itself included). No threshold. The decision is exact: it
  compares (mean − total)² with σ² instead of an irrational square root; σ and mean − σ are given to 28
  significant digits for display only.
- ``estimate_gap``: suspected when total ≤ (1 − t) × the buyer's estimate (t = 0.30). Never the only
  reference: every method's result carries, for every bid, the gap to the mean of the other opened bids
  and the gap to the estimate.

Whatever the method and the total, a price-schedule line is listed when its unit price is ≤ 50 % of the
median of the OTHER bids' unit prices for the same line (median: the middle value, or the mean of the two
middle values for an even count). A line nobody else priced is not listed; nor is a line whose median is
zero (no meaningful reference).

Gaps are relative: (total − reference) / reference, so −0.25 means 25 % below the reference. Every
figure is exact (``Fraction``); ``arithmetic.display`` rounds for display.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

from procurement.inputs import parse_decimal

from .arithmetic import BidId, Number, sqrt_decimal, to_exact

MEAN_GAP = "mean_gap"
REDUCED_MEAN = "reduced_mean"
MEAN_SIGMA = "mean_sigma"
ESTIMATE_GAP = "estimate_gap"
METHODS = (MEAN_GAP, REDUCED_MEAN, MEAN_SIGMA, ESTIMATE_GAP)

# Method → default threshold t; None: the method takes no threshold.
DEFAULT_THRESHOLDS: dict[str, Decimal | None] = {
    MEAN_GAP: Decimal("0.20"),
    REDUCED_MEAN: Decimal("0.10"),
    MEAN_SIGMA: None,
    ESTIMATE_GAP: Decimal("0.30"),
}
DEFAULT_METHOD = MEAN_GAP
REDUCED_MEAN_CUT = Fraction(6, 5)  # M2 keeps the bids ≤ 1.2 × M1
LINE_RATIO = Fraction(1, 2)  # a line ≤ 50 % of the others' median is listed

# Whether a bid exactly at the threshold amount is suspected (≤) or not (<), per method.
INCLUSIVE = {MEAN_GAP: True, REDUCED_MEAN: False, MEAN_SIGMA: False, ESTIMATE_GAP: True}


@dataclass(frozen=True)
class OpenedBid:
    """An opened bid as detection needs it. ``lines`` maps a price-schedule ref to its unit price;
    unpriced lines are left out. ``duration_weeks`` and ``received_at`` are carried for the caller."""

    bid_id: BidId
    total_price: Decimal
    lines: Mapping[str, Decimal] = field(default_factory=dict)
    duration_weeks: int | None = None
    received_at: dt.datetime | None = None


@dataclass(frozen=True)
class DetectionSetting:
    method: str = DEFAULT_METHOD
    threshold: Decimal | None = DEFAULT_THRESHOLDS[DEFAULT_METHOD]  # t; None for mean_sigma


@dataclass(frozen=True)
class MethodResult:
    """One bid by one method: the reference, the amount at which suspicion starts, the gap, the verdict."""

    reference: Fraction | None  # mean of the others, M2, the mean, or the estimate; None: nothing to compare
    threshold_amount: Fraction | Decimal | None  # (1 − t) × reference; mean − σ (Decimal) for mean_sigma
    gap: Fraction | None  # (total − reference) / reference
    suspected: bool


@dataclass(frozen=True)
class LineFlag:
    ref: str
    unit_price: Decimal
    median: Fraction  # of the other bids' unit prices for this line
    gap: Fraction  # (unit_price − median) / median, −0.5 or below
    compared_with: int  # how many other bids priced this line


@dataclass(frozen=True)
class BidAnomaly:
    bid_id: BidId
    total_price: Decimal
    method: MethodResult
    gap_to_mean: Fraction | None  # to the mean of the other opened bids; None for a single bid
    gap_to_estimate: Fraction | None  # None without an estimate
    lines: tuple[LineFlag, ...]

    @property
    def suspected(self) -> bool:
        return self.method.suspected


@dataclass(frozen=True)
class AnomalyReport:
    method: str
    threshold: Decimal | None  # t
    inclusive: bool  # suspected at the threshold amount itself (≤) or only below it (<)
    estimate: Decimal | None
    mean: Fraction | None  # of all opened bids (M1 of the reduced mean)
    reduced_mean: Fraction | None  # M2, for reduced_mean
    reduced_mean_bids: tuple[BidId, ...]  # the bids M2 is the mean of
    variance: Fraction | None  # population variance, for mean_sigma
    sigma: Decimal | None  # √variance to 28 significant digits, for mean_sigma
    bids: tuple[BidAnomaly, ...]


# --- small exact statistics ------------------------------------------------------------------------------


def mean(values: Sequence[Number]) -> Fraction:
    if not values:
        raise ValueError("mean of nothing")
    return sum((to_exact(v) for v in values), Fraction(0)) / len(values)


def median(values: Sequence[Number]) -> Fraction:
    """The middle value; for an even count, the mean of the two middle values."""
    if not values:
        raise ValueError("median of nothing")
    ordered = sorted(to_exact(v) for v in values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def population_variance(values: Sequence[Number]) -> Fraction:
    """Σ (x − mean)² / n (population, not the sample's n − 1)."""
    centre = mean(values)
    return sum(((to_exact(v) - centre) ** 2 for v in values), Fraction(0)) / len(values)


def relative_gap(value: Number, reference: Fraction | None) -> Fraction | None:
    if reference is None or reference == 0:
        return None
    return (to_exact(value) - reference) / reference


def _below(total: Fraction, amount: Fraction, *, inclusive: bool) -> bool:
    return total <= amount if inclusive else total < amount


def _rate(threshold: Decimal | None, method: str) -> Fraction:
    chosen = threshold if threshold is not None else DEFAULT_THRESHOLDS[method]
    return 1 - to_exact(chosen)


# --- the methods, each bid's figures ---------------------------------------------------------------------


def others_means(bids: Sequence[OpenedBid]) -> list[Fraction | None]:
    """For each bid (in order), the mean of the other opened bids' totals; None for a single bid."""
    totals = [to_exact(b.total_price) for b in bids]
    whole = sum(totals, Fraction(0))
    return [(whole - total) / (len(totals) - 1) if len(totals) > 1 else None for total in totals]


def detect_mean_gap(bids: Sequence[OpenedBid], threshold: Decimal | None = None) -> dict[BidId, MethodResult]:
    """total ≤ (1 − t) × mean of the other opened bids."""
    rate = _rate(threshold, MEAN_GAP)
    results = {}
    for bid, reference in zip(bids, others_means(bids), strict=True):
        if reference is None:
            results[bid.bid_id] = MethodResult(reference=None, threshold_amount=None, gap=None, suspected=False)
            continue
        amount = rate * reference
        results[bid.bid_id] = MethodResult(reference=reference, threshold_amount=amount,
                                           gap=relative_gap(bid.total_price, reference),
                                           suspected=_below(to_exact(bid.total_price), amount, inclusive=True))
    return results


def reduced_means(bids: Sequence[OpenedBid]) -> tuple[Fraction, Fraction, tuple[BidId, ...]]:
    """(M1, M2, the bids kept for M2): M1 = mean of all; M2 = mean of the bids ≤ 1.2 × M1."""
    m1 = mean([b.total_price for b in bids])
    kept = [b for b in bids if to_exact(b.total_price) <= REDUCED_MEAN_CUT * m1]
    return m1, mean([b.total_price for b in kept]), tuple(b.bid_id for b in kept)


def detect_reduced_mean(bids: Sequence[OpenedBid], threshold: Decimal | None = None) -> dict[BidId, MethodResult]:
    """total < (1 − t) × M2 (t = 0.10: 0.9 × M2)."""
    if not bids:
        return {}
    _m1, m2, _kept = reduced_means(bids)
    amount = _rate(threshold, REDUCED_MEAN) * m2
    return {b.bid_id: MethodResult(reference=m2, threshold_amount=amount, gap=relative_gap(b.total_price, m2),
                                   suspected=_below(to_exact(b.total_price), amount, inclusive=False))
            for b in bids}


def detect_mean_sigma(bids: Sequence[OpenedBid]) -> dict[BidId, MethodResult]:
    """total < mean − σ (population σ of all opened bids), decided exactly on squares."""
    if not bids:
        return {}
    centre = mean([b.total_price for b in bids])
    variance = population_variance([b.total_price for b in bids])
    shown = Decimal(centre.numerator) / Decimal(centre.denominator) - sqrt_decimal(variance)
    results = {}
    for bid in bids:
        below_by = centre - to_exact(bid.total_price)
        # total < mean − σ  ⇔  mean − total > σ  ⇔  mean − total > 0 and (mean − total)² > σ²
        suspected = below_by > 0 and below_by**2 > variance
        results[bid.bid_id] = MethodResult(reference=centre, threshold_amount=shown,
                                           gap=relative_gap(bid.total_price, centre), suspected=suspected)
    return results


def detect_estimate_gap(bids: Sequence[OpenedBid], estimate: Decimal,
                        threshold: Decimal | None = None) -> dict[BidId, MethodResult]:
    """total ≤ (1 − t) × the buyer's estimate."""
    reference = to_exact(estimate)
    if reference <= 0:
        raise ValueError("the estimate must be above zero")
    amount = _rate(threshold, ESTIMATE_GAP) * reference
    return {b.bid_id: MethodResult(reference=reference, threshold_amount=amount,
                                   gap=relative_gap(b.total_price, reference),
                                   suspected=_below(to_exact(b.total_price), amount, inclusive=True))
            for b in bids}


def low_lines(bids: Sequence[OpenedBid]) -> dict[BidId, tuple[LineFlag, ...]]:
    """Per bid, its lines priced ≤ 50 % of the median of the OTHER bids' unit prices for the same line."""
    flags: dict[BidId, tuple[LineFlag, ...]] = {}
    for bid in bids:
        listed = []
        for ref, unit_price in bid.lines.items():
            others = [other.lines[ref] for other in bids if other is not bid and ref in other.lines]
            if not others:
                continue
            middle = median(others)
            if middle <= 0:
                continue
            if to_exact(unit_price) <= LINE_RATIO * middle:
                listed.append(LineFlag(ref=ref, unit_price=unit_price, median=middle,
                                       gap=relative_gap(unit_price, middle), compared_with=len(others)))
        flags[bid.bid_id] = tuple(listed)
    return flags


# --- the report ------------------------------------------------------------------------------------------


def detect(bids: Sequence[OpenedBid], *, setting: DetectionSetting | None = None,
           estimate: Decimal | None = None) -> AnomalyReport:
    """The anomalies page: the tender's method over every opened bid, the gaps to the mean and to the
    estimate for every bid, and the low unit-rate lines."""
    setting = setting or DetectionSetting()
    method = setting.method
    if method not in METHODS:
        raise ValueError(f"unknown detection method {method!r}")
    threshold = setting.threshold if setting.threshold is not None else DEFAULT_THRESHOLDS[method]
    if method == MEAN_SIGMA:
        threshold = None
    if method == MEAN_GAP:
        results = detect_mean_gap(bids, threshold)
    elif method == REDUCED_MEAN:
        results = detect_reduced_mean(bids, threshold)
    elif method == MEAN_SIGMA:
        results = detect_mean_sigma(bids)
    else:
        if estimate is None:
            raise ValueError("the estimate_gap method needs the buyer's estimate")
        results = detect_estimate_gap(bids, estimate, threshold)

    others = others_means(bids)
    lines = low_lines(bids)
    reference = to_exact(estimate) if estimate is not None else None
    anomalies = tuple(
        BidAnomaly(bid_id=b.bid_id, total_price=b.total_price, method=results[b.bid_id],
                   gap_to_mean=relative_gap(b.total_price, others_mean),
                   gap_to_estimate=relative_gap(b.total_price, reference), lines=lines[b.bid_id])
        for b, others_mean in zip(bids, others, strict=True))

    m1 = mean([b.total_price for b in bids]) if bids else None
    m2, kept = (None, ())
    if method == REDUCED_MEAN and bids:
        _m1, m2, kept = reduced_means(bids)
    variance = sigma = None
    if method == MEAN_SIGMA and bids:
        variance = population_variance([b.total_price for b in bids])
        sigma = sqrt_decimal(variance)
    return AnomalyReport(method=method, threshold=threshold, inclusive=INCLUSIVE[method], estimate=estimate,
                         mean=m1, reduced_mean=m2, reduced_mean_bids=kept, variance=variance, sigma=sigma,
                         bids=anomalies)


# --- the tender's setting --------------------------------------------------------------------------------


def validate_detection_setting(value: object, *, has_estimate: bool = True, field: str = "abnormally_low"
                               ) -> tuple[DetectionSetting | None, dict[str, list[str]]]:
    """Check a tender's ``abnormally_low`` setting ``{method, threshold?}``.

    Returns ``(setting, {})`` when valid (the default setting when ``value`` is None), else
    ``(None, errors)`` with errors keyed ``abnormally_low``, ``abnormally_low.method`` or
    ``abnormally_low.threshold``. The threshold is optional (the method's default), strictly between 0
    and 1, and refused for ``mean_sigma``, which has none.
    """
    if value is None:
        return DetectionSetting(), {}
    if not isinstance(value, Mapping):
        return None, {field: [_("Objet attendu : {method, threshold}.")]}
    errors: dict[str, list[str]] = {}
    unknown = sorted(str(key) for key in value if key not in ("method", "threshold"))
    if unknown:
        errors.setdefault(field, []).append(
            _("Champ inconnu : %(fields)s (seuls « method » et « threshold » sont acceptés).")
            % {"fields": ", ".join(unknown)})

    method = value.get("method")
    if method in (None, ""):
        errors.setdefault(f"{field}.method", []).append(_("Ce champ est obligatoire."))
    elif method not in METHODS:
        errors.setdefault(f"{field}.method", []).append(
            _("Méthode inconnue. Méthodes possibles : mean_gap (écart à la moyenne des autres offres), "
              "reduced_mean (moyenne réduite), mean_sigma (moyenne moins un écart type), "
              "estimate_gap (écart à l'estimation)."))
    elif method == ESTIMATE_GAP and not has_estimate:
        errors.setdefault(f"{field}.method", []).append(
            _("La méthode estimate_gap demande l'estimation de l'acheteur (montant estimé)."))

    threshold = None
    raw = value.get("threshold")
    if raw is not None:
        threshold = parse_decimal(raw)
        if method == MEAN_SIGMA:
            errors.setdefault(f"{field}.threshold", []).append(
                _("La méthode mean_sigma n'a pas de seuil : la référence est la moyenne moins un écart type."))
        elif threshold is None:
            errors.setdefault(f"{field}.threshold", []).append(_("Nombre décimal attendu (par exemple 0.20)."))
        elif not Decimal(0) < threshold < Decimal(1):
            errors.setdefault(f"{field}.threshold", []).append(
                _("Le seuil doit être strictement compris entre 0 et 1 (par exemple 0.20 pour 20 %)."))
    if errors:
        return None, errors
    if threshold is None:
        threshold = DEFAULT_THRESHOLDS[method]
    return DetectionSetting(method=method, threshold=threshold), {}
