"""Every write of the evaluation, from the opened bids to a frozen ranking (DOMAIN.md "Evaluation").

Rules enforced here:
- only bids opened at the opening take part (``EVALUATED_STATES``); late and withdrawn bids never do;
- each opened bid is classified by a buyer, with a written reason except ``admissible``; ``abnormally_low``
  only once a justification was requested and answered, or its due date passed (L2152-5/6, R2152-3/4);
- a regularisation (R2152-2) goes to every bid classified ``irregular`` at that moment, together, never to an
  abnormally low one; the answer may add documents, never change a price; unanswered in time, the bid stays
  irregular (scheduled sweep);
- the panel: evaluators named by a buyer, each declaring first that it has no conflict of interest; blind
  scoring; a submitted sheet is locked and its SHA-256 goes into the audit chain;
- consensus per bid × criterion, by a buyer, once every member has submitted, with a rationale;
- the ranking is computed live (``tenders.selectors.ranking``) until ``ranking_freeze`` keeps it.

The arithmetic (price scores, tie-breaks, detection, score steps, sheet fingerprints) lives in
``tenders.evaluation``; this module loads, locks, checks who and when, stores and audits.

Action names (audit and API) are the API's: ``classify``, ``request-regularisation``,
``request-justification``, ``respond``, ``panel``, ``declare-impartiality``, ``scores-submit``, ``consensus``,
``freeze-ranking``.
"""

from __future__ import annotations

import uuid
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from procurement import audit, clock, inputs
from procurement.accounts.models import User
from procurement.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from procurement.notifications import notify, notify_many
from procurement.permissions import BUYER, EVALUATOR, has_role, require_role
from procurement.workflow import allowed_actions, apply_transition
from suppliers.evidence_files import check_upload
from suppliers.models import Membership
from suppliers.services import require_member

from ..evaluation import anomalies as detection
from ..evaluation import panel as panel_rules
from ..evaluation import pricing
from ..evaluation import ranking as ranking_rules
from ..models import (
    CLASSIFIED_STATES,
    EVALUATED_STATES,
    Bid,
    BidRequest,
    BidRequestDocument,
    BidRequestKind,
    BidStatus,
    Consensus,
    Criterion,
    CriterionKind,
    PanelMember,
    RankingSnapshot,
    Score,
    Tender,
    TenderStatus,
)
from .inputs import MAX_TEXT, when

# Fields of a bid that carry a price: a regularisation or a justification never changes them.
PRICE_FIELDS = ("total_price", "lines", "unit_price", "price", "prices", "amount", "duration_weeks")


# --- the tender's evaluation settings (cleaned with the rest of the tender input) -------------------------


def clean_evaluation_settings(data: dict, errors: dict[str, list[str]], *, criteria: list[dict]) -> dict:
    """The evaluation fields of a tender's input: ``abnormally_low: {method, threshold?}``, ``tie_break:
    [criterion code…]``, ``delay_scored_by_panel``. Only the keys present are returned (a partial update
    keeps the others)."""
    fields: dict = {}
    if "abnormally_low" in data:
        value = data.get("abnormally_low")
        setting, problems = detection.validate_detection_setting(None if value in (None, "") else value)
        for key, msgs in problems.items():
            errors.setdefault(key, []).extend(str(m) for m in msgs)
        if setting is not None:
            given = value.get("threshold") if isinstance(value, dict) else None
            fields["abnormally_low_method"] = setting.method
            # Not stated: null, the method's default (so a later change of the default applies).
            fields["abnormally_low_threshold"] = None if given is None else setting.threshold
    if "tie_break" in data:
        rows = [pricing.Criterion(code=c.get("code"), kind=c.get("kind"), weight=c.get("weight") or 0)
                for c in criteria]
        rules, problems = ranking_rules.validate_tie_break(data.get("tie_break") or None, rows)
        for key, msgs in problems.items():
            errors.setdefault(key, []).extend(str(m) for m in msgs)
        fields["tie_break"] = list(rules or [])
    if "delay_scored_by_panel" in data:
        value = data.get("delay_scored_by_panel")
        if not isinstance(value, bool):
            errors.setdefault("delay_scored_by_panel", []).append(_("Vrai ou faux attendu."))
        fields["delay_scored_by_panel"] = bool(value)
    return fields


