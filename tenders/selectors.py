"""Every read of tenders and bids, already filtered by who may see what.

- Staff (buyer, evaluator, approver) see every tender; a supplier sees only the tenders one of its
  companies was invited to. Anything else is "not found".
- A bid's content is readable by its own company at any time, and by staff only once the opening has been
  recorded (``Tender.opened_at``) and only for bids that were opened. Before that, staff see the deposit
  register: who deposited, when, in which state.
"""

from __future__ import annotations

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from procurement import clock, sorting, text
from procurement.permissions import is_staff_member
from procurement.web import get_or_404
from suppliers.models import Membership

from .models import (
    DEPOSITED_STATES,
    EVALUATED_STATES,
    Bid,
    BidDocument,
    BidStatus,
    Invitation,
    Question,
    Tender,
    TenderDocument,
    TenderStatus,
)

EVALUATED_STATES_SET = frozenset(EVALUATED_STATES)


def _user_company_ids(user):
    return Membership.objects.filter(user=user).values("company_id")


# --- tenders ---------------------------------------------------------------------------------------------


def tenders_for_user(user) -> QuerySet[Tender]:
    return Tender.objects.visible_to(user).select_related("dps", "category")


def tender_get(*, user, tender_id) -> Tender:
    return get_or_404(tenders_for_user(user), id=tender_id)


def _count_of(rows: QuerySet):
    """How many of ``rows`` belong to the tender of the outer query (0 when none)."""
    per_tender = rows.filter(tender=OuterRef("pk")).order_by().values("tender").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(per_tender), 0)


# The sort keys of the tender list (``?tri=key`` or ``-key``; see ``procurement.sorting``).
TENDER_SORTS = {
    "reference": ("reference",), "intitule": ("title",), "categorie": ("category__code",), "etat": ("status",),
    "remise": ("bid_deadline",), "invites": ("invitation_count",), "depots": ("deposit_count",),
    "questions": ("open_question_count",),
}


def tender_list(*, user, status: str | None = None, category=None, dps=None, deadline_before=None,
                deadline_after=None, search: str | None = None, sort: str | None = None) -> QuerySet[Tender]:
    """Tenders for a list page, with their counts (invitations, deposited bids, unanswered questions), each a
    subquery on the tender's own rows: joining the three tables and counting distinct rows multiplies them."""
    qs = tenders_for_user(user).annotate(
        invitation_count=_count_of(Invitation.objects.all()),
        deposit_count=_count_of(Bid.objects.filter(status__in=DEPOSITED_STATES)),
        open_question_count=_count_of(Question.objects.filter(answered_at__isnull=True)),
    )
    lookups = {"status": status, "category_id": category, "dps_id": dps, "bid_deadline__lt": deadline_before,
               "bid_deadline__gte": deadline_after}
    qs = qs.filter(**{key: value for key, value in lookups.items() if value})
    if search:  # every word, whatever the case and accents, in the reference, title, residence or commune
        qs = qs.filter(text.matches("search_text", search))
    return sorting.apply(qs.order_by("bid_deadline", "id"), sort, TENDER_SORTS)


def tender_detail(tender: Tender) -> Tender:
    """The tender with its criteria, schedule and documents loaded."""
    return (
        Tender.objects.select_related("dps", "category", "created_by", "published_by", "opened_by")
        .prefetch_related("criteria", "price_lines", "documents")
        .get(pk=tender.pk)
    )


def tender_figures(tender: Tender) -> dict[str, int]:
    """The tender page's counts: invitations, questions (and those unanswered), deposits."""
    questions = tender.questions.aggregate(total=Count("id"), open=Count("id", filter=Q(answered_at__isnull=True)))
    return {"invited": tender.invitations.count(), "questions": questions["total"],
            "open_questions": questions["open"], "deposits": tender.bids.exclude(status=BidStatus.DRAFT).count()}


def tender_document_get(*, user, document_id) -> TenderDocument:
    """A consultation document of a tender ``user`` may see."""
    return get_or_404(TenderDocument.objects.filter(tender__in=Tender.objects.visible_to(user)).select_related("tender"),
                      pk=document_id)


def own_invitations(user, tender: Tender) -> QuerySet[Invitation]:
    """The invitations of ``user``'s companies to this tender, with the company, by company name."""
    return (Invitation.objects.filter(tender=tender, company_id__in=_user_company_ids(user))
            .select_related("company").order_by(text.french("company__name")))


def own_bids(user, tender: Tender) -> QuerySet[Bid]:
    """``user``'s companies' bids on this tender, oldest first."""
    return bids_of_user(user).filter(tender=tender).order_by("created_at")


