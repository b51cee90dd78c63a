"""The documents of the award, registered by ``tenders.documents.register_kinds``.

- ``analysis_report`` (the award proposal; a new version at its approval): the classification of every bid
  with its reason, the handling of abnormally low bids (detection, request, answer, decision), each
  criterion's scores per evaluator and the consensus with its rationale, the price scores with their formula,
  the weighted totals, the ranking and the tie-break used, the proposal and its approval. Staff only.
- ``award_letter`` (the approval) and ``rejection_letter`` (the approval; at once for a bid eliminated under
  R2144-7, then a new version at the approval): built from ``tenders.letters`` (``Letter.as_dict()``), the
  structure the letter mails are written from, so that the mail and the PDF never disagree. A letter never
  carries the scores of a bidder other than its reader and the winner.
- ``contract`` (the approval; a new version once both parties signed): the acte d'engagement. The signed
  version carries two PAdES signatures by the platform's seal: the holder's acceptance (the holder's
  identity in the signature's reason and contact), then the buyer's signature.
- ``award_notice`` (the notification): the avis d'attribution.

Each hook runs after its service's transaction commits (``transaction.on_commit``); asking again for a stage
a document was made for returns the existing one, a new stage makes a new version (``_request_stage``).
"""

from __future__ import annotations

import logging
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings

from procurement.documents import registry
from procurement.documents.services import document_request
from procurement.models import DocumentKind, GeneratedDocument

from . import letters as letter_rules
from . import selectors
from .evaluation import pricing
from .evaluation import ranking as ranking_rules
from .models import (
    AwardProposal,
    Bid,
    BidRequest,
    BidStatus,
    Consensus,
    Contract,
    ContractParty,
    Criterion,
    PanelMember,
    PriceMethod,
    Score,
    Tender,
    TenderStatus,
)

log = logging.getLogger(__name__)

OWNER = "tender"
CENT = Decimal("0.01")

# Classes that set a bid aside, and the article each rests on.
GROUNDS = {
    BidStatus.IRREGULAR: "L2152-2", BidStatus.UNACCEPTABLE: "L2152-3", BidStatus.INAPPROPRIATE: "L2152-4",
    BidStatus.ABNORMALLY_LOW: "L2152-5", BidStatus.ELIMINATED: "R2144-7", BidStatus.LATE: "R2151-5",
}
FORMULAS = {
    PriceMethod.PROPORTIONAL: "N = 10 × Pmin / P",
    PriceMethod.LINEAR: "N = 10 × (Pmax − P) / (Pmax − Pmin)",
}


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _person(user) -> dict:
    if user is None:
        return {"name": "", "email": ""}
    return {"name": user.get_full_name(), "email": user.email}


def _company(company) -> dict:
    return {"id": str(company.id), "name": company.name, "identifier": company.identifier,
            "siret": company.siret or "", "vat_number": company.vat_number, "legal_form": company.legal_form,
            "address": ", ".join(part for part in (company.street, f"{company.postal_code} {company.city}".strip())
                                 if part)}


def _buyer() -> dict:
    return {"name": settings.BUYER_NAME, "address": settings.LANDLORD_ADDRESS, "siren": settings.LANDLORD_SIREN}


def _tender(tender: Tender) -> dict:
    return {"id": str(tender.id), "reference": tender.reference, "title": tender.title,
            "object": tender.description, "operation": tender.operation_name, "address": tender.operation_address,
            "commune": tender.operation_commune, "insee": tender.operation_insee_code,
            "dwellings": tender.dwellings, "category": tender.category.name, "dps": tender.dps.reference,
            "estimated_value": str(tender.estimated_value), "works_duration_weeks": tender.works_duration_weeks}


def _tender_of(document: GeneratedDocument) -> Tender:
    return Tender.objects.select_related("category", "dps").get(pk=document.object_id)


# --- requests: one document per stage -------------------------------------------------------------------


def _request_stage(*, kind: str, key: str, stage: str, tender_id, company_id=None, params: dict | None = None,
                   actor=None) -> GeneratedDocument:
    """The document of ``key`` at ``stage``: the latest version when one was made for that stage already (a hook
    run again, late or twice, makes nothing new), else a new version (the first one when there is none)."""
    latest = GeneratedDocument.objects.filter(key=key).order_by("-version").first()
    if latest is not None and GeneratedDocument.objects.filter(key=key, params__stage=stage).exists():
        return latest
    return document_request(kind=kind, object_type=OWNER, object_id=tender_id, company_id=company_id, key=key,
                            params={**(params or {}), "stage": stage}, actor=actor, regenerate=latest is not None)