# --- shared checks -------------------------------------------------------------------------------------------


# Input shapes are cleaned by procurement.inputs (texts up to MAX_TEXT; due dates still ahead).
_text = partial(inputs.text, max_length=MAX_TEXT)
_due_at = inputs.due_moment


def is_frozen(tender: Tender) -> bool:
    return RankingSnapshot.objects.filter(tender_id=tender.pk).exists()


def evaluation_is_open(tender: Tender) -> bool:
    """Classifications, requests, scores and consensus are recorded now (pages offer them only then)."""
    return tender.status == TenderStatus.OPENED and not is_frozen(tender)


def _require_evaluation_open(tender: Tender) -> None:
    """The evaluation runs on an opened tender, until the ranking is frozen at the award proposal."""
    if tender.status != TenderStatus.OPENED:
        raise InvalidTransition(
            _("L'évaluation n'est possible que sur un marché dont les plis sont ouverts (état actuel : "
              "« %(state)s »).") % {"state": tender.get_status_display()},
            state=tender.status, allowed_transitions=allowed_actions(tender))
    if is_frozen(tender):
        raise InvalidTransition(_("Le classement est figé depuis la proposition d'attribution."),
                                state=tender.status, allowed_transitions=allowed_actions(tender))


def _lock_bid(bid: Bid) -> Bid:
    locked = Bid.objects.select_for_update(of=("self",)).select_related("tender", "company").get(pk=bid.pk)
    return locked


def _member_emails(company_id) -> list[tuple[str, str]]:
    return list(Membership.objects.filter(company_id=company_id).order_by("user__email")
                .values_list("user__email", "company__name"))


def scored_criteria(tender: Tender, criteria=None) -> list[Criterion]:
    """The criteria the panel scores: every non-price one, except ``delay`` unless the panel judges it."""
    criteria = list(tender.criteria.all()) if criteria is None else criteria
    return [c for c in criteria if c.kind != CriterionKind.PRICE
            and (c.kind != CriterionKind.DELAY or tender.delay_scored_by_panel)]


def _scored_criterion(tender: Tender, code) -> Criterion:
    criteria = {c.code: c for c in scored_criteria(tender)}
    if not isinstance(code, str) or code not in criteria:
        raise ValidationFailed({"criterion": [
            _("Critère « %(code)s » inconnu ou non noté par la commission ; critères notés : %(codes)s.")
            % {"code": code, "codes": ", ".join(criteria) or "—"}]})
    return criteria[code]


# --- classification ------------------------------------------------------------------------------------------


def bid_classify(*, actor, bid: Bid, decision: str, reason: str = "") -> Bid:
    """Classify an opened bid (or classify it again, until the ranking is frozen).

    ``bid`` is the bid as the caller saw it: when its state changed meanwhile (another buyer classified it
    first), the call is refused (409) rather than recorded twice.
    """
    require_role(actor, BUYER)
    if decision not in CLASSIFIED_STATES:
        raise ValidationFailed({"decision": [_("Décision attendue : %(values)s.")
                                             % {"values": ", ".join(CLASSIFIED_STATES)}]})
    reason = _text(reason, "reason", required=decision != BidStatus.ADMISSIBLE,
                   message=_("Indiquez le motif de ce classement."))
    seen_state = bid.status
    with transaction.atomic():
        locked = _lock_bid(bid)
        _require_evaluation_open(locked.tender)
        if locked.status != seen_state:
            raise InvalidTransition(
                _("Cette offre a changé d'état entre-temps (« %(state)s ») : relisez-la avant de la classer.")
                % {"state": locked.get_status_display()},
                state=locked.status, allowed_transitions=allowed_actions(locked))
        now = clock.now()
        if decision == BidStatus.ABNORMALLY_LOW:
            apply_transition(
                locked, "classify_abnormally_low", actor=actor, object_type="bid", action="classify", reason=reason,
                refusal=_("Une offre ne peut être écartée comme anormalement basse qu'après une demande de "
                          "justification restée sans réponse à son échéance, ou dont la réponse a été examinée "
                          "(L2152-5, R2152-3)."),
                note=reason, by=actor, at=now)
        else:
            apply_transition(locked, "classify", actor=actor, object_type="bid", reason=reason, decision=decision,
                             note=reason, by=actor, at=now)
    return locked


