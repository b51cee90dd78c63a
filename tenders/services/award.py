"""The award (DOMAIN.md "Award"): proposal, the winner's evidence, four-eyes approval, letters, debriefing.

Rules enforced here:
- a buyer proposes, with a reason, only the first-ranked admissible bid, once every opened bid is
  classified and every admissible bid has its consensus score on every criterion the panel scores;
  proposing freezes the ranking (``ranking_freeze``), which is never computed again;
- the intended winner's evidence is checked by ``suppliers.evidence_checks`` (Kbis under 3 months, URSSAF
  vigilance under 6 months, tax certificate, liability and decennial insurance covering the category's
  trade, none expired at the expected works start); a buyer may ask it for what is missing, by a due date;
- another person than the proposer, with the approver role, approves (four eyes), and only when that
  evidence is complete: the tender is ``awarded``, its bid ``awarded``, every other admissible bid
  ``not_retained`` (bids set aside keep their class), the contract is created, every bidder gets its
  letter, and the standstill ends 11 days after the letters (R2182-1) when the tender has one;
- a proposal may be withdrawn; with ``eliminate`` its bid is ``eliminated`` (R2144-7) and the next-ranked
  bid becomes proposable; the frozen ranking is not recomputed;
- a rejected bidder may ask within 15 days of its letter for the characteristics and relative advantages of
  the retained bid; a buyer answers, due 15 days after the request (R2181-4).

Action names (audit and API): ``propose-award``, ``request-winner-evidence``, ``approve-award``,
``withdraw-proposal``, ``eliminate``, ``award``, ``not-retain``, ``debrief-request``, ``debrief-answer``.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from procurement import audit, calendar, clock
from procurement.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from procurement.notifications import notify_many
from procurement.permissions import APPROVER, BUYER, require_role
from procurement.workflow import allowed_actions, apply_transition, check_allowed
from suppliers import evidence_checks
from suppliers.models import EvidenceDocument, Membership
from suppliers.services import evidence_mark_relied_on, require_member

from .. import award_documents
from .. import letters as letter_rules
from ..models import (
    EVALUATED_STATES,
    AwardProposal,
    Bid,
    BidStatus,
    Consensus,
    Contract,
    DebriefRequest,
    Tender,
    TenderStatus,
)
from .evaluation import _due_at, _text, is_frozen, ranking_freeze, scored_criteria
from .inputs import when

# Opened bids still waiting for a class: the award waits for them.
UNCLASSIFIED_STATES = (BidStatus.OPENED, BidStatus.REGULARISATION_REQUESTED, BidStatus.JUSTIFICATION_REQUESTED)


def _refused(tender: Tender, message: str) -> InvalidTransition:
    return InvalidTransition(message, state=tender.status, allowed_transitions=allowed_actions(tender))


def _member_emails(company_id) -> list[tuple[str, str]]:
    return list(Membership.objects.filter(company_id=company_id).order_by("user__email")
                .values_list("user__email", "company__name"))


def live_proposal(tender: Tender) -> AwardProposal | None:
    return (AwardProposal.objects.filter(tender_id=tender.pk, withdrawn_at__isnull=True)
            .select_related("bid__company", "proposed_by", "approved_by").first())


# --- what may be proposed --------------------------------------------------------------------------------


def proposal_problems(tender: Tender, bids: list[Bid]) -> dict[str, list[str]]:
    """What stops a proposal before the ranking is frozen: one entry per bid still unclassified and per
    missing consensus score (keyed ``<bid id>.<criterion code>``)."""
    errors: dict[str, list[str]] = {}
    for bid in bids:
        if bid.status in UNCLASSIFIED_STATES:
            errors[str(bid.id)] = [_("%(company)s : l'offre n'est pas encore classée.") % {"company": bid.company.name}]
    admissible = [b for b in bids if b.status == BidStatus.ADMISSIBLE]
    if not admissible:
        errors.setdefault("bid", []).append(_("Aucune offre n'est recevable : le marché peut être déclaré "
                                              "infructueux."))
    criteria = scored_criteria(tender)
    done = set(Consensus.objects.filter(bid__in=admissible).values_list("bid_id", "criterion_id"))
    for bid in admissible:
        for criterion in criteria:
            if (bid.id, criterion.id) not in done:
                errors[f"{bid.id}.{criterion.code}"] = [
                    _("%(company)s — « %(criterion)s » : note de consensus manquante.")
                    % {"company": bid.company.name, "criterion": criterion.name}]
    return errors


def first_proposable(rows: list[dict], statuses: dict[str, str]) -> str | None:
    """The bid id of the best-ranked row whose bid is admissible now (eliminated bids are passed over)."""
    ranked = sorted((row for row in rows if row.get("rank") is not None), key=lambda row: row["rank"])
    return next((row["bid"] for row in ranked if statuses.get(row["bid"]) == BidStatus.ADMISSIBLE), None)


def proposable_bid_id(tender: Tender) -> str | None:
    """The bid a proposal may name now, by the frozen ranking (or the live one before the freeze)."""
    from .. import selectors

    statuses = {str(pk): status for pk, status in Bid.objects.filter(tender_id=tender.pk).values_list("id", "status")}
    return first_proposable(selectors.ranking(tender)["rows"], statuses)


def award_propose(*, actor, tender: Tender, bid, reason: str) -> AwardProposal:
    """Propose the first-ranked admissible bid (buyer). The ranking is frozen by the first proposal."""
    from .. import selectors

    require_role(actor, BUYER)
    reason = _text(reason, "reason", message=_("Indiquez le motif de la proposition d'attribution."))
    bid_id = str(getattr(bid, "pk", bid) or "")
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        check_allowed(tender, "propose_award")
        bids = list(Bid.objects.select_for_update(of=("self",)).select_related("company")
                    .filter(tender=tender, status__in=EVALUATED_STATES).order_by("id"))
        by_id = {str(b.id): b for b in bids}
        frozen = is_frozen(tender)
        if not frozen:
            problems = proposal_problems(tender, bids)
            if problems:
                raise ValidationFailed(problems)
        chosen = by_id.get(bid_id)
        if chosen is None:
            raise ValidationFailed({"bid": [_("Offre inconnue sur ce marché.")]})
        first = first_proposable(selectors.ranking(tender)["rows"], {k: b.status for k, b in by_id.items()})
        if chosen.status != BidStatus.ADMISSIBLE or bid_id != first:
            expected = by_id[first].company.name if first else "—"
            raise ValidationFailed({"bid": [_("Seule l'offre recevable classée première peut être proposée "
                                              "(%(company)s).") % {"company": expected}]})
        if not frozen:
            ranking_freeze(actor=actor, tender=tender)
        proposal = AwardProposal.objects.create(tender=tender, bid=chosen, reason=reason, proposed_by=actor,
                                                proposed_at=clock.now())
        apply_transition(tender, "propose_award", actor=actor, object_type="tender",
                         reason=audit.message(gettext_noop("%(company)s : %(reason)s"), company=chosen.company.name,
                                              reason=reason))
        tender_id = tender.id
        transaction.on_commit(lambda: award_documents.after_proposal(tender_id))
    return proposal


# --- the winner's evidence -------------------------------------------------------------------------------


def expected_works_start(tender: Tender) -> dt.date:
    """The earliest the works may start: the end of the standstill (as it is, or as it would be were the
    letters sent today), never before today."""
    today = calendar.local_date()
    if tender.standstill_ends_at is not None:
        return max(today, calendar.local_date(tender.standstill_ends_at))
    if tender.standstill and tender.status != TenderStatus.AWARDED:
        return calendar.local_date(letter_rules.standstill_end(clock.now()))
    return today


def winner_checklist(tender: Tender, company) -> list[evidence_checks.EvidenceCheck]:
    documents = EvidenceDocument.objects.current().filter(company_id=company.pk)
    return evidence_checks.winner_evidence(company, trade=tender.category.trade,
                                           works_start=expected_works_start(tender), documents=documents)


def winner_evidence_request(*, actor, tender: Tender, due_at) -> AwardProposal:
    """Ask the proposed winner for what its evidence lacks, by ``due_at`` (buyer); mailed to its members."""
    require_role(actor, BUYER)
    due = _due_at(due_at)
    with transaction.atomic():
        tender = Tender.objects.select_for_update().select_related("category").get(pk=tender.pk)
        if tender.status != TenderStatus.AWARD_PROPOSED:
            raise _refused(tender, _("Les justificatifs se demandent au candidat pressenti, une fois l'attribution "
                                     "proposée."))
        proposal = live_proposal(tender)
        company = proposal.bid.company
        checks = winner_checklist(tender, company)
        missing = [c for c in checks if not c.ok]
        if not missing:
            raise ValidationFailed({"evidence": [_("Les justificatifs du candidat pressenti sont complets et "
                                                   "valides : rien à demander.")]})
        now = clock.now()
        proposal.evidence_requested_at, proposal.evidence_due_at = now, due
        proposal.save(update_fields=["evidence_requested_at", "evidence_due_at"])
        audit.record(obj=tender, object_type="tender", action="request-winner-evidence", actor=actor,
                     from_state=tender.status, to_state=tender.status,
                     reason=audit.message(gettext_noop("%(company)s, avant le %(due)s : %(items)s"),
                                          company=company.name, due=due,
                                          items="; ".join(f"{c.label} ({c.status})" for c in missing)))
        notify_many(
            (f"winner-evidence:{proposal.id}:{now.isoformat()}:{email}", email, "winner_evidence_requested",
             {"tender": tender, "company_name": name, "due": when(due), "missing": missing})
            for email, name in _member_emails(company.pk))
    return proposal


# --- approval ---------------------------------------------------------------------------------------------


def award_approve(*, actor, tender: Tender) -> Contract:
    """Approve the proposal (an approver who is not the proposer): bids' final states, the contract, the
    letters and the standstill."""
    from .contracts import contract_create

    require_role(actor, APPROVER)
    with transaction.atomic():
        tender = Tender.objects.select_for_update().select_related("category").get(pk=tender.pk)
        check_allowed(tender, "approve_award")
        proposal = live_proposal(tender)
        if proposal.proposed_by_id == actor.pk:
            raise NotAllowed(_("L'attribution doit être approuvée par une autre personne que celle qui l'a "
                               "proposée (principe des quatre yeux)."))
        bids = list(Bid.objects.select_for_update(of=("self",)).select_related("company")
                    .filter(tender=tender, status__in=EVALUATED_STATES).order_by("id"))
        winner = next(b for b in bids if b.pk == proposal.bid_id)
        checks = winner_checklist(tender, winner.company)
        problems = evidence_checks.evidence_problems(checks)
        if problems:
            raise ValidationFailed(problems)
        now = clock.now()
        # The approval relied on these documents: they may no longer be deleted.
        evidence_mark_relied_on(company_id=winner.company_id, documents=[c.document for c in checks], at=now)
        ends = letter_rules.standstill_end(now) if tender.standstill else None
        apply_transition(tender, "approve_award", actor=actor, object_type="tender",
                         reason=audit.message(gettext_noop("Attribution à %(company)s approuvée."),
                                              company=winner.company.name),
                         by=actor, at=now, standstill_ends_at=ends)
        winner.tender = tender
        apply_transition(winner, "award", actor=actor, object_type="bid")
        for bid in bids:
            if bid.pk != winner.pk and bid.status == BidStatus.ADMISSIBLE:
                bid.tender = tender
                apply_transition(bid, "not_retain", actor=actor, object_type="bid", action="not-retain")
        proposal.approved_at, proposal.approved_by = now, actor
        proposal.save(update_fields=["approved_at", "approved_by"])
        contract = contract_create(tender=tender, bid=winner, at=now)
        # The letters are mailed now (the standstill runs from their sending); their signed PDFs follow,
        # each in its own mail with the PDF attached (award_documents, via the kinds' delivery).
        _mail_letters(tender)
        tender_id = tender.id
        transaction.on_commit(lambda: award_documents.after_award(tender_id))
    return contract


def _mail_letters(tender: Tender) -> int:
    """Every bidder's letter, to every member of its company (once per letter and person)."""
    rows = letter_rules.letters(tender)
    members: dict = {}
    for email, company_id, name in Membership.objects.filter(company_id__in=[r.company_id for r in rows]) \
            .order_by("user__email").values_list("user__email", "company_id", "company__name"):
        members.setdefault(str(company_id), []).append((email, name))
    return notify_many(
        (f"{letter.kind}:{tender.id}:{letter.bid}:{email}", email, letter.kind,
         {"tender": tender, "letter": letter, "company_name": name})
        for letter in rows for email, name in members.get(letter.company_id, []))