def invitations_for_tender(tender: Tender) -> QuerySet[Invitation]:
    return tender.invitations.select_related("company").order_by(text.french("company__name"), "id")


def invitation_mail_progress(tender: Tender) -> dict:
    """How many invitation mails of this tender the mail server has accepted so far (one query)."""
    from procurement.models import EmailStatus, OutboundEmail

    counts = OutboundEmail.objects.filter(key__startswith=f"tender-invitation:{tender.id}:").aggregate(
        total=Count("id"), sent=Count("id", filter=Q(status=EmailStatus.SENT)),
        failed=Count("id", filter=Q(status=EmailStatus.FAILED)))
    counts["done"] = tender.invitations_mailed_at is not None and counts["sent"] == counts["total"]
    return counts


def invitations_for_user(user) -> QuerySet[Invitation]:
    """A supplier's inbox: the invitations of its companies, the open ones first."""
    return (
        Invitation.objects.filter(company_id__in=_user_company_ids(user))
        .select_related("tender", "tender__category", "company")
        .annotate(has_deposit=Exists(Bid.objects.standing().filter(tender=OuterRef("tender"),
                                                                    company=OuterRef("company"))))
        .order_by("-tender__bid_deadline", "id")
    ) if user.is_authenticated else Invitation.objects.none()


def open_invitation_count(company_ref) -> Coalesce:
    """How many of a company's invitations to tender are still open (published, deadline ahead), as an
    expression that annotates rows naming the company (``company_ref``: ``OuterRef("company_id")``)."""
    count = (Invitation.objects.filter(company=company_ref, tender__status=TenderStatus.PUBLISHED,
                                       tender__bid_deadline__gt=clock.now())
             .values("company").annotate(n=Count("id")).values("n"))
    return Coalesce(Subquery(count), 0)


def is_invited(user, tender: Tender) -> bool:
    return Invitation.objects.filter(tender=tender, company_id__in=_user_company_ids(user)).exists()


# --- questions -------------------------------------------------------------------------------------------


def questions_for_user(*, user, tender: Tender) -> QuerySet[Question]:
    """Staff: all, with the asker. Invited suppliers: the answered ones and their own (the asker is hidden
    by the serializer and the templates unless it is the reader's own company)."""
    qs = tender.questions.select_related("company", "asked_by", "answered_by").order_by("asked_at", "id")
    if is_staff_member(user):
        return qs
    return qs.filter(Q(answered_at__isnull=False) | Q(company_id__in=_user_company_ids(user)))


def question_get(*, user, question_id) -> Question:
    question = get_or_404(Question.objects.select_related("tender"), id=question_id)
    if not (is_staff_member(user) or is_invited(user, question.tender)):
        raise Http404("question introuvable")
    return question


def own_company_ids(user) -> set:
    return set(Membership.objects.filter(user=user).values_list("company_id", flat=True))


# --- bids ------------------------------------------------------------------------------------------------


def _bids(user) -> QuerySet[Bid]:
    return Bid.objects.select_related("tender", "tender__category", "company", "submitted_by")


def bids_of_user(user) -> QuerySet[Bid]:
    """A supplier's own bids, every version and state."""
    if not user.is_authenticated:
        return Bid.objects.none()
    return _bids(user).filter(company_id__in=_user_company_ids(user)).order_by("-created_at")


def bid_get(*, user, bid_id) -> Bid:
    """A bid its reader may see: its own company's, or (staff) an opened one. Anything else is 404."""
    qs = Bid.objects.visible_to(user).select_related("tender", "tender__category", "company", "submitted_by")
    return get_or_404(qs.prefetch_related(Prefetch("documents", queryset=BidDocument.objects.order_by("uploaded_at"))),
                       id=bid_id)


def bid_for_action(*, user, bid_id) -> Bid:
    """The bid an action is about, with the visibility of ``bid_get`` but nothing loaded: the services lock
    and load what they need (this is on the path of every deposit at a deadline)."""
    return get_or_404(Bid.objects.visible_to(user).only("id", "tender_id", "company_id", "status"), id=bid_id)


def content_readable(user, bid: Bid) -> bool:
    """May this person read the bid's prices and documents now?"""
    if bid.company_id in own_company_ids(user):
        return True
    return bid.content_readable_by_staff() and bid_contents_readable(user, bid.tender)


def deposit_register(tender: Tender) -> QuerySet[Bid]:
    """Every deposit, late and withdrawn ones included: company, time of receipt, state. No content."""
    return (
        tender.bids.filter(status__in=DEPOSITED_STATES)
        .select_related("company", "submitted_by", "replaced_by")
        .order_by("submitted_at", "id")
    )