def analysis_report_request(tender_id, *, stage: str) -> GeneratedDocument | None:
    proposal = AwardProposal.objects.filter(tender_id=tender_id).order_by("-proposed_at", "-id").first()
    if proposal is None:
        return None
    actor = proposal.approved_by if stage == "approval" else proposal.proposed_by
    return _request_stage(kind=DocumentKind.ANALYSIS_REPORT, key=f"analysis_report:{tender_id}",
                          stage=f"{stage}:{proposal.id}", tender_id=tender_id,
                          params={"proposal": str(proposal.id), "approved": stage == "approval"}, actor=actor)


def letter_request(bid: Bid, *, stage: str) -> GeneratedDocument | None:
    """The letter of one bid (an eliminated bid's, at once)."""
    letter = letter_rules.letter_for(bid)
    if letter is None:
        return None
    return _letter_stage(letter, tender_id=bid.tender_id, stage=stage)


def award_letter_requests(tender: Tender, *, stage: str) -> list[GeneratedDocument]:
    """The letter of every bidder of an awarded tender: the bids, the frozen ranking and the winner's reasons
    are read once for all of them (``letters.letters``), not once per letter."""
    return [_letter_stage(letter, tender_id=tender.pk, stage=stage) for letter in letter_rules.letters(tender)]


def _letter_stage(letter: letter_rules.Letter, *, tender_id, stage: str) -> GeneratedDocument:
    return _request_stage(kind=letter.kind, key=f"{letter.kind}:{letter.bid}", stage=stage, tender_id=tender_id,
                          company_id=letter.company_id, params={"bid": letter.bid})


def contract_request(contract: Contract, *, stage: str) -> GeneratedDocument:
    return _request_stage(kind=DocumentKind.CONTRACT, key=f"contract:{contract.id}", stage=stage,
                          tender_id=contract.tender_id, company_id=contract.holder_id,
                          params={"bid": str(contract.bid_id), "contract": str(contract.id)})


def award_notice_request(contract: Contract) -> GeneratedDocument:
    return _request_stage(kind=DocumentKind.AWARD_NOTICE, key=f"award_notice:{contract.id}", stage="notified",
                          tender_id=contract.tender_id, params={"contract": str(contract.id)},
                          actor=contract.notified_by)


def _hook(what: str, function, *args, **kwargs) -> None:
    """A document hook never undoes the decision that committed before it: a failure is logged, and the
    document can be asked for again."""
    try:
        function(*args, **kwargs)
    except Exception:
        log.exception("The %s could not be requested", what)


def after_proposal(tender_id) -> None:
    """``transaction.on_commit`` hook of ``award_propose``: the analysis report with the proposal."""
    _hook("analysis report", analysis_report_request, tender_id, stage="proposal")


def _award(tender_id) -> None:
    tender = Tender.objects.filter(pk=tender_id, status=TenderStatus.AWARDED).first()
    if tender is not None:
        award_letter_requests(tender, stage="award")
    analysis_report_request(tender_id, stage="approval")
    contract = Contract.objects.filter(tender_id=tender_id).first()
    if contract is not None:
        contract_request(contract, stage="award")


def after_award(tender_id) -> None:
    """``transaction.on_commit`` hook of ``award_approve``: the award letter, a rejection letter to every other
    bidder, the analysis report with the approval (a new version) and the contract to sign."""
    _hook("documents of the award", _award, tender_id)


def after_elimination(bid_id) -> None:
    """``transaction.on_commit`` hook of ``award_withdraw(eliminate=True)``: the eliminated bid's letter."""
    bid = Bid.objects.filter(pk=bid_id, status=BidStatus.ELIMINATED).select_related("company").first()
    if bid is not None:
        _hook("rejection letter", letter_request, bid, stage="elimination")


def after_contract_signed(contract_id) -> None:
    """``transaction.on_commit`` hook of ``contract_sign`` once both parties signed: the contract again, a new
    version carrying both signatures."""
    contract = Contract.objects.filter(pk=contract_id, signed_at__isnull=False).first()
    if contract is not None:
        _hook("signed contract", contract_request, contract, stage="signed")