def regularisation_request(*, actor, tender: Tender, message: str, due_at) -> list[Bid]:
    """R2152-2: ask every bid classified irregular now, together, to regularise (never one alone)."""
    require_role(actor, BUYER)
    message = _text(message, "message")
    due = _due_at(due_at)
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        _require_evaluation_open(tender)
        # Every evaluated bid is locked, in one order, so that the set of irregular bids is the one of this
        # instant (a classification in flight is either before or after).
        bids = list(Bid.objects.select_for_update(of=("self",)).select_related("company")
                    .filter(tender=tender, status__in=EVALUATED_STATES).order_by("id"))
        irregular = [b for b in bids if b.status == BidStatus.IRREGULAR]
        if not irregular:
            raise ValidationFailed({"bids": [_("Aucune offre n'est classée irrégulière : il n'y a rien à "
                                               "régulariser.")]})
        now = clock.now()
        requests = []
        for bid in irregular:
            bid.tender = tender
            request = BidRequest.objects.create(bid=bid, kind=BidRequestKind.REGULARISATION, message=message,
                                                due_at=due, requested_by=actor, requested_at=now)
            apply_transition(bid, "request_regularisation", actor=actor, object_type="bid",
                             reason=_request_reason(message, due))
            requests.append((bid, request))
        _mail_requests(requests)
    return irregular


def _request_reason(message: str, due) -> audit.Message:
    return audit.message(gettext_noop("%(message)s (échéance : %(due)s)"), message=message, due=due)


def justification_request(*, actor, bid: Bid, message: str, due_at) -> Bid:
    """L2152-5, R2152-3: ask the bidder to justify its price (prices, methods, conditions…)."""
    require_role(actor, BUYER)
    message = _text(message, "message")
    due = _due_at(due_at)
    with transaction.atomic():
        bid = _lock_bid(bid)
        _require_evaluation_open(bid.tender)
        now = clock.now()
        apply_transition(bid, "request_justification", actor=actor, object_type="bid",
                         reason=_request_reason(message, due))
        request = BidRequest.objects.create(bid=bid, kind=BidRequestKind.JUSTIFICATION, message=message,
                                            due_at=due, requested_by=actor, requested_at=now)
        _mail_requests([(bid, request)])
    return bid


def _mail_requests(requests: list[tuple[Bid, BidRequest]]) -> None:
    notify_many(
        (f"bid-request:{request.id}:{email}", email, "bid_request",
         {"tender": bid.tender, "bid": bid, "request": request, "company_name": name, "due": when(request.due_at),
          "regularisation": request.kind == BidRequestKind.REGULARISATION})
        for bid, request in requests for email, name in _member_emails(bid.company_id)
    )