def ended_tender_letters(tender: Tender) -> int:
    """At a cancellation or a declaration of unsuccess: every bidder's letter (mails queued)."""
    return _mail_letters(tender)


# --- withdrawal -------------------------------------------------------------------------------------------


def award_withdraw(*, actor, tender: Tender, reason: str, eliminate: bool = False) -> AwardProposal:
    """Withdraw the proposal (buyer) → ``opened``. With ``eliminate``, its bid is eliminated (R2144-7): the
    winner could not prove its situation; the next-ranked bid becomes proposable."""
    require_role(actor, BUYER)
    if not isinstance(eliminate, bool):
        raise ValidationFailed({"eliminate": [_("Vrai ou faux attendu.")]})
    reason = _text(reason, "reason", message=_("Indiquez le motif du retrait."))
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        check_allowed(tender, "withdraw_proposal")
        proposal = live_proposal(tender)
        now = clock.now()
        proposal.withdrawn_at, proposal.withdrawn_by = now, actor
        proposal.withdrawal_reason, proposal.eliminated = reason, eliminate
        proposal.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason", "eliminated"])
        apply_transition(tender, "withdraw_proposal", actor=actor, object_type="tender", reason=reason)
        if eliminate:
            bid = Bid.objects.select_for_update(of=("self",)).select_related("company").get(pk=proposal.bid_id)
            bid.tender = tender
            apply_transition(bid, "eliminate", actor=actor, object_type="bid",
                             reason=audit.message(gettext_noop("%(reason)s (R2144-7)"), reason=reason), note=reason,
                             by=actor, at=now)
            bid_id = bid.id
            transaction.on_commit(lambda: award_documents.after_elimination(bid_id))
    return proposal


