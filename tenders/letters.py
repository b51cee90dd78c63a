"""What each bidder is told at the end of a tender: one structure, read by the mails now and by the
generated PDF letters later (``Letter.as_dict()`` is JSON).

At the award (R2181-1, R2181-3), every bidder gets a letter:
- the winner, its award letter: its own scores and rank, the earliest signature date;
- every other bidder, its rejection letter: why it was not retained (a class and its reason when its bid
  was eliminated; its own score per criterion, total and rank when it was ranked), the winner's name,
  scores and the reasons for the choice (the consensus rationales), the earliest signature date when a
  standstill applies, and its right to ask within 15 days for the characteristics and relative advantages
  of the retained bid (R2181-4);
- a late bidder: its bid arrived after the deadline and was not examined (R2151-5).
A letter never shows the scores of a bidder other than its reader and the winner.

When a tender is cancelled ("sans suite") or declared unsuccessful, every bidder gets a cancellation letter
with the reason.

The figures come from the ranking frozen at the award proposal (``RankingSnapshot``), so that a letter
never drifts from the decision.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

from procurement import calendar

from .models import (
    CLASSIFIED_STATES,
    Bid,
    BidStatus,
    Consensus,
    Criterion,
    RankingSnapshot,
    Tender,
    TenderStatus,
)

AWARD_LETTER, REJECTION_LETTER, CANCELLATION_LETTER = "award_letter", "rejection_letter", "cancellation_letter"
DEBRIEF_DAYS = 15  # R2181-4: to ask for the retained bid's characteristics; and for the buyer to answer
STANDSTILL_DAYS = 11  # R2182-1, electronic sending

# The states of a bid that is told the end of its tender: it was deposited and not withdrawn.
LETTER_STATES = [s for s in BidStatus.values if s not in (BidStatus.DRAFT, BidStatus.WITHDRAWN)]
# Bids set aside by a class (L2152-1 to -5) or for want of evidence (R2144-7).
ELIMINATED_CLASSES = [s for s in CLASSIFIED_STATES if s != BidStatus.ADMISSIBLE] + [BidStatus.ELIMINATED]


@dataclass(frozen=True)
class CriterionLine:
    code: str
    name: str
    weight: int
    score: str | None  # out of 10
    points: str | None  # weight × score / 10


@dataclass(frozen=True)
class Standing:
    """A bid's place in the frozen ranking: its scores per criterion, its total out of 100, its rank."""

    company: str
    total_price: str | None
    total: str | None
    rank: int | None
    ranked: int  # how many bids were ranked
    criteria: tuple[CriterionLine, ...]


@dataclass(frozen=True)
class Reason:
    """Why the winner was chosen on a criterion: the panel's consensus rationale."""

    code: str
    name: str
    rationale: str


@dataclass(frozen=True)
class Elimination:
    status: str
    label: str
    reason: str


@dataclass(frozen=True)
class Letter:
    kind: str
    tender: dict
    bid: str
    company: str
    company_id: str
    status: str
    status_label: str
    sent_at: dt.datetime | None
    examined: bool = True
    elimination: Elimination | None = None
    own: Standing | None = None
    winner: Standing | None = None
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    standstill: bool = False
    earliest_signature_at: dt.datetime | None = None
    debrief_until: dt.datetime | None = None
    end_reason: str = ""
    unsuccessful: bool = False

    @property
    def is_award(self) -> bool:
        return self.kind == AWARD_LETTER

    def as_dict(self) -> dict:
        data = asdict(self)
        for key in ("sent_at", "earliest_signature_at", "debrief_until"):
            data[key] = data[key].isoformat() if data[key] else None
        return data


def debrief_deadline(sent_at: dt.datetime) -> dt.datetime:
    """The last moment a rejected bidder may ask for the retained bid's characteristics (R2181-4)."""
    return calendar.add_calendar_days(sent_at, DEBRIEF_DAYS)


def standstill_end(sent_at: dt.datetime) -> dt.datetime:
    """R2182-1: 11 days from the sending of the letters, date to date (Paris time)."""
    return calendar.add_calendar_days(sent_at, STANDSTILL_DAYS)


def _tender(tender: Tender) -> dict:
    return {"id": str(tender.id), "reference": tender.reference, "title": tender.title,
            "operation": tender.operation_name, "commune": tender.operation_commune}


def _standing(row: dict, criteria: list[Criterion], ranked: int) -> Standing:
    scores = row.get("scores") or {}
    points = row.get("contributions") or {}
    return Standing(
        company=row["company"], total_price=row.get("total_price"), total=row.get("total"), rank=row.get("rank"),
        ranked=ranked,
        criteria=tuple(CriterionLine(code=c.code, name=c.name, weight=c.weight, score=scores.get(c.code),
                                     points=points.get(c.code)) for c in criteria))


@dataclass(frozen=True)
class _AwardContext:
    tender: Tender
    rows: dict
    criteria: list
    ranked: int
    winner: Bid | None
    reasons: tuple


def _award_context(tender: Tender, winner: Bid | None) -> _AwardContext:
    """What every award letter of ``tender`` shares: the frozen ranking's rows (not its inputs), the criteria,
    the winner and its reasons. A constant number of queries, whatever the number of bids."""
    rows = RankingSnapshot.objects.filter(tender_id=tender.pk).values_list("rows", flat=True).first() or []
    rows = {row["bid"]: row for row in rows}
    criteria = list(Criterion.objects.filter(tender_id=tender.pk).order_by("position", "id"))
    reasons: tuple = ()
    if winner is not None:
        names = {c.id: c for c in criteria}
        reasons = tuple(Reason(code=names[r.criterion_id].code, name=names[r.criterion_id].name,
                               rationale=r.rationale)
                        for r in sorted(Consensus.objects.filter(bid_id=winner.pk),
                                        key=lambda r: (names[r.criterion_id].position, r.criterion_id)))
    ranked = sum(1 for row in rows.values() if row.get("rank") is not None)
    return _AwardContext(tender=tender, rows=rows, criteria=criteria, ranked=ranked, winner=winner, reasons=reasons)