def bid_respond(*, actor, bid: Bid, text: str, files=(), data: dict | None = None) -> BidRequest:
    """The bidder answers the request its bid waits on (text and documents); the bid goes back to ``opened``
    for the buyer to classify again. Prices never change: any price field in the input is refused."""
    price_fields = sorted(key for key in (data or {}) if key in PRICE_FIELDS)
    if price_fields:
        raise ValidationFailed({key: [_("Les prix d'une offre ne peuvent pas être modifiés après l'ouverture des "
                                        "plis : la réponse peut apporter des explications et des pièces, pas "
                                        "de nouveaux prix (R2152-2).")] for key in price_fields})
    require_member(actor, bid.company)
    text = _text(text, "text", message=_("Écrivez votre réponse."))
    files = [f for f in (files or []) if f is not None]
    checked = []
    for index, uploaded in enumerate(files):
        try:
            checked.append(check_upload(uploaded, max_bytes=settings.EVIDENCE_MAX_UPLOAD_BYTES))
        except ValueError as exc:
            raise ValidationFailed({"file" if len(files) == 1 else f"file[{index}]": [str(exc)]})
    pending = bid._pending_request()
    if pending is None:
        raise InvalidTransition(_("Aucune demande n'attend de réponse pour cette offre."), state=bid.status,
                                allowed_transitions=allowed_actions(bid))
    # The files go to storage before the row locks are taken (slow work never runs under a lock).
    documents = []
    try:
        for uploaded, check in zip(files, checked, strict=True):
            document = BidRequestDocument(request=pending, filename=check.filename, content_type=check.content_type,
                                          size=check.size, sha256=check.sha256, uploaded_by=actor)
            uploaded.seek(0)
            document.file.save(check.filename, uploaded, save=False)
            documents.append(document)
        with transaction.atomic():
            bid = _lock_bid(bid)
            request = bid._pending_request()
            if request is None or request.pk != pending.pk:
                raise InvalidTransition(_("Cette demande a déjà reçu une réponse."), state=bid.status,
                                        allowed_transitions=allowed_actions(bid))
            now = clock.now()
            if now >= request.due_at:
                raise InvalidTransition(
                    _("L'échéance de cette demande (%(due)s) est passée : la réponse n'est plus possible.")
                    % {"due": when(request.due_at)}, state=bid.status, allowed_transitions=[])
            request.response = text
            request.responded_by = actor
            request.responded_at = now
            request.save(update_fields=["response", "responded_by", "responded_at"])
            for document in documents:
                document.save()
            listed = "; ".join(f"{d.filename} (SHA-256 {d.sha256})" for d in documents)
            apply_transition(bid, "respond", actor=actor, object_type="bid",
                             reason=[audit.message(gettext_noop("Réponse à la demande de %(kind)s."),
                                                   kind=BidRequestKind(request.kind).label),
                                     *([audit.message(gettext_noop("Pièces : %(files)s."), files=listed)]
                                       if documents else [])])
            if request.requested_by_id:
                notify(key=f"bid-request-answered:{request.id}", to=request.requested_by.email,
                       template="bid_request_answered",
                       context={"tender": bid.tender, "bid": bid, "request": request})
    except Exception:
        for document in documents:
            document.file.delete(save=False)
        raise
    return request


def regularisations_expire() -> int:
    """Scheduled: a regularisation not answered by its due date leaves the bid irregular (R2152-2)."""
    now = clock.now()
    ids = list(BidRequest.objects.filter(kind=BidRequestKind.REGULARISATION, responded_at__isnull=True,
                                         expired_at__isnull=True, due_at__lte=now,
                                         bid__status=BidStatus.REGULARISATION_REQUESTED)
               .values_list("bid_id", flat=True).distinct())
    count = 0
    for bid_id in ids:
        with transaction.atomic():
            bid = Bid.objects.select_for_update(of=("self",)).get(pk=bid_id)
            request = bid._pending_request(BidRequestKind.REGULARISATION)
            if bid.status != BidStatus.REGULARISATION_REQUESTED or request is None or not bid.waiting_request_overdue():
                continue
            apply_transition(bid, "expire_regularisation", actor=None, object_type="bid",
                             reason=audit.message(gettext_noop("Régularisation non reçue à l'échéance du %(due)s : "
                                                               "l'offre reste irrégulière."), due=request.due_at))
            BidRequest.objects.filter(pk=request.pk).update(expired_at=clock.now())
            count += 1
    return count


# --- the panel -----------------------------------------------------------------------------------------------


def _find_evaluator(ref) -> User | None:
    if not isinstance(ref, str | uuid.UUID):
        return None
    text = str(ref).strip()
    try:
        lookup = Q(pk=uuid.UUID(text))
    except ValueError:
        lookup = Q(email__iexact=text)
    try:
        return User.objects.filter(lookup, is_active=True).first()
    except (ValueError, TypeError):
        return None