def opened_bids(tender: Tender) -> QuerySet[Bid]:
    """After the opening: the bids that were opened, with their documents (their content is unsealed)."""
    if tender.opened_at is None:
        return Bid.objects.none()
    return (
        tender.bids.content_readable()
        .select_related("company", "tender", "submitted_by")
        .prefetch_related("documents")
        .order_by("total_price", "submitted_at")
    )


def bid_document_get(*, user, document_id) -> BidDocument:
    document = get_or_404(BidDocument.objects.select_related("bid", "bid__tender", "bid__company"), id=document_id)
    if not content_readable(user, document.bid):
        raise Http404("document introuvable")
    return document


# --- the console dashboard -------------------------------------------------------------------------------


def tender_counts(user) -> dict[str, int]:
    rows = Tender.objects.visible_to(user).values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in TenderStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def tenders_to_open(user) -> QuerySet[Tender]:
    """Tenders whose deadline has passed and whose bids wait for the opening."""
    return Tender.objects.visible_to(user).to_open().select_related("category").order_by("bid_deadline")


def questions_waiting(user) -> QuerySet[Question]:
    return Question.objects.filter(answered_at__isnull=True, tender__status=TenderStatus.PUBLISHED,
                                   tender__in=Tender.objects.visible_to(user)).select_related(
        "tender", "company").order_by("asked_at")


# --- evaluation: who reads what --------------------------------------------------------------------------
# Buyers and approvers read the bids of an opened tender. An evaluator reads them (their contents, the
# anomalies, the ranking) only as a member of the tender's panel who has declared no conflict of interest;
# before that, and off the panel, it is refused (403). Scores are blind: see ``score_sheets_visible_to``.


def _panel_seat(user, tender: Tender):
    from .models import PanelMember

    if not (user and user.is_authenticated):
        return None
    return PanelMember.objects.filter(tender_id=tender.pk, evaluator_id=user.pk, removed_at__isnull=True).first()


def reads_as_buyer_or_approver(user) -> bool:
    from procurement.permissions import APPROVER, BUYER, has_role

    return has_role(user, BUYER) or has_role(user, APPROVER)


def bid_contents_readable(user, tender: Tender) -> bool:
    """Staff may read the bid contents of this tender: buyer or approver, or an evaluator of its panel who
    declared no conflict of interest (the opening itself is checked by ``content_readable``)."""
    if not is_staff_member(user):
        return False
    if reads_as_buyer_or_approver(user):
        return True
    seat = _panel_seat(user, tender)
    return seat is not None and seat.declared


def require_bid_contents_readable(user, tender: Tender) -> None:
    """403 for staff who may not read this tender's bids yet (an evaluator before its declaration)."""
    from django.utils.translation import gettext as _

    from procurement.errors import NotAllowed
    from procurement.permissions import require_staff

    require_staff(user)
    if not bid_contents_readable(user, tender):
        if _panel_seat(user, tender) is None:
            raise NotAllowed(_("Vous ne siégez pas dans la commission d'évaluation de ce marché."))
        raise NotAllowed(_("Déclarez d'abord l'absence de conflit d'intérêts avant de consulter les offres."))


def evaluation_tender_get(*, user, tender_id) -> Tender:
    """A tender whose evaluation the caller may read (anomalies, ranking): 404 unknown, 403 not allowed."""
    tender = tender_get(user=user, tender_id=tender_id)
    require_bid_contents_readable(user, tender)
    return tender


def evaluated_bids(tender: Tender) -> QuerySet[Bid]:
    """The bids that take part in the evaluation: opened at the opening, in whatever state since. Never a
    draft, a late or a withdrawn bid."""
    from .models import EVALUATED_STATES

    if tender.opened_at is None:
        return Bid.objects.none()
    return (tender.bids.filter(status__in=EVALUATED_STATES).select_related("company")
            .order_by("submitted_at", "id"))


def panel_of(tender: Tender):
    """Every seat of the panel (members who declared a conflict included, as the record of it)."""
    from .models import PanelMember

    return PanelMember.objects.filter(tender_id=tender.pk).select_related("evaluator").order_by("added_at", "id")


def score_sheets_visible_to(user, tender: Tender, members) -> set:
    """Blind scoring: the evaluators whose scores ``user`` may read.

    - an evaluator of the panel: its own until it has submitted, then those of every evaluator who has
      submitted (never a sheet still open);
    - a buyer or an approver: every sheet once every member has submitted, none before.
    Members who left the panel (a declared conflict) are never shown.
    """
    active = [m for m in members if m.removed_at is None]
    visible = set()
    own = next((m for m in active if m.evaluator_id == user.pk), None)
    if own is not None:
        if own.submitted_at is None:
            visible.add(own.evaluator_id)
        else:
            visible |= {m.evaluator_id for m in active if m.submitted_at is not None}
    if reads_as_buyer_or_approver(user) and active and all(m.submitted_at is not None for m in active):
        visible |= {m.evaluator_id for m in active}
    return visible