def after_contract_notified(contract_id) -> None:
    """``transaction.on_commit`` hook of ``contract_notify``: the award notice."""
    contract = Contract.objects.filter(pk=contract_id, notified_at__isnull=False).first()
    if contract is not None:
        _hook("award notice", award_notice_request, contract)


def signed_contract(contract: Contract) -> GeneratedDocument | None:
    """The latest ready version of the contract carrying both signatures, if any (the notification's
    attachment)."""
    return (GeneratedDocument.objects.filter(key=f"contract:{contract.id}", status="ready",
                                             params__stage="signed").order_by("-version").first())


# --- the letters -----------------------------------------------------------------------------------------


def build_letter(document: GeneratedDocument) -> dict:
    """An award or rejection letter: ``Letter.as_dict()`` (what the mail says) and the letterhead's parties."""
    bid = Bid.objects.select_related("company", "tender__dps", "tender__category").get(pk=document.params["bid"])
    letter = letter_rules.letter_for(bid)
    if letter is None or letter.kind != document.kind:
        raise ValueError(f"The bid {bid.id} has no {document.kind} now.")
    tender = bid.tender
    data = letter.as_dict()
    data.update({
        "buyer": _buyer(),
        "recipient": _company(bid.company),
        "tender": {**data["tender"], **_tender(tender)},
        "bid_received_at": _iso(bid.submitted_at),
        "bid_total_price": None if bid.total_price is None else str(bid.total_price),
        "awarded": tender.status == TenderStatus.AWARDED,
        "awarded_at": _iso(tender.awarded_at),
        "standstill_days": letter_rules.STANDSTILL_DAYS,
        "debrief_days": letter_rules.DEBRIEF_DAYS,
    })
    if letter.is_award:
        contract = Contract.objects.filter(bid=bid).first()
        data["contract"] = {"number": contract.number, "amount": str(contract.amount),
                            "duration_weeks": contract.duration_weeks} if contract else None
    return data


def build_cancellation_letter(document: GeneratedDocument) -> dict:
    """A tender declared sans suite or infructueux: ``Letter.as_dict()`` (what the mail says) and the
    letterhead's parties. Nothing of the bid is read: a tender ended before the opening keeps every bid
    sealed."""
    bid = Bid.objects.select_related("company", "tender__dps", "tender__category").get(pk=document.params["bid"])
    letter = letter_rules.letter_for(bid)
    if letter is None or letter.kind != letter_rules.CANCELLATION_LETTER:
        raise ValueError("The tender was not declared sans suite or infructueux.")
    tender = bid.tender
    data = letter.as_dict()
    data.update({
        "buyer": _buyer(),
        "recipient": _company(bid.company),
        "tender": {**data["tender"], **_tender(tender)},
        "decision_label": "Déclaration d'infructuosité" if letter.unsuccessful else "Déclaration sans suite",
        "opened": tender.opened_at is not None,
        "bid_received_at": _iso(bid.submitted_at),
    })
    return data


# --- the analysis report ---------------------------------------------------------------------------------


def _rule_label(rule: str, names: dict) -> str:
    if rule == "price":
        return "le prix total le plus bas"
    if rule == "received_at":
        return "l'offre reçue la première"
    if rule == "bid_id":
        return "l'identifiant de l'offre (heures de réception identiques)"
    return f"la meilleure note sur « {names.get(rule, rule)} »"


def _price_formula(row: dict, *, method: str, pmin: Decimal, pmax: Decimal) -> str:
    price = Decimal(row["total_price"])
    score = row.get("price_score") or "—"
    if method == PriceMethod.PROPORTIONAL:
        return f"10 × {pmin} / {price} = {score}"
    if pmax == pmin:
        return f"prix égaux : {score}"
    return f"10 × ({pmax} − {price}) / ({pmax} − {pmin}) = {score}"


def _requests(bids) -> dict:
    found: dict = {}
    for request in BidRequest.objects.filter(bid__in=bids).select_related("requested_by").prefetch_related(
            "documents").order_by("requested_at", "id"):
        found.setdefault(str(request.bid_id), []).append({
            "kind": request.kind, "kind_label": str(request.get_kind_display()), "message": request.message,
            "requested_at": _iso(request.requested_at), "requested_by": _person(request.requested_by),
            "due_at": _iso(request.due_at), "response": request.response, "responded_at": _iso(request.responded_at),
            "expired_at": _iso(request.expired_at),
            "documents": [{"name": d.filename, "sha256": d.sha256} for d in request.documents.all()]})
    return found