def panel_set(*, actor, tender: Tender, evaluators: list) -> list[PanelMember]:
    """Name the panel (staff with the evaluator role). Removing a member who already scored is refused;
    an evaluator who declared a conflict of interest cannot be named again on this tender."""
    require_role(actor, BUYER)
    if not isinstance(evaluators, list):
        raise ValidationFailed({"evaluators": [_("Liste d'identifiants ou d'adresses e-mail attendue.")]})
    errors: dict[str, list[str]] = {}
    wanted: dict = {}
    for index, ref in enumerate(evaluators):
        user = _find_evaluator(ref)
        if user is None:
            errors[f"evaluators[{index}]"] = [_("Agent introuvable : %(ref)s.") % {"ref": ref}]
        elif not has_role(user, EVALUATOR):
            errors[f"evaluators[{index}]"] = [_("%(email)s n'a pas le rôle d'évaluateur.") % {"email": user.email}]
        else:
            wanted[user.pk] = user
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        if tender.status not in (TenderStatus.DRAFT, TenderStatus.PUBLISHED, TenderStatus.CLOSED,
                                 TenderStatus.OPENED) or is_frozen(tender):
            raise InvalidTransition(_("La commission ne se modifie plus dans l'état actuel du marché."),
                                    state=tender.status, allowed_transitions=allowed_actions(tender))
        current = {m.evaluator_id: m for m in PanelMember.objects.select_for_update().select_related("evaluator")
                   .filter(tender=tender)}
        for index, ref in enumerate(evaluators):
            user = _find_evaluator(ref)
            member = current.get(user.pk)
            if member is not None and not member.active:
                errors[f"evaluators[{index}]"] = [
                    _("%(email)s a déclaré un conflit d'intérêts sur ce marché : il ne peut pas y siéger.")
                    % {"email": user.email}]
        leaving = [m for m in current.values() if m.active and m.evaluator_id not in wanted]
        scored = set(Score.objects.filter(bid__tender=tender, evaluator_id__in=[m.evaluator_id for m in leaving])
                     .values_list("evaluator_id", flat=True))
        for member in leaving:
            if member.evaluator_id in scored:
                errors.setdefault("evaluators", []).append(
                    _("%(email)s a déjà noté des offres : il ne peut plus être retiré de la commission.")
                    % {"email": member.evaluator.email})
        if errors:
            raise ValidationFailed(errors)
        joining = [user for pk, user in wanted.items() if pk not in current]
        PanelMember.objects.filter(pk__in=[m.pk for m in leaving]).delete()
        now = clock.now()
        PanelMember.objects.bulk_create([PanelMember(tender=tender, evaluator=user, added_by=actor, added_at=now)
                                         for user in joining])
        if joining or leaving:
            names = ", ".join(sorted(u.email for u in wanted.values())) or "—"
            details = [audit.message(gettext_noop("Commission : %(names)s."), names=names)]
            if joining:
                details.append(audit.message(gettext_noop("Nommés : %(names)s."),
                                             names=", ".join(sorted(u.email for u in joining))))
            if leaving:
                details.append(audit.message(gettext_noop("Retirés : %(names)s."),
                                             names=", ".join(sorted(m.evaluator.email for m in leaving))))
            audit.record(obj=tender, object_type="tender", action="panel", actor=actor, from_state=tender.status,
                         to_state=tender.status, reason=details)
            notify_many(
                (f"panel-named:{tender.id}:{user.pk}:{now.isoformat()}", user.email, "panel_named",
                 {"tender": tender}) for user in joining)
    return list(PanelMember.objects.filter(tender=tender).select_related("evaluator").order_by("added_at", "id"))


def _active_member(actor, tender: Tender, *, lock: bool = False) -> PanelMember:
    qs = PanelMember.objects.filter(tender=tender, evaluator=actor, removed_at__isnull=True) \
        if actor is not None and actor.is_authenticated else PanelMember.objects.none()
    if lock:
        qs = qs.select_for_update()
    member = qs.first()
    if member is None:
        raise NotAllowed(_("Vous ne siégez pas dans la commission d'évaluation de ce marché."))
    return member


def _declared_member(actor, tender: Tender, *, lock: bool = False) -> PanelMember:
    member = _active_member(actor, tender, lock=lock)
    if not member.declared:
        raise NotAllowed(_("Déclarez d'abord l'absence de conflit d'intérêts avant de consulter ou de noter les "
                           "offres."))
    return member


def impartiality_declare(*, actor, tender: Tender, no_conflict, statement: str = "") -> PanelMember:
    """The evaluator's declaration, before it reads any bid. A declared conflict takes it off the panel."""
    if not isinstance(no_conflict, bool):
        raise ValidationFailed({"no_conflict": [_("Indiquez si vous avez un conflit d'intérêts (vrai ou faux).")]})
    statement = _text(statement, "statement", required=not no_conflict,
                      message=_("Décrivez le conflit d'intérêts déclaré."))
    with transaction.atomic():
        member = _active_member(actor, tender, lock=True)
        if member.declared and no_conflict:
            raise Conflict(_("Vous avez déjà déclaré l'absence de conflit d'intérêts le %(at)s.")
                           % {"at": when(member.declared_at)})
        now = clock.now()
        member.declared_at = now
        member.no_conflict = no_conflict
        member.statement = statement
        if not no_conflict:
            member.removed_at = now
            member.removal_reason = statement
        member.save(update_fields=["declared_at", "no_conflict", "statement", "removed_at", "removal_reason"])
        reason = (_("%(email)s déclare n'avoir aucun conflit d'intérêts.") if no_conflict else
                  _("%(email)s déclare un conflit d'intérêts et quitte la commission.")) % {"email": actor.email}
        audit.record(obj=tender, object_type="tender", action="declare-impartiality", actor=actor,
                     reason=reason + (f" {statement}" if statement else ""))
    return member