def require_scores_readable(user, tender: Tender, members) -> None:
    """GET scores: buyers, approvers and the evaluators of the panel (403 for anyone else)."""
    from django.utils.translation import gettext as _

    from procurement.errors import NotAllowed
    from procurement.permissions import require_staff

    require_staff(user)
    if reads_as_buyer_or_approver(user):
        return
    if not any(m.evaluator_id == user.pk and m.removed_at is None for m in members):
        raise NotAllowed(_("Vous ne siégez pas dans la commission d'évaluation de ce marché."))


def consensus_visible_to(user, members) -> bool:
    """Consensus scores: buyers and approvers; an evaluator once it has submitted its own sheet."""
    if reads_as_buyer_or_approver(user):
        return True
    return any(m.evaluator_id == user.pk and m.removed_at is None and m.submitted_at is not None for m in members)


def scores_for_user(*, user, tender: Tender) -> dict:
    """The panel, the scores and the consensus of a tender as ``user`` may see them (fixed query count)."""
    from .models import Consensus, Score

    members = list(panel_of(tender))
    require_scores_readable(user, tender, members)
    visible = score_sheets_visible_to(user, tender, members)
    scores = list(Score.objects.filter(bid__tender_id=tender.pk, evaluator_id__in=visible)
                  .select_related("bid__company", "criterion", "evaluator")
                  .order_by("bid__submitted_at", "bid_id", "criterion__position", "evaluator__email")) \
        if visible else []
    consensus = list(Consensus.objects.filter(bid__tender_id=tender.pk).select_related("criterion")
                     .order_by("bid__submitted_at", "bid_id", "criterion__position")) \
        if consensus_visible_to(user, members) else []
    return {"panel": [m for m in members if m.removed_at is None], "scores": scores, "consensus": consensus,
            "left": [m for m in members if m.removed_at is not None]}


def score_spread(*, tender: Tender, scores) -> list[dict]:
    """Per bid × criterion of the visible scores: each score, min, max, and a spread above 3 points flagged."""
    from .evaluation import panel as panel_rules

    found = panel_rules.spreads(panel_rules.PanelScore(evaluator_id=s.evaluator_id, bid_id=s.bid_id,
                                                       criterion=s.criterion.code, score=s.score) for s in scores)
    return [{"bid": row.bid_id, "criterion": row.criterion, "scores": [score for _e, score in row.scores],
             "min": row.minimum, "max": row.maximum, "flagged": row.flagged} for row in found]


# --- evaluation: anomalies and ranking ---------------------------------------------------------------------


def _detection_bids(bids) -> list:
    from decimal import Decimal

    from .evaluation import anomalies as detection

    return [detection.OpenedBid(bid_id=b.id, total_price=b.total_price, duration_weeks=b.duration_weeks,
                                received_at=b.submitted_at,
                                lines={line["ref"]: Decimal(str(line["unit_price"])) for line in (b.lines or [])
                                       if line.get("unit_price") not in (None, "")})
            for b in bids if b.total_price is not None]


def anomaly_report(tender: Tender, bids=None):
    """Abnormally-low detection by the tender's method over every opened bid, classified or not (a
    suspicion, never a decision), with the unit-rate lines far below the others'."""
    from .evaluation import anomalies as detection

    bids = list(evaluated_bids(tender)) if bids is None else bids
    setting = detection.DetectionSetting(method=tender.abnormally_low_method,
                                         threshold=tender.abnormally_low_effective_threshold)
    return detection.detect(_detection_bids(bids), setting=setting, estimate=tender.estimated_value)