def build_analysis_report(document: GeneratedDocument) -> dict:
    tender = _tender_of(document)
    criteria = list(Criterion.objects.filter(tender=tender).order_by("position", "id"))
    names = {c.code: c.name for c in criteria}
    ranking = selectors.ranking(tender)
    rows = ranking["rows"]
    method = ranking["price_method"]
    bids = list(Bid.objects.filter(tender=tender, status__in=letter_rules.LETTER_STATES)
                .select_related("company", "classified_by").order_by("submitted_at", "id"))
    evaluated = [b for b in bids if b.status != BidStatus.LATE]
    requests = _requests(evaluated)
    detection = selectors.anomalies(tender)
    anomalies = {row["bid"]: row for row in detection["bids"]}

    classification = []
    for bid in bids:
        anomaly = anomalies.get(str(bid.id))
        bid_requests = requests.get(str(bid.id), [])
        justification = [r for r in bid_requests if r["kind"] == "justification"]
        classification.append({
            "bid": str(bid.id), "company": bid.company.name, "identifier": bid.company.identifier,
            "received_at": _iso(bid.submitted_at), "total_price": None if bid.total_price is None
            else str(bid.total_price), "status": bid.status, "status_label": str(BidStatus(bid.status).label),
            "ground": GROUNDS.get(bid.status, ""), "reason": bid.classification_reason,
            "classified_by": _person(bid.classified_by), "classified_at": _iso(bid.classified_at),
            "examined": bid.status != BidStatus.LATE, "requests": bid_requests,
            "abnormally_low": None if anomaly is None else {
                "suspected": anomaly["suspected"], "gap_to_mean": anomaly["gap_to_mean"],
                "gap_to_estimate": anomaly["gap_to_estimate"], "reference": anomaly["reference"],
                "threshold_amount": anomaly["threshold_amount"], "lines": anomaly["lines"],
                "justification_requested": bool(justification),
                "decision": ("rejected" if bid.status == BidStatus.ABNORMALLY_LOW
                             else "accepted" if justification and bid.status not in (
                                 BidStatus.JUSTIFICATION_REQUESTED, BidStatus.OPENED) else None)},
        })

    # Scores per evaluator and the consensus, per admissible bid and criterion the panel judges.
    members = list(PanelMember.objects.filter(tender=tender).select_related("evaluator").order_by("added_at", "id"))
    scores: dict = {}
    for score in Score.objects.filter(bid__tender=tender).select_related("criterion", "evaluator"):
        scores.setdefault((str(score.bid_id), score.criterion.code), []).append(
            {"evaluator": score.evaluator.get_full_name() or score.evaluator.email, "email": score.evaluator.email,
             "score": str(score.score), "comment": score.comment})
    consensus = {(str(c.bid_id), c.criterion.code): c for c in
                 Consensus.objects.filter(bid__tender=tender).select_related("criterion", "recorded_by")}
    panel_codes = sorted({code for _bid, code in consensus} | {code for _bid, code in scores},
                         key=lambda code: [c.code for c in criteria].index(code) if code in names else 99)
    company_of = {str(b.id): b.company.name for b in bids}
    # The bids the ranking scored (admissible at the freeze): a bid set aside has no place in the scores.
    scored = [row for row in rows if row.get("total_price") and row.get("price_score")]
    panel_scores = []
    for code in panel_codes:
        lines = []
        for row in scored:
            if (row["bid"], code) not in consensus and (row["bid"], code) not in scores:
                continue
            agreed = consensus.get((row["bid"], code))
            lines.append({"bid": row["bid"], "company": company_of.get(row["bid"], row["company"]),
                          "scores": sorted(scores.get((row["bid"], code), []), key=lambda s: s["email"]),
                          "consensus": str(agreed.score) if agreed else None,
                          "rationale": agreed.rationale if agreed else "",
                          "recorded_by": _person(agreed.recorded_by) if agreed else None})
        panel_scores.append({"code": code, "name": names.get(code, code), "lines": lines})

    prices = [Decimal(row["total_price"]) for row in scored]
    pmin, pmax = (min(prices), max(prices)) if prices else (None, None)
    rules = ranking_rules.applied_tie_break(
        tender.tie_break or None, [pricing.Criterion(code=c.code, kind=c.kind, weight=c.weight) for c in criteria])
    status_of = {str(b.id): b.status for b in bids}
    table = []
    for row in scored:
        status = status_of.get(row["bid"], row["status"])
        table.append({
            "bid": row["bid"], "company": row["company"], "status": status,
            "status_label": str(BidStatus(status).label), "total_price": row["total_price"],
            "price_score": row["price_score"], "price_formula": _price_formula(row, method=method, pmin=pmin, pmax=pmax),
            "scores": [{"code": c.code, "score": (row.get("scores") or {}).get(c.code),
                        "points": (row.get("contributions") or {}).get(c.code)} for c in criteria],
            "total": row.get("total"), "rank": row.get("rank"),
            "tied_with": [company_of.get(other, other) for other in row.get("tied_with") or []],
            "decided_by": _rule_label(row["decided_by"], names) if row.get("decided_by") else "",
        })

    proposals = []
    for proposal in selectors.award_proposals(tender):
        approved = proposal.approved_at is not None and document.params.get("approved")
        proposals.append({
            "id": str(proposal.id), "company": proposal.bid.company.name, "bid": str(proposal.bid_id),
            "reason": proposal.reason, "proposed_by": _person(proposal.proposed_by),
            "proposed_at": _iso(proposal.proposed_at), "withdrawn_at": _iso(proposal.withdrawn_at),
            "withdrawn_by": _person(proposal.withdrawn_by), "withdrawal_reason": proposal.withdrawal_reason,
            "eliminated": proposal.eliminated,
            "approved_at": _iso(proposal.approved_at) if approved else None,
            "approved_by": _person(proposal.approved_by) if approved else None})
    return {
        "kind": "analysis_report",
        "buyer": _buyer(),
        "tender": _tender(tender),
        "opened_at": _iso(tender.opened_at),
        "criteria": [{"code": c.code, "name": c.name, "kind": c.kind, "kind_label": str(c.get_kind_display()),
                      "weight": c.weight} for c in criteria],
        "price_method": method,
        "price_method_label": str(PriceMethod(method).label),
        "price_formula": FORMULAS.get(method, ""),
        "pmin": None if pmin is None else str(pmin), "pmax": None if pmax is None else str(pmax),
        "abnormally_low": {"method": tender.abnormally_low_method,
                           "method_label": str(tender.get_abnormally_low_method_display()),
                           "threshold": detection["threshold"], "mean": detection["mean"],
                           "reduced_mean": detection["reduced_mean"], "sigma": detection["sigma"]},
        "classification": classification,
        "panel": [{"name": m.evaluator.get_full_name(), "email": m.evaluator.email,
                   "declared_at": _iso(m.declared_at), "no_conflict": m.no_conflict,
                   "submitted_at": _iso(m.submitted_at), "sheet_sha256": m.sheet_sha256,
                   "removed_at": _iso(m.removed_at), "removal_reason": m.removal_reason} for m in members],
        "panel_scores": panel_scores,
        "ranking": table,
        "frozen_at": _iso(ranking["frozen_at"]),
        "tie_break": [{"rule": rule, "label": _rule_label(rule, names)} for rule in rules],
        "proposals": proposals,
        "approved": bool(document.params.get("approved")),
        "awarded_at": _iso(tender.awarded_at) if document.params.get("approved") else None,
    }