# --- scores --------------------------------------------------------------------------------------------------


def score_put(*, actor, bid: Bid, criterion: str, score, comment: str = "") -> Score:
    """An evaluator's score on a non-price criterion of an admissible bid; posting again replaces it, until the
    evaluator submits its sheet."""
    tender = Tender.objects.get(pk=bid.tender_id)
    _declared_member(actor, tender)
    criterion_obj = _scored_criterion(tender, criterion)
    value = inputs.checked("score", panel_rules.clean_evaluator_score(score))
    comment = _text(comment, "comment", required=False)
    with transaction.atomic():
        member = _declared_member(actor, tender, lock=True)
        if member.submitted:
            raise Conflict(_("Votre grille a été remise le %(at)s : elle est verrouillée.")
                           % {"at": when(member.submitted_at)}, state="submitted", allowed_transitions=[])
        _require_evaluation_open(tender)
        bid = Bid.objects.get(pk=bid.pk)
        if bid.status != BidStatus.ADMISSIBLE:
            raise InvalidTransition(_("Seules les offres classées recevables sont notées."), state=bid.status,
                                    allowed_transitions=allowed_actions(bid))
        row, _created = Score.objects.update_or_create(
            bid=bid, criterion=criterion_obj, evaluator=actor,
            defaults={"score": value, "comment": comment, "updated_at": clock.now()})
    return row


def sheet_lines(member: PanelMember) -> list:
    """The evaluator's sheet as it is fingerprinted: every score it gave on this tender."""
    rows = (Score.objects.filter(bid__tender_id=member.tender_id, evaluator_id=member.evaluator_id)
            .select_related("criterion"))
    return [panel_rules.SheetLine(bid_id=s.bid_id, criterion=s.criterion.code, score=s.score, comment=s.comment)
            for s in rows]


def sheet_fingerprint(member: PanelMember) -> str:
    """SHA-256 of the sheet as stored now: equal to ``member.sheet_sha256`` unless a locked score changed."""
    return panel_rules.sheet_sha256(tender_id=member.tender_id, evaluator_id=member.evaluator_id,
                                    lines=sheet_lines(member))


def scores_submit(*, actor, tender: Tender) -> PanelMember:
    """Lock the evaluator's sheet: every non-price criterion of every admissible bid must be scored. The
    sheet's SHA-256 is written into the audit chain, so a later change to a locked score shows."""
    with transaction.atomic():
        member = _declared_member(actor, tender, lock=True)
        tender = Tender.objects.get(pk=tender.pk)
        if member.submitted:
            raise Conflict(_("Votre grille a déjà été remise le %(at)s.") % {"at": when(member.submitted_at)},
                           state="submitted", allowed_transitions=[])
        _require_evaluation_open(tender)
        criteria = scored_criteria(tender)
        bids = list(Bid.objects.filter(tender=tender, status=BidStatus.ADMISSIBLE).select_related("company")
                    .order_by("submitted_at", "id"))
        if not bids:
            raise ValidationFailed({"bids": [_("Aucune offre n'est encore classée recevable : rien à noter.")]})
        done = set(Score.objects.filter(bid__in=bids, evaluator=actor).values_list("bid_id", "criterion_id"))
        missing = {f"{bid.id}.{c.code}": [_("%(company)s — « %(criterion)s » : note manquante.")
                                          % {"company": bid.company.name, "criterion": c.name}]
                   for bid in bids for c in criteria if (bid.id, c.id) not in done}
        if missing:
            raise ValidationFailed(missing)
        member.submitted_at = clock.now()
        member.sheet_sha256 = sheet_fingerprint(member)
        member.save(update_fields=["submitted_at", "sheet_sha256"])
        audit.record(obj=tender, object_type="tender", action="scores-submit", actor=actor,
                     reason=audit.message(gettext_noop("Grille de %(email)s remise et verrouillée ; SHA-256 %(sha)s."),
                                          email=actor.email, sha=member.sheet_sha256))
    return member