def anomalies(tender: Tender) -> dict:
    """The anomalies of API.md: ``{method, threshold, bids: [{bid, company, total_price, gap_to_mean,
    gap_to_estimate, suspected, lines}]}``, gaps as fractions rounded to 4 decimals (−0.25: 25 % below), plus
    the method's figures (mean, M2, σ, threshold amount) so that the arithmetic can be shown."""
    from .evaluation.arithmetic import display

    bids = list(evaluated_bids(tender))
    report = anomaly_report(tender, bids)
    by_id = {b.id: b for b in bids}

    def figure(value, places=2):
        return None if value is None else float(display(value, places))

    return {
        "method": report.method, "threshold": figure(report.threshold, 3), "inclusive": report.inclusive,
        "estimate": str(tender.estimated_value), "mean": figure(report.mean),
        "reduced_mean": figure(report.reduced_mean), "sigma": figure(report.sigma),
        "bids": [{
            "bid": str(a.bid_id), "company": by_id[a.bid_id].company.name, "status": by_id[a.bid_id].status,
            "total_price": str(a.total_price), "gap_to_mean": figure(a.gap_to_mean, 4),
            "gap_to_estimate": figure(a.gap_to_estimate, 4), "suspected": a.suspected,
            "reference": figure(a.method.reference), "threshold_amount": figure(a.method.threshold_amount),
            "lines": [{"ref": line.ref, "unit_price": str(line.unit_price), "median": figure(line.median),
                       "gap": figure(line.gap, 4)} for line in a.lines],
        } for a in report.bids],
    }


def suspected_bid_ids(tender: Tender, bids=None) -> set:
    return {a.bid_id for a in anomaly_report(tender, bids).bids if a.suspected}


def ranking_inputs(tender: Tender) -> dict:
    """Everything the ranking is computed from, as JSON (kept with a frozen ranking)."""
    from .models import Consensus

    bids = list(evaluated_bids(tender))
    suspected = suspected_bid_ids(tender, bids)
    consensus: dict = {}
    for row in Consensus.objects.filter(bid__tender_id=tender.pk).values_list("bid_id", "criterion__code", "score"):
        consensus.setdefault(str(row[0]), {})[row[1]] = str(row[2])
    return {
        "tender": str(tender.pk),
        "criteria": [{"code": c.code, "name": c.name, "kind": c.kind, "weight": c.weight}
                     for c in tender.criteria.all()],
        "tie_break": list(tender.tie_break or []),
        "delay_scored_by_panel": tender.delay_scored_by_panel,
        "price_method": tender.price_method,
        "bids": [{"bid": str(b.id), "company": b.company.name, "status": b.status,
                  "total_price": None if b.total_price is None else str(b.total_price),
                  "duration_weeks": b.duration_weeks,
                  "received_at": b.submitted_at.isoformat() if b.submitted_at else None,
                  "suspected": b.id in suspected, "consensus": consensus.get(str(b.id), {})} for b in bids],
    }


def ranking_from_inputs(inputs: dict, *, price_method: str) -> list[dict]:
    """The ranking rows: every evaluated bid; scores, totals and ranks for the admissible ones. Figures are
    exact fractions rendered as decimal strings rounded to 2 places (``display``)."""
    import datetime as dt
    from decimal import Decimal

    from .evaluation import pricing
    from .evaluation import ranking as ranking_rules
    from .evaluation.arithmetic import display

    criteria = [pricing.Criterion(code=c["code"], kind=c["kind"], weight=c["weight"]) for c in inputs["criteria"]]
    admissible = [b for b in inputs["bids"] if b["status"] == BidStatus.ADMISSIBLE and b["total_price"] is not None]
    panel_codes = [c.code for c in criteria if c.kind != pricing.PRICE
                   and (c.kind != pricing.DELAY or inputs["delay_scored_by_panel"])]
    missing = {(b["bid"], code) for b in admissible for code in panel_codes if code not in b["consensus"]}
    # Missing consensus scores count as 0 for the arithmetic; the rows say they are incomplete (no total).
    scoring = [pricing.ScoringBid(bid_id=b["bid"], total_price=Decimal(b["total_price"]),
                                  duration_weeks=b["duration_weeks"],
                                  panel_scores={code: Decimal(b["consensus"].get(code, "0")) for code in panel_codes})
               for b in admissible]
    scored = {s.bid_id: s for s in pricing.score_bids(scoring, criteria, price_method=price_method,
                                                      delay_by_panel=inputs["delay_scored_by_panel"])}
    complete = not missing
    ranked = {}
    if complete and scored:
        by_id = {b["bid"]: b for b in admissible}
        contenders = [ranking_rules.Contender(bid_id=bid_id, total=s.total, scores=s.scores,
                                              total_price=Decimal(by_id[bid_id]["total_price"]),
                                              received_at=dt.datetime.fromisoformat(by_id[bid_id]["received_at"]))
                      for bid_id, s in scored.items()]
        ranked = {r.bid_id: r for r in ranking_rules.rank(contenders, criteria, inputs["tie_break"] or None).bids}

    def shown(value):
        return None if value is None else str(display(value))

    rows = []
    for b in inputs["bids"]:
        s = scored.get(b["bid"])
        r = ranked.get(b["bid"])
        scores = {}
        if s is not None:
            scores = {code: (None if (b["bid"], code) in missing else shown(value)) for code, value in s.scores.items()}
        rows.append({
            "bid": b["bid"], "company": b["company"], "total_price": b["total_price"],
            "price_score": shown(s.price_score) if s else None, "scores": scores,
            "contributions": {code: (None if (b["bid"], code) in missing else shown(value))
                              for code, value in s.contributions.items()} if s else {},
            "total": shown(s.total) if s and b["bid"] not in {m[0] for m in missing} else None,
            "rank": r.rank if r else None, "decided_by": r.decided_by if r else None,
            "tied_with": [str(x) for x in r.tied_with] if r else [],
            "abnormally_low_suspected": b["suspected"], "status": b["status"],
            "complete": s is not None and b["bid"] not in {m[0] for m in missing},
        })
    rows.sort(key=lambda row: (row["rank"] is None, row["rank"] or 0,
                               -(Decimal(row["total"]) if row["total"] else Decimal(-1))))
    return rows