# --- debriefing (R2181-4) ---------------------------------------------------------------------------------


def debrief_request_create(*, actor, bid: Bid, text: str) -> DebriefRequest:
    """A rejected bidder asks, within 15 days of its letter, for the characteristics and relative advantages
    of the retained bid; the buyer has 15 days to answer."""
    text = _text(text, "text", message=_("Écrivez votre demande."))
    with transaction.atomic():
        bid = Bid.objects.select_for_update(of=("self",)).select_related("company", "tender").get(pk=bid.pk)
        require_member(actor, bid.company)
        tender = bid.tender
        if tender.status != TenderStatus.AWARDED or bid.status not in letter_rules.LETTER_STATES \
                or bid.status == BidStatus.AWARDED:
            raise InvalidTransition(_("Seul un soumissionnaire dont l'offre n'a pas été retenue peut demander les "
                                      "caractéristiques et avantages de l'offre retenue, après l'attribution."),
                                    state=bid.status, allowed_transitions=[])
        now = clock.now()
        until = letter_rules.debrief_deadline(tender.letters_sent_at)
        if now > until:
            raise Conflict(_("Le délai de 15 jours pour cette demande a expiré le %(date)s (R2181-4).")
                           % {"date": when(until)}, state=bid.status, allowed_transitions=[])
        if DebriefRequest.objects.filter(bid=bid).exists():
            raise Conflict(_("Une demande a déjà été faite pour cette offre."), state=bid.status,
                           allowed_transitions=[])
        request = DebriefRequest.objects.create(bid=bid, text=text, requested_by=actor, requested_at=now,
                                                due_at=calendar.add_calendar_days(now, letter_rules.DEBRIEF_DAYS))
        audit.record(obj=bid, object_type="bid", action="debrief-request", actor=actor, from_state=bid.status,
                     to_state=bid.status, reason=text)
        staff = [u for u in (tender.created_by, tender.published_by) if u is not None]
        notify_many(
            (f"debrief-request:{request.id}:{user.email}", user.email, "debrief_requested",
             {"tender": tender, "bid": bid, "request": request, "due": when(request.due_at)})
            for user in {u.pk: u for u in staff}.values())
    return request


def debrief_answer(*, actor, request: DebriefRequest, text: str) -> DebriefRequest:
    """The buyer's answer; the bidder is told."""
    require_role(actor, BUYER)
    text = _text(text, "text", message=_("Écrivez la réponse."))
    with transaction.atomic():
        request = DebriefRequest.objects.select_for_update().select_related("bid__company", "bid__tender") \
            .get(pk=request.pk)
        bid = request.bid
        if request.is_answered:
            raise Conflict(_("Cette demande a déjà reçu une réponse le %(at)s.") % {"at": when(request.answered_at)},
                           state="answered", allowed_transitions=[])
        request.answer, request.answered_by, request.answered_at = text, actor, clock.now()
        request.save(update_fields=["answer", "answered_by", "answered_at"])
        audit.record(obj=bid, object_type="bid", action="debrief-answer", actor=actor, from_state=bid.status,
                     to_state=bid.status, reason=text)
        notify_many(
            (f"debrief-answer:{request.id}:{email}", email, "debrief_answered",
             {"tender": bid.tender, "bid": bid, "request": request, "company_name": name})
            for email, name in _member_emails(bid.company_id))
    return request