def consensus_record(*, actor, bid: Bid, criterion: str, score, rationale: str) -> Consensus:
    """The consensus score of a bid on a criterion, with its rationale, once every panel member submitted.
    Recording it again changes it; every change is audited with its rationale."""
    require_role(actor, BUYER)
    rationale = _text(rationale, "rationale", message=_("Justifiez la note de consensus."))
    value = inputs.checked("score", panel_rules.clean_consensus_score(score))
    with transaction.atomic():
        bid = _lock_bid(bid)
        tender = bid.tender
        criterion_obj = _scored_criterion(tender, criterion)
        _require_evaluation_open(tender)
        if bid.status != BidStatus.ADMISSIBLE:
            raise InvalidTransition(_("Seules les offres classées recevables reçoivent une note de consensus."),
                                    state=bid.status, allowed_transitions=allowed_actions(bid))
        members = list(PanelMember.objects.filter(tender=tender, removed_at__isnull=True))
        waiting = [m for m in members if not m.submitted]
        if not members or waiting:
            raise Conflict(_("La note de consensus s'enregistre quand tous les membres de la commission ont remis "
                             "leur grille (%(done)s sur %(total)s).")
                           % {"done": len(members) - len(waiting), "total": len(members)},
                           state="scoring", allowed_transitions=[])
        existing = Consensus.objects.select_for_update().filter(bid=bid, criterion=criterion_obj).first()
        now = clock.now()
        if existing is None:
            row = Consensus.objects.create(bid=bid, criterion=criterion_obj, score=value, rationale=rationale,
                                           recorded_by=actor, recorded_at=now)
            change = audit.message(gettext_noop("%(code)s : %(score)s. %(rationale)s"), code=criterion_obj.code,
                                   score=value, rationale=rationale)
        else:
            change = audit.message(gettext_noop("%(code)s : %(old)s → %(score)s. %(rationale)s"),
                                   code=criterion_obj.code, old=existing.score, score=value, rationale=rationale)
            existing.score, existing.rationale = value, rationale
            existing.recorded_by, existing.recorded_at = actor, now
            existing.save(update_fields=["score", "rationale", "recorded_by", "recorded_at"])
            row = existing
        audit.record(obj=bid, object_type="bid", action="consensus", actor=actor, from_state=bid.status,
                     to_state=bid.status, reason=change)
    return row


# --- the ranking ---------------------------------------------------------------------------------------------


def ranking_freeze(*, actor, tender: Tender) -> RankingSnapshot:
    """Keep the ranking as it is now, with its inputs (called at the award proposal). Frozen once."""
    from .. import selectors

    require_role(actor, BUYER)
    with transaction.atomic():
        tender = Tender.objects.select_for_update().get(pk=tender.pk)
        if is_frozen(tender):
            raise Conflict(_("Le classement de ce marché est déjà figé."), state=tender.status,
                           allowed_transitions=allowed_actions(tender))
        if tender.status not in (TenderStatus.OPENED, TenderStatus.AWARD_PROPOSED):
            raise InvalidTransition(_("Le classement se fige sur un marché dont les plis sont ouverts."),
                                    state=tender.status, allowed_transitions=allowed_actions(tender))
        # The bids are locked so that no classification or consensus slips in between the reading and the
        # freezing.
        list(Bid.objects.select_for_update(of=("self",)).filter(tender=tender, status__in=EVALUATED_STATES)
             .order_by("id"))
        inputs = selectors.ranking_inputs(tender)
        result = selectors.ranking_from_inputs(inputs, price_method=tender.price_method)
        snapshot = RankingSnapshot.objects.create(tender=tender, frozen_at=clock.now(), frozen_by=actor,
                                                  price_method=tender.price_method, rows=result, inputs=inputs)
        audit.record(obj=tender, object_type="tender", action="freeze-ranking", actor=actor,
                     from_state=tender.status, to_state=tender.status,
                     reason=audit.message(gettext_noop("Classement figé (%(count)s offres classées)."),
                                          count=sum(1 for row in result if row["rank"] is not None)))
    return snapshot