def ranking(tender: Tender, *, price_method: str | None = None) -> dict:
    """The ranking: live until it is frozen (then as it was frozen). ``price_method`` shows the other price
    method on the same inputs, without storing anything."""
    from .models import RankingSnapshot

    snapshot = RankingSnapshot.objects.filter(tender_id=tender.pk).first()
    if snapshot is not None:
        method = price_method or snapshot.price_method
        rows = snapshot.rows if method == snapshot.price_method else ranking_from_inputs(snapshot.inputs,
                                                                                         price_method=method)
        return {"frozen": True, "frozen_at": snapshot.frozen_at, "price_method": method, "rows": rows,
                "inputs": snapshot.inputs}
    method = price_method or tender.price_method
    inputs = ranking_inputs(tender)
    return {"frozen": False, "frozen_at": None, "price_method": method,
            "rows": ranking_from_inputs(inputs, price_method=method), "inputs": inputs}


def requests_of_bid(bid: Bid):
    """The requests made to a bidder about its bid, with their answers and documents."""
    from .models import BidRequest

    return BidRequest.objects.filter(bid_id=bid.pk).prefetch_related("documents").order_by("requested_at", "id")


# --- evaluation: the buyer's console pages -------------------------------------------------------------------


def evaluation_board(tender: Tender) -> list[Bid]:
    """The evaluated bids with what the classification page shows: documents, requests to the bidder with
    their answers and documents, who classified (a fixed number of queries whatever the number of bids).
    The requests are prefetched under ``requests``, which the bid's own rules read (``_pending_request``)."""
    from .models import BidRequest

    return list(evaluated_bids(tender).select_related("classified_by").prefetch_related(
        Prefetch("documents", queryset=BidDocument.objects.order_by("uploaded_at", "id")),
        Prefetch("requests", queryset=BidRequest.objects.select_related("responded_by")
                 .prefetch_related("documents").order_by("requested_at", "id"))))


def evaluator_candidates():
    """Staff who may sit on a panel: active people with the evaluator role."""
    from procurement.accounts.models import User
    from procurement.permissions import EVALUATOR

    return (User.objects.filter(groups__name=EVALUATOR, is_active=True).distinct()
            .order_by("last_name", "first_name", "email"))


def consensus_count(tender: Tender) -> int:
    from .models import Consensus

    return Consensus.objects.filter(bid__tender_id=tender.pk).count()


def ranking_snapshot(tender: Tender):
    from .models import RankingSnapshot

    return RankingSnapshot.objects.filter(tender_id=tender.pk).select_related("frozen_by").first()


def bid_request_document_get(*, user, document_id, bid_id=None):
    """A document sent with a bidder's answer to a request: for the bidder's own company, and for staff who may
    read the tender's bids (403 otherwise); 404 for anyone else, or when ``bid_id`` names another bid."""
    from .models import BidRequestDocument

    documents = BidRequestDocument.objects.select_related("request__bid__tender")
    if bid_id is not None:
        documents = documents.filter(request__bid_id=bid_id)
    document = get_or_404(documents, id=document_id, message=_("Document introuvable"))
    bid = document.request.bid
    if bid.company_id in own_company_ids(user):
        return document
    if not is_staff_member(user) or bid.status not in EVALUATED_STATES_SET:
        raise Http404
    require_bid_contents_readable(user, bid.tender)
    return document


def bid_with_classification(bid_id) -> Bid:
    """A bid with what its evaluation summary shows (company, who classified); the caller checked access."""
    return Bid.objects.select_related("company", "classified_by").get(pk=bid_id)


def score_get(score_id):
    from .models import Score

    return Score.objects.select_related("bid__company", "criterion", "evaluator").get(pk=score_id)