def _award_letter(ctx: _AwardContext, bid: Bid) -> Letter:
    tender = ctx.tender
    row = ctx.rows.get(str(bid.id))
    own = _standing(row, ctx.criteria, ctx.ranked) if row and row.get("rank") is not None else None
    common = dict(tender=_tender(tender), bid=str(bid.id), company=bid.company.name, company_id=str(bid.company_id),
                  status=bid.status, status_label=str(BidStatus(bid.status).label), sent_at=tender.letters_sent_at,
                  standstill=tender.standstill,
                  earliest_signature_at=tender.standstill_ends_at if tender.standstill else None)
    if bid.status == BidStatus.AWARDED:
        return Letter(kind=AWARD_LETTER, own=own, **common)
    winner_row = ctx.rows.get(str(ctx.winner.id)) if ctx.winner else None
    winner = _standing(winner_row, ctx.criteria, ctx.ranked) if winner_row else None
    elimination = None
    if bid.status in ELIMINATED_CLASSES:
        elimination = Elimination(status=bid.status, label=str(BidStatus(bid.status).label),
                                  reason=bid.classification_reason)
    return Letter(kind=REJECTION_LETTER, examined=bid.status != BidStatus.LATE, elimination=elimination,
                  own=own, winner=winner, reasons=ctx.reasons,
                  debrief_until=debrief_deadline(tender.letters_sent_at) if tender.letters_sent_at else None,
                  **common)


def _cancellation_letter(tender: Tender, bid: Bid) -> Letter:
    return Letter(kind=CANCELLATION_LETTER, tender=_tender(tender), bid=str(bid.id), company=bid.company.name,
                  company_id=str(bid.company_id), status=bid.status, status_label=str(BidStatus(bid.status).label),
                  sent_at=tender.ended_at, examined=bid.status != BidStatus.LATE, end_reason=tender.end_reason,
                  unsuccessful=tender.status == TenderStatus.UNSUCCESSFUL)


def _bids(tender: Tender, bid_ids=None) -> list[Bid]:
    qs = Bid.objects.filter(tender_id=tender.pk, status__in=LETTER_STATES).select_related("company")
    if bid_ids is not None:
        qs = qs.filter(pk__in=bid_ids)
    return list(qs.order_by("submitted_at", "id"))


def letters(tender: Tender) -> list[Letter]:
    """The letter of every bidder of an awarded, cancelled or unsuccessful tender (none otherwise)."""
    if tender.status == TenderStatus.AWARDED:
        bids = _bids(tender)
        ctx = _award_context(tender, next((b for b in bids if b.status == BidStatus.AWARDED), None))
        return [_award_letter(ctx, bid) for bid in bids]
    if tender.status in (TenderStatus.CANCELLED, TenderStatus.UNSUCCESSFUL):
        return [_cancellation_letter(tender, bid) for bid in _bids(tender)]
    return []


def _elimination_letter(tender: Tender, bid: Bid) -> Letter:
    """R2181-1: a bid set aside before the award (the proposed winner could not prove its situation, R2144-7)
    is told at once: the reason, its own scores and rank in the frozen ranking. The winner is not chosen yet:
    its name, scores and reasons come with the letter of the award (a new version of this one)."""
    ctx = _award_context(tender, None)
    row = ctx.rows.get(str(bid.id))
    own = _standing(row, ctx.criteria, ctx.ranked) if row and row.get("rank") is not None else None
    return Letter(kind=REJECTION_LETTER, tender=_tender(tender), bid=str(bid.id), company=bid.company.name,
                  company_id=str(bid.company_id), status=bid.status, status_label=str(BidStatus(bid.status).label),
                  sent_at=bid.classified_at, own=own,
                  elimination=Elimination(status=bid.status, label=str(BidStatus(bid.status).label),
                                          reason=bid.classification_reason))


def letter_for(bid: Bid) -> Letter | None:
    """The letter of one bid (its company reads it in the portal); None before the end of the tender or for a
    bid that gets none (a draft, a withdrawn one). A bid eliminated under R2144-7 gets its rejection letter
    at once, before the award.

    It reads what this one letter needs (the tender, the bid, the winner, the frozen ranking, the criteria and
    the winner's reasons): a constant number of queries, whatever the number of bids; ``letters`` makes the
    letters of every bid of a tender at once."""
    tender = Tender.objects.get(pk=bid.tender_id)
    if bid.status not in LETTER_STATES:
        return None
    if bid.status == BidStatus.ELIMINATED and tender.status != TenderStatus.AWARDED:
        return _elimination_letter(tender, bid)
    if tender.status == TenderStatus.AWARDED:
        own = next(iter(_bids(tender, [bid.pk])), None)
        if own is None:
            return None
        winner = own if own.status == BidStatus.AWARDED else (
            Bid.objects.filter(tender_id=tender.pk, status=BidStatus.AWARDED).only("id", "status").first())
        return _award_letter(_award_context(tender, winner), own)
    if tender.status in (TenderStatus.CANCELLED, TenderStatus.UNSUCCESSFUL):
        [own] = _bids(tender, [bid.pk])
        return _cancellation_letter(tender, own)
    return None