# --- the contract ----------------------------------------------------------------------------------------


def vat(amount: Decimal) -> dict:
    rate = Decimal(str(settings.CONTRACT_VAT_RATE))
    tax = (amount * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    return {"rate": str(rate), "vat": str(tax), "including_vat": str(amount + tax)}


def build_contract(document: GeneratedDocument) -> dict:
    contract = (Contract.objects.select_related("tender__category", "tender__dps", "holder", "bid")
                .get(pk=document.params["contract"]))
    signed = document.params.get("stage") == "signed"
    signatures = [{"party": s.party, "party_label": str(ContractParty(s.party).label),
                   "name": s.signed_by.get_full_name() if s.signed_by else "",
                   "email": s.signed_by.email if s.signed_by else "", "at": _iso(s.signed_at)}
                  for s in contract.signatures.select_related("signed_by").order_by("signed_at", "id")]
    if signed and {s["party"] for s in signatures} != {ContractParty.HOLDER, ContractParty.BUYER}:
        raise ValueError("The contract is not signed by both parties.")
    by_party = {s["party"]: s for s in signatures} if signed else {}
    schedule = contract.schedule or []
    return {
        "kind": "contract",
        "number": contract.number,
        "buyer": {**_buyer(), "signatory": by_party.get(ContractParty.BUYER)},
        "holder": {**_company(contract.holder), "signatory": by_party.get(ContractParty.HOLDER)},
        "tender": _tender(contract.tender),
        "awarded_at": _iso(contract.tender.awarded_at),
        "amount": str(contract.amount),
        **{f"amount_{key}": value for key, value in vat(contract.amount).items()},
        "duration_weeks": contract.duration_weeks,
        "standstill_ends_at": _iso(contract.standstill_ends_at),
        "schedule": schedule,
        "schedule_total": str(sum((Decimal(line["amount"]) for line in schedule if line.get("amount")), Decimal(0))),
        "signed": signed,
        "signatures": signatures if signed else [],
        "signed_at": _iso(contract.signed_at) if signed else None,
    }


def contract_signatures(document: GeneratedDocument, data: dict) -> list[registry.Signature]:
    """The signed version: the holder's acceptance, then the buyer's signature (the unsigned version: the
    platform's one seal)."""
    if not data.get("signed"):
        return []
    holder, buyer = data["holder"], data["buyer"]
    accepted, signed = holder["signatory"], buyer["signatory"]
    return [
        registry.Signature(
            field="AcceptationTitulaire", anchor="signature-holder", contact=accepted["email"],
            reason=(f"Acceptation du titulaire {holder['name']} (SIRET {holder['identifier']}) par "
                    f"{accepted['name'] or accepted['email']} <{accepted['email']}> le {accepted['at']} — "
                    f"marché {data['number']}")),
        registry.Signature(
            field="SignatureAcheteur", anchor="signature-buyer", contact=signed["email"],
            reason=(f"Signature de l'acheteur {buyer['name']} par {signed['name'] or signed['email']} "
                    f"<{signed['email']}> le {signed['at']} — marché {data['number']}")),
    ]


# --- the award notice ------------------------------------------------------------------------------------


def build_award_notice(document: GeneratedDocument) -> dict:
    contract = (Contract.objects.select_related("tender__category", "tender__dps", "holder")
                .get(pk=document.params["contract"]))
    tender = contract.tender
    received = Bid.objects.filter(tender=tender).exclude(status__in=[BidStatus.DRAFT, BidStatus.WITHDRAWN])
    return {
        "kind": "award_notice",
        "buyer": _buyer(),
        "tender": _tender(tender),
        "procedure": "Marché spécifique passé dans le cadre d'un système d'acquisition dynamique "
                     "(articles R2162-37 à R2162-51 du code de la commande publique)",
        "number": contract.number,
        "holder": _company(contract.holder),
        "amount": str(contract.amount),
        "duration_weeks": contract.duration_weeks,
        "bids_received": received.exclude(status=BidStatus.LATE).count(),
        "late_bids": received.filter(status=BidStatus.LATE).count(),
        "awarded_at": _iso(tender.awarded_at),
        "signed_at": _iso(contract.signed_at),
        "notified_at": _iso(contract.notified_at),
        "award_notice_due": contract.award_notice_due.isoformat() if contract.award_notice_due else None,
    }


def register_award_kinds(deliver_to_company) -> None:
    registry.register(DocumentKind.ANALYSIS_REPORT, builder=build_analysis_report,
                      template="documents/analysis_report.html")
    registry.register(DocumentKind.AWARD_LETTER, builder=build_letter, template="documents/award_letter.html",
                      delivery=deliver_to_company)
    registry.register(DocumentKind.REJECTION_LETTER, builder=build_letter,
                      template="documents/rejection_letter.html", delivery=deliver_to_company)
    # The contract goes to the holder with the notification (``contract_notify``), not at each version.
    registry.register(DocumentKind.CONTRACT, builder=build_contract, template="documents/contract.html",
                      signatures=contract_signatures)
    registry.register(DocumentKind.AWARD_NOTICE, builder=build_award_notice, template="documents/award_notice.html")