def contract_of(tender: Tender):
    """The tender's contract with its holder and signatures (``None`` before the award)."""
    from .models import Contract

    return (Contract.objects.filter(tender_id=tender.pk).select_related("tender", "holder")
            .prefetch_related("signatures__signed_by").first())


# --- evaluation pages: the evaluator's panels and grid, the bidder's requests --------------------------------


def panels_of_user(user) -> list:
    """"My panels": every seat of ``user`` (a declared conflict included, as the record of it), with the
    tender and the sheet's progress: ``admissible_count`` bids × ``criteria_count`` scored criteria to score,
    ``scored_count`` done, ``frozen`` once the ranking is kept. One query whatever the number of seats."""
    from .models import Criterion, CriterionKind, PanelMember, RankingSnapshot, Score

    if not (user and user.is_authenticated):
        return []
    admissible = (Bid.objects.filter(tender=OuterRef("tender_id"), status=BidStatus.ADMISSIBLE).order_by()
                  .values("tender").annotate(n=Count("id")).values("n"))
    criteria = (Criterion.objects.filter(tender=OuterRef("tender_id")).exclude(kind=CriterionKind.PRICE)
                .exclude(kind=CriterionKind.DELAY, tender__delay_scored_by_panel=False).order_by()
                .values("tender").annotate(n=Count("id")).values("n"))
    scored = (Score.objects.filter(bid__tender=OuterRef("tender_id"), evaluator=OuterRef("evaluator_id"),
                                   bid__status=BidStatus.ADMISSIBLE).order_by()
              .values("evaluator").annotate(n=Count("id")).values("n"))
    seats = list(
        PanelMember.objects.filter(evaluator=user).select_related("tender", "tender__category")
        .annotate(admissible_count=Coalesce(Subquery(admissible), 0), criteria_count=Coalesce(Subquery(criteria), 0),
                  scored_count=Coalesce(Subquery(scored), 0),
                  frozen=Exists(RankingSnapshot.objects.filter(tender=OuterRef("tender_id"))))
        .order_by("removed_at", "submitted_at", "-tender__opened_at", "-added_at", "id")
    )
    for seat in seats:
        seat.to_score = seat.admissible_count * seat.criteria_count
        seat.remaining = max(seat.to_score - seat.scored_count, 0)
    return seats


def own_panel_seat(user, tender: Tender):
    """The caller's seat on this tender's panel, a declared conflict included (``None``: not on the panel)."""
    from .models import PanelMember

    if not (user and user.is_authenticated):
        return None
    return PanelMember.objects.filter(tender_id=tender.pk, evaluator_id=user.pk).first()


def scoring_grid(*, user, tender: Tender) -> dict:
    """The evaluator's grid: the scored criteria, the admissible bids with their documents, and the scores the
    caller may see (blind scoring: ``scores_for_user``), split into its own and the other submitted sheets.
    Refused (403) before the declaration of impartiality and off the panel. A fixed number of queries."""
    from .services.evaluation import scored_criteria

    require_bid_contents_readable(user, tender)
    criteria = scored_criteria(tender)
    bids = list(tender.bids.filter(status=BidStatus.ADMISSIBLE).select_related("company", "tender")
                .prefetch_related(Prefetch("documents", queryset=BidDocument.objects.order_by("uploaded_at", "id")))
                .order_by("submitted_at", "id")) if tender.opened_at is not None else []
    seen = scores_for_user(user=user, tender=tender)
    own = {(s.bid_id, s.criterion.code): s for s in seen["scores"] if s.evaluator_id == user.pk}
    others = [s for s in seen["scores"] if s.evaluator_id != user.pk]
    seat = next((m for m in seen["panel"] if m.evaluator_id == user.pk), None)
    return {"criteria": criteria, "bids": bids, "own": own, "others": others, "seat": seat,
            "panel": seen["panel"], "consensus": seen["consensus"],
            "to_score": len(bids) * len(criteria),
            "scored": sum(1 for b in bids for c in criteria if (b.id, c.code) in own)}


def pending_request(bid: Bid, requests):
    """The request among ``requests`` (of this bid) that waits on the bidder now: unanswered, not expired,
    its due date ahead, and the bid in the state that waits for it. ``None`` otherwise."""
    from procurement.workflow import allowed_actions

    if "respond" not in allowed_actions(bid):
        return None
    now = clock.now()
    waiting = [r for r in requests if r.responded_at is None and r.expired_at is None and r.due_at > now]
    return max(waiting, key=lambda r: r.requested_at) if waiting else None


def my_bids(user) -> QuerySet[Bid]:
    """A supplier's bids for its list, each with the due date of the request that waits on it, if any."""
    from .models import BidRequest

    due = (BidRequest.objects.filter(bid=OuterRef("pk"), responded_at__isnull=True, expired_at__isnull=True,
                                     due_at__gt=clock.now(),
                                     bid__status__in=[BidStatus.REGULARISATION_REQUESTED,
                                                      BidStatus.JUSTIFICATION_REQUESTED])
           .order_by("-requested_at").values("due_at")[:1])
    return bids_of_user(user).annotate(request_due_at=Subquery(due))


def bids_waiting_on_user(user) -> list[Bid]:
    """The bids of the person's companies that a request of the buyer waits on (answer before its due date)."""
    return list(my_bids(user).filter(request_due_at__isnull=False).order_by("request_due_at"))



# --- award and contract ------------------------------------------------------------------------------------
# Staff see every award and contract. A supplier sees the winner's evidence checklist only when its own
# company is the proposed winner, a contract only when its company holds it, and the letters of its own bids;
# anything else is "not found".


def live_proposal_of(tender: Tender):
    from .models import AwardProposal

    return (AwardProposal.objects.filter(tender_id=tender.pk, withdrawn_at__isnull=True)
            .select_related("bid__company", "proposed_by", "approved_by").first())


def winner_evidence_tender_get(*, user, tender_id) -> tuple[Tender, object]:
    """The tender and its live proposal, for the winner-evidence checklist: staff, or a member of the proposed
    winner's company (404 for anyone else). The proposal is None when there is none (staff only)."""
    tender = tender_get(user=user, tender_id=tender_id)
    proposal = live_proposal_of(tender)
    if not is_staff_member(user) and (proposal is None or proposal.bid.company_id not in own_company_ids(user)):
        raise Http404("tender introuvable")
    return tender, proposal


def award_proposals(tender: Tender):
    """Every proposal of a tender, withdrawn ones included, oldest first."""
    from .models import AwardProposal

    return (AwardProposal.objects.filter(tender_id=tender.pk)
            .select_related("bid__company", "proposed_by", "approved_by", "withdrawn_by")
            .order_by("proposed_at", "id"))


def contracts_for_user(user, *, tender_id=None) -> QuerySet:
    """Staff: every contract; a supplier: those its companies hold. Signatures loaded (fixed query count)."""
    from .models import Contract, ContractSignature

    if not (user and user.is_authenticated):
        return Contract.objects.none()
    qs = Contract.objects.select_related("tender", "holder").prefetch_related(
        Prefetch("signatures", queryset=ContractSignature.objects.select_related("signed_by").order_by("signed_at", "id")))
    if not is_staff_member(user):
        qs = qs.filter(holder_id__in=_user_company_ids(user))
    if tender_id is not None:
        qs = qs.filter(tender_id=tender_id)
    return qs.order_by("-created_at", "id")


def contract_get(*, user, contract_id):
    return get_or_404(contracts_for_user(user), id=contract_id)


def debrief_request_get(*, user, request_id):
    """A debrief request: staff, or a member of the bidder's company (404 otherwise)."""
    from .models import DebriefRequest

    qs = DebriefRequest.objects.select_related("bid__company", "bid__tender")
    if not is_staff_member(user):
        qs = qs.filter(bid__company_id__in=_user_company_ids(user)) if user.is_authenticated else qs.none()
    return get_or_404(qs, id=request_id)


def debrief_of(bid: Bid):
    from .models import DebriefRequest

    return DebriefRequest.objects.filter(bid_id=bid.pk).first()


def proposals_awaiting_approval(user) -> QuerySet:
    """The approvals inbox: the live proposal of every tender waiting for its approval, oldest first, with the
    tender, the proposed bid's company and the proposer (one query whatever the number of rows)."""
    from .models import AwardProposal

    return (AwardProposal.objects.filter(withdrawn_at__isnull=True, tender__status=TenderStatus.AWARD_PROPOSED,
                                         tender__in=Tender.objects.visible_to(user))
            .select_related("tender", "tender__category", "bid__company", "proposed_by")
            .order_by("proposed_at", "id"))


def debrief_requests(user, *, open_only: bool = False, tender_id=None) -> QuerySet:
    """Staff: the debrief requests (R2181-4) of the tenders they see, the unanswered ones first by due date."""
    from .models import DebriefRequest

    qs = (DebriefRequest.objects.filter(bid__tender__in=Tender.objects.visible_to(user))
          .select_related("bid__company", "bid__tender", "requested_by", "answered_by"))
    if open_only:
        qs = qs.filter(answered_at__isnull=True)
    if tender_id is not None:
        qs = qs.filter(bid__tender_id=tender_id)
    return qs.order_by(F("answered_at").desc(nulls_first=True), "due_at", "id")
