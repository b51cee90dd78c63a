"""The buyer's evaluation workspace of an opened tender, under /console/marches/<id>/evaluation/.

Steps: classification → anomalies → panel → scores → consensus → ranking. Each page reads through
``tenders.selectors`` and each action calls one service of ``tenders.services.evaluation``; the actions
offered are the ones the bid's state machine allows now (``allowed_actions``), and the services refuse
anything else. Reading needs the right to read the tender's bids: a buyer or an approver, or an evaluator
of the panel who declared no conflict of interest (403 otherwise); acting needs the buyer role.

Late and withdrawn bids stay in the deposit register: they never appear here.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from procurement import spreadsheets
from procurement.confirmation import irreversible
from procurement.errors import NotAllowed
from procurement.spreadsheets import DECIMAL, INTEGER, MONEY, Column
from procurement.web import (
    INVALID,
    OK,
    actor_name,
    buyer_or_message,
    call_service,
    can_act,
    file_response,
    staff_required,
)
from procurement.workflow import allowed_actions

from .. import selectors, services
from ..evaluation import classification as hints
from ..evaluation import ranking as ranking_rules
from ..evaluation.pricing import PRICE, Criterion
from ..forms.award import ProposeForm
from ..forms.evaluation import BidRequestForm, ClassifyForm, ConsensusForm, PanelForm
from ..models import BidDocumentKind, BidRequestKind, BidStatus, PriceMethod, Tender, TenderStatus
from ..services import award as award_services
from ..services import evaluation as evaluation_services

STATE_LABELS = {**dict(BidStatus.choices)}
TENDER_STATES = dict(TenderStatus.choices)

# The decisions of the classify action (``classify``) and the one of ``classify-abnormally-low``.
PLAIN_DECISIONS = [BidStatus.ADMISSIBLE, BidStatus.IRREGULAR, BidStatus.UNACCEPTABLE, BidStatus.INAPPROPRIATE]

TIE_RULE_LABELS = {
    ranking_rules.PRICE_RULE: _lazy("le prix le plus bas"),
    ranking_rules.RECEIPT_RULE: _lazy("la réception la plus ancienne"),
    ranking_rules.ID_RULE: _lazy("l'identifiant de l'offre (dernier recours)"),
}


# --- access ----------------------------------------------------------------------------------------------


def _refusal(request, tender, exc: NotAllowed):
    return render(request, "console/evaluation_forbidden.html", {"tender": tender, "reason": exc.detail},
                  status=403)


def _readable_tender(request, tender_id):
    """(tender, None) when the person may read the tender's bids; (tender, 403 page) otherwise. A tender not
    opened yet has no evaluation: back to its page."""
    tender = selectors.tender_detail(selectors.tender_get(user=request.user, tender_id=tender_id))
    try:
        selectors.require_bid_contents_readable(request.user, tender)
    except NotAllowed as exc:
        return tender, _refusal(request, tender, exc)
    if tender.opened_at is None:
        messages.info(request, _("L'évaluation commence à l'ouverture des plis."))
        return tender, redirect("tenders_console:detail", tender_id=tender.id)
    return tender, None


def _bid_for_action(request, bid_id):
    bid = selectors.bid_for_action(user=request.user, bid_id=bid_id)
    if bid.status not in selectors.EVALUATED_STATES_SET:
        raise Http404
    return bid


def _go(name, tender_id, anchor=""):
    return redirect(reverse(f"tenders_console:{name}", args=[tender_id]) + anchor)


def _common(request, tender, current):
    return {"tender": tender, "current_step": current, "can_act": can_act(request.user),
            "evaluation_open": evaluation_services.evaluation_is_open(tender)}


# --- the workspace ---------------------------------------------------------------------------------------


def _pending_due(bid):
    request = bid._pending_request()
    return request.due_at if request is not None else None


def evaluation_steps(tender: Tender, bids, members, ranking: dict) -> list[dict]:
    """Each step with its state (done, todo, blocked, info), what blocks it and who is waited on."""
    to_classify = [b for b in bids if b.status == BidStatus.OPENED]
    waiting = [b for b in bids if b.status in (BidStatus.REGULARISATION_REQUESTED, BidStatus.JUSTIFICATION_REQUESTED)]
    admissible = [b for b in bids if b.status == BidStatus.ADMISSIBLE]
    suspected = [row for row in ranking["rows"] if row["abnormally_low_suspected"]]
    active = [m for m in members if m.removed_at is None]
    undeclared = [m for m in active if not m.declared]
    unsubmitted = [m for m in active if not m.submitted]
    incomplete = [row for row in ranking["rows"] if row["status"] == BidStatus.ADMISSIBLE and not row["complete"]]
    steps = []

    # Classification
    notes, waits = [], []
    if to_classify:
        notes.append(ngettext("%(n)s offre à classer", "%(n)s offres à classer", len(to_classify))
                     % {"n": len(to_classify)})
    for bid in waiting:
        due = _pending_due(bid)
        waits.append(_("%(company)s (réponse attendue avant le %(due)s)")
                     % {"company": bid.company.name, "due": timezone.localtime(due).strftime("%d/%m/%Y %H:%M")}
                     if due else bid.company.name)
    steps.append({"key": "classification", "title": _("Classement des offres"), "url": "evaluation_bids",
                  "state": "todo" if notes or waits else ("done" if bids else "blocked"),
                  "summary": ngettext("%(n)s offre ouverte", "%(n)s offres ouvertes", len(bids)) % {"n": len(bids)},
                  "blockers": notes if bids else [_("Aucune offre ouverte.")], "waiting": waits})

    # Anomalies
    asked = {str(b.id) for b in bids if any(r.kind == BidRequestKind.JUSTIFICATION for r in b.requests.all())}
    unasked = [row["company"] for row in suspected
               if row["bid"] not in asked and row["status"] != BidStatus.ABNORMALLY_LOW]
    steps.append({"key": "anomalies", "title": _("Offres anormalement basses"), "url": "evaluation_anomalies",
                  "state": "todo" if unasked else ("info" if suspected else "done"),
                  "summary": ngettext("%(n)s offre suspectée", "%(n)s offres suspectées", len(suspected))
                  % {"n": len(suspected)},
                  "blockers": [_("Justification à demander avant toute décision : %(names)s")
                               % {"names": ", ".join(unasked)}] if unasked else [],
                  "waiting": []})

    # Panel
    panel_blockers = [] if active else [_("Aucun évaluateur nommé.")]
    steps.append({"key": "panel", "title": _("Commission d'évaluation"), "url": "evaluation_panel",
                  "state": "blocked" if not active else ("todo" if undeclared else "done"),
                  "summary": ngettext("%(n)s membre", "%(n)s membres", len(active)) % {"n": len(active)},
                  "blockers": panel_blockers,
                  "waiting": [_("%(name)s (déclaration d'impartialité)") % {"name": actor_name(m.evaluator)}
                              for m in undeclared]})

    # Scores
    score_blockers = []
    if not admissible:
        score_blockers.append(_("Aucune offre classée recevable : rien à noter."))
    if to_classify or waiting:
        score_blockers.append(_("Des offres restent à classer : une grille remise avant leur classement ne les "
                                "notera pas."))
    if not active:
        score_blockers.append(_("Nommez d'abord la commission."))
    steps.append({"key": "scores", "title": _("Notation par les évaluateurs"), "url": "evaluation_panel",
                  "state": "blocked" if not admissible or not active else ("todo" if unsubmitted else "done"),
                  "summary": _("%(done)s grille(s) remise(s) sur %(total)s")
                  % {"done": len(active) - len(unsubmitted), "total": len(active)},
                  "blockers": score_blockers,
                  "waiting": [_("%(name)s (membre de la commission)") % {"name": actor_name(m.evaluator)}
                              for m in unsubmitted]})

    # Consensus
    all_submitted = bool(active) and not unsubmitted
    steps.append({"key": "consensus", "title": _("Notes de consensus"), "url": "evaluation_consensus",
                  "state": "blocked" if not all_submitted or not admissible else ("todo" if incomplete else "done"),
                  "summary": ngettext("%(n)s offre sans toutes ses notes de consensus",
                                      "%(n)s offres sans toutes leurs notes de consensus", len(incomplete))
                  % {"n": len(incomplete)},
                  "blockers": [] if all_submitted else
                  [_("Toutes les grilles doivent être remises avant le consensus.")],
                  "waiting": []})

    # Ranking
    ranked = [row for row in ranking["rows"] if row["rank"] is not None]
    steps.append({"key": "ranking", "title": _("Classement final"), "url": "evaluation_ranking",
                  "state": "done" if ranking["frozen"] else ("todo" if ranked else "blocked"),
                  "summary": (_("Figé le %(at)s") % {"at": timezone.localtime(ranking["frozen_at"])
                                                     .strftime("%d/%m/%Y %H:%M")}) if ranking["frozen"]
                  else ngettext("%(n)s offre classée", "%(n)s offres classées", len(ranked)) % {"n": len(ranked)},
                  "blockers": [] if ranked or ranking["frozen"] else
                  [_("Le classement se calcule quand chaque offre recevable a toutes ses notes de consensus.")],
                  "waiting": []})
    return steps


@require_GET
@staff_required
def workspace(request, tender_id):
    tender, refusal = _readable_tender(request, tender_id)
    if refusal:
        return refusal
    bids = selectors.evaluation_board(tender)
    members = list(selectors.panel_of(tender))
    ranking = selectors.ranking(tender)
    return render(request, "console/evaluation_workspace.html", {
        **_common(request, tender, "workspace"), "steps": evaluation_steps(tender, bids, members, ranking)})


# --- classification --------------------------------------------------------------------------------------


def _decisions(bid) -> list[str]:
    """The decisions the bid's state machine allows now (never restated here)."""
    actions = allowed_actions(bid)
    decisions = list(PLAIN_DECISIONS) if "classify" in actions else []
    if "classify-abnormally-low" in actions:
        decisions.append(BidStatus.ABNORMALLY_LOW)
    return decisions


def _classification_context(request, tender, *, forms_by_bid=None, regularisation_form=None):
    forms_by_bid = forms_by_bid or {}
    bids = selectors.evaluation_board(tender)
    suspected = selectors.suspected_bid_ids(tender, bids)
    criteria = list(tender.criteria.all())
    expected = hints.expected_document_kinds(c.kind for c in criteria)
    kind_labels = dict(BidDocumentKind.choices)
    open_ = evaluation_services.evaluation_is_open(tender)
    irregular = []
    for bid in bids:
        bid.tender = tender
        rows, schedule_total = services.priced_schedule(tender, {"lines": bid.lines or []})
        bid.suggestion = hints.suggest(
            total_price=bid.total_price, budget_ceiling=tender.budget_ceiling,
            document_kinds=[d.kind for d in bid.documents.all()], expected_kinds=expected,
            kind_labels={k: str(v) for k, v in kind_labels.items()},
            unpriced_refs=[r["ref"] for r in rows if r["unit_price"] is None],
            schedule_total=schedule_total if rows else None)
        bid.suspected = bid.id in suspected
        bid.document_list = [{"id": d.id, "name": services.document_name(d), "kind": d.get_kind_display(),
                              "size": d.size} for d in _with_bid(bid.documents.all(), bid)]
        bid.request_list = list(bid.requests.all())
        actions = allowed_actions(bid) if open_ else []
        bid.decisions = _decisions(bid) if open_ else []
        bid.can_request_justification = "request-justification" in actions
        bid.pending = bid._pending_request()
        if "request-regularisation" in actions:
            irregular.append(bid)
        bid.classify_form = forms_by_bid.get(("classify", bid.id)) or ClassifyForm(
            prefix=f"c{bid.pk}", decisions=bid.decisions,
            initial={"decision": bid.suggestion.decision or BidStatus.ADMISSIBLE})
        bid.justification_form = forms_by_bid.get(("justify", bid.id)) or BidRequestForm(prefix=f"j{bid.pk}")
    return {**_common(request, tender, "classification"), "bids": bids, "irregular": irregular,
            "irregular_names": ", ".join(b.company.name for b in irregular),
            "regularisation_form": regularisation_form or BidRequestForm(prefix="regularisation"),
            "to_classify": sum(1 for b in bids if b.status == BidStatus.OPENED),
            "expected_kinds": [kind_labels[k] for k in expected]}


def _with_bid(documents, bid):
    for document in documents:
        document.bid = bid
        yield document


@require_GET
@staff_required
def classification(request, tender_id):
    tender, refusal = _readable_tender(request, tender_id)
    if refusal:
        return refusal
    return render(request, "console/evaluation_bids.html", _classification_context(request, tender))


def _bid_action(request, bid_id, *, key, prefix, form_class, form_kwargs, run, done):
    """POST on one bid of the classification page: the form, then the service; errors back on the form."""
    bid = _bid_for_action(request, bid_id)
    tender, refusal = _readable_tender(request, bid.tender_id)
    if refusal:
        return refusal
    anchor = f"#bid-{bid.pk}"
    if not buyer_or_message(request):
        return _go("evaluation_bids", tender.id, anchor)
    form = form_class(request.POST, prefix=f"{prefix}{bid.pk}", **form_kwargs(bid))
    if form.is_valid():
        outcome, _result = call_service(request, run, form=form, states=STATE_LABELS, bid=bid, **form.cleaned_data)
        if outcome == OK:
            messages.success(request, done)
        if outcome != INVALID:
            return _go("evaluation_bids", tender.id, anchor)
    context = _classification_context(request, tender, forms_by_bid={(key, bid.id): form})
    return render(request, "console/evaluation_bids.html", context, status=400)


def _classify(*, actor, bid, decision, reason):
    return evaluation_services.bid_classify(actor=actor, bid=bid, decision=decision, reason=reason)


def _justify(*, actor, bid, message, due_at):
    return evaluation_services.justification_request(actor=actor, bid=bid, message=message, due_at=due_at)


@require_POST
@staff_required
def bid_classify(request, bid_id):
    return _bid_action(
        request, bid_id, key="classify", prefix="c", form_class=ClassifyForm,
        # Every decision is accepted by the form: the service (and the bid's state machine) decides.
        form_kwargs=lambda bid: {"decisions": PLAIN_DECISIONS + [BidStatus.ABNORMALLY_LOW]},
        run=_classify, done=_("Le classement de l'offre est enregistré."))


@require_POST
@staff_required
def bid_request_justification(request, bid_id):
    return _bid_action(
        request, bid_id, key="justify", prefix="j", form_class=BidRequestForm, form_kwargs=lambda bid: {},
        run=_justify, done=_("La demande de justification est envoyée au soumissionnaire."))


@require_POST
@staff_required
def request_regularisation(request, tender_id):
    tender, refusal = _readable_tender(request, tender_id)
    if refusal:
        return refusal
    if not buyer_or_message(request):
        return _go("evaluation_bids", tender.id)
    form = BidRequestForm(request.POST, prefix="regularisation")
    if form.is_valid():
        outcome, result = call_service(request, evaluation_services.regularisation_request, form=form,
                                       states=STATE_LABELS, tender=tender, **form.cleaned_data)
        if outcome == OK:
            messages.success(request, ngettext(
                "La demande de régularisation est envoyée à %(n)s soumissionnaire.",
                "La demande de régularisation est envoyée ensemble aux %(n)s soumissionnaires concernés.",
                len(result)) % {"n": len(result)})
        if outcome != INVALID:
            return _go("evaluation_bids", tender.id)
    context = _classification_context(request, tender, regularisation_form=form)
    return render(request, "console/evaluation_bids.html", context, status=400)


@require_GET
@staff_required
def request_document(request, document_id):
    try:
        document = selectors.bid_request_document_get(user=request.user, document_id=document_id)
    except NotAllowed as exc:
        return render(request, "console/evaluation_forbidden.html", {"reason": exc.detail}, status=403)
    return file_response(document)


# --- anomalies -------------------------------------------------------------------------------------------


@require_GET
@staff_required
def anomalies(request, tender_id):
    tender, refusal = _readable_tender(request, tender_id)
    if refusal:
        return refusal
    report = selectors.anomalies(tender)
    for row in report["bids"]:
        row["total"] = Decimal(row["total_price"])
        row["gap_to_mean_pct"] = _pct(row["gap_to_mean"])
        row["gap_to_estimate_pct"] = _pct(row["gap_to_estimate"])
        row["gap_pct"] = _pct(None if row["reference"] in (None, 0) else
                              (float(row["total"]) - row["reference"]) / row["reference"])
        for line in row["lines"]:
            line["gap_pct"] = _pct(line["gap"])
            line["unit"] = Decimal(line["unit_price"])
    methods = dict(tender._meta.get_field("abnormally_low_method").choices)
    return render(request, "console/evaluation_anomalies.html", {
        **_common(request, tender, "anomalies"), "report": report, "method_label": methods.get(report["method"]),
        "threshold_pct": None if report["threshold"] is None else report["threshold"] * 100,
        "any_lines": any(row["lines"] for row in report["bids"]),
        "estimate": tender.estimated_value})


def _pct(fraction):
    return None if fraction is None else fraction * 100


# --- the panel -------------------------------------------------------------------------------------------


def _panel_context(request, tender, *, form=None):
    members = list(selectors.panel_of(tender))
    candidates = [(str(u.pk), f"{actor_name(u)} <{u.email}>") for u in selectors.evaluator_candidates()]
    form = form or PanelForm(candidates=candidates,
                             initial={"evaluators": [str(m.evaluator_id) for m in members if m.removed_at is None]})
    return {**_common(request, tender, "panel"), "members": [m for m in members if m.removed_at is None],
            "left": [m for m in members if m.removed_at is not None], "form": form,
            "panel_editable": evaluation_services.evaluation_is_open(tender)}


@require_http_methods(["GET", "POST"])
@staff_required
def panel(request, tender_id):
    tender, refusal = _readable_tender(request, tender_id)
    if refusal:
        return refusal
    if request.method == "GET":
        return render(request, "console/evaluation_panel.html", _panel_context(request, tender))
    if not buyer_or_message(request):
        return _go("evaluation_panel", tender.id)
    candidates = [(str(u.pk), u.email) for u in selectors.evaluator_candidates()]
    form = PanelForm(request.POST, candidates=candidates)
    if form.is_valid():
        outcome, _result = call_service(request, evaluation_services.panel_set, form=form, tender=tender,
                                        evaluators=form.cleaned_data["evaluators"],
                                        aliases=_panel_aliases(form.cleaned_data["evaluators"]))
        if outcome == OK:
            messages.success(request, _("La commission est enregistrée ; les évaluateurs nommés sont prévenus."))
        if outcome != INVALID:
            return _go("evaluation_panel", tender.id)
    return render(request, "console/evaluation_panel.html", _panel_context(request, tender, form=form), status=400)


def _panel_aliases(values):
    return {f"evaluators[{index}]": "evaluators" for index in range(len(values))}


# --- consensus -------------------------------------------------------------------------------------------


def _consensus_context(request, tender, *, bound=None):
    seen = selectors.scores_for_user(user=request.user, tender=tender)
    members = seen["panel"]
    all_submitted = bool(members) and all(m.submitted for m in members)
    bids = [b for b in selectors.evaluated_bids(tender) if b.status == BidStatus.ADMISSIBLE]
    criteria = evaluation_services.scored_criteria(tender, list(tender.criteria.all()))
    by_cell = {}
    for score in seen["scores"]:
        by_cell.setdefault((score.bid_id, score.criterion.code), {})[score.evaluator_id] = score
    spread = {(row["bid"], row["criterion"]): row for row in selectors.score_spread(tender=tender,
                                                                                     scores=seen["scores"])}
    consensus = {(c.bid_id, c.criterion.code): c for c in seen["consensus"]}
    may_record = all_submitted and can_act(request.user) and evaluation_services.evaluation_is_open(tender)
    rows = []
    for bid in bids:
        for criterion in criteria:
            key = (bid.id, criterion.code)
            current = consensus.get(key)
            form = None
            if may_record:
                prefix = f"k{bid.pk}-{criterion.code}"
                if bound is not None and bound.prefix == prefix:
                    form = bound
                else:
                    form = ConsensusForm(prefix=prefix, initial={
                        "criterion": criterion.code, "score": current.score if current else "",
                        "rationale": current.rationale if current else ""})
            cell = spread.get(key)
            rows.append({"bid": bid, "criterion": criterion, "id": f"cell-{bid.pk}-{criterion.code}",
                         "scores": [by_cell.get(key, {}).get(m.evaluator_id) for m in members],
                         "min": cell["min"] if cell else None, "max": cell["max"] if cell else None,
                         "flagged": bool(cell and cell["flagged"]), "consensus": current, "form": form})
    return {**_common(request, tender, "consensus"), "members": members, "rows": rows,
            "all_submitted": all_submitted, "may_record": may_record,
            "waiting": [m for m in members if not m.submitted]}


@require_GET
@staff_required
def consensus(request, tender_id):
    tender, refusal = _readable_tender(request, tender_id)
    if refusal:
        return refusal
    try:
        context = _consensus_context(request, tender)
    except NotAllowed as exc:
        return _refusal(request, tender, exc)
    return render(request, "console/evaluation_consensus.html", context)


@require_POST
@staff_required
def bid_consensus(request, bid_id):
    bid = _bid_for_action(request, bid_id)
    tender, refusal = _readable_tender(request, bid.tender_id)
    if refusal:
        return refusal
    if not buyer_or_message(request):
        return _go("evaluation_consensus", tender.id)
    code = request.POST.get("cell", "")
    prefix = f"k{bid.pk}-{code}"
    form = ConsensusForm(request.POST, prefix=prefix)
    if form.is_valid():
        outcome, _result = call_service(request, evaluation_services.consensus_record, form=form,
                                        states=STATE_LABELS, bid=bid, criterion=form.cleaned_data["criterion"],
                                        score=form.cleaned_data["score"], rationale=form.cleaned_data["rationale"])
        if outcome == OK:
            messages.success(request, _("La note de consensus est enregistrée."))
        if outcome != INVALID:
            return _go("evaluation_consensus", tender.id, f"#cell-{bid.pk}-{code}")
    return render(request, "console/evaluation_consensus.html",
                  _consensus_context(request, tender, bound=form), status=400)


# --- the ranking -----------------------------------------------------------------------------------------

CHART_WIDTH = 400  # px for 100 points
CHART_ROW = 30


def _price_method(request):
    method = (request.GET.get("price_method") or "").strip() or None
    return method if method in PriceMethod.values else None


def ranking_view_data(tender, *, price_method=None) -> dict:
    """The ranking with everything its page and exports show: criteria, Pmin/Pmax, tie-break rules."""
    result = selectors.ranking(tender, price_method=price_method)
    inputs = result["inputs"]
    criteria = inputs["criteria"]
    rows = result["rows"]
    admissible_prices = [Decimal(b["total_price"]) for b in inputs["bids"]
                         if b["status"] == BidStatus.ADMISSIBLE and b["total_price"] is not None]
    rules = ranking_rules.applied_tie_break(
        inputs["tie_break"] or None, [Criterion(code=c["code"], kind=c["kind"], weight=c["weight"]) for c in criteria])
    names = {c["code"]: c["name"] for c in criteria}
    for row in rows:
        row["score_list"] = [row["scores"].get(c["code"]) if c["kind"] != PRICE else row["price_score"]
                             for c in criteria]
        row["terms"] = [{"name": c["name"], "weight": c["weight"],
                         "score": row["scores"].get(c["code"]), "contribution": row["contributions"].get(c["code"])}
                        for c in criteria]
        row["status_label"] = STATE_LABELS.get(row["status"], row["status"])
        row["decided_label"] = _rule_label(row["decided_by"], names) if row["decided_by"] else ""
        row["tied_names"] = [r["company"] for r in rows if r["bid"] in row["tied_with"]]
    return {**result, "criteria": criteria, "pmin": min(admissible_prices, default=None),
            "pmax": max(admissible_prices, default=None), "rules": [_rule_label(r, names) for r in rules],
            "method_label": dict(PriceMethod.choices).get(result["price_method"]),
            "other_method": next(m for m in PriceMethod.values if m != result["price_method"])}


def _rule_label(rule, names):
    if rule in TIE_RULE_LABELS:
        return str(TIE_RULE_LABELS[rule])
    return _("la meilleure note « %(name)s »") % {"name": names.get(rule, rule)}


def _chart(data) -> dict:
    """A stacked bar per ranked bid: each criterion's weighted contribution, in points (of 100)."""
    bars = []
    for index, row in enumerate(r for r in data["rows"] if r["total"] is not None):
        x, segments = 0.0, []
        for position, c in enumerate(data["criteria"]):
            value = float(row["contributions"].get(c["code"]) or 0)
            width = value * CHART_WIDTH / 100
            segments.append({"x": round(x, 2), "width": round(width, 2), "value": value, "name": c["name"],
                             "css": position % 6})
            x += width
        bars.append({"y": index * CHART_ROW, "company": row["company"], "total": row["total"],
                     "end": round(x, 2), "segments": segments})
    return {"bars": bars, "height": len(bars) * CHART_ROW + 40, "legend_y": len(bars) * CHART_ROW + 12,
            "legend": [{"name": c["name"], "css": i % 6, "x": i * 130} for i, c in enumerate(data["criteria"])]}


def _proposal(request, tender, data, *, form=None) -> dict:
    """The award proposal step under the ranking: offered only when the tender's state allows it, naming only
    the bid the ranking allows (the first-ranked admissible one); otherwise what still stands in the way."""
    if "propose-award" not in allowed_actions(tender):
        return {"proposal_open": False, "proposals_made": selectors.award_proposals(tender).exists()}
    problems = [] if data["frozen"] else [m for messages_ in award_services.proposal_problems(
        tender, list(selectors.evaluated_bids(tender))).values() for m in messages_]
    bid_id = None
    if not problems:
        # The live rows carry each bid's state; a frozen ranking keeps the states of its day (a bid eliminated
        # since under R2144-7 is passed over), so they are read again.
        statuses = ({str(pk): status for pk, status in selectors.evaluated_bids(tender).values_list("id", "status")}
                    if data["frozen"] else {row["bid"]: row["status"] for row in data["rows"]})
        bid_id = award_services.first_proposable(data["rows"], statuses)
    row = next((r for r in data["rows"] if r["bid"] == bid_id), None)
    choices = [(bid_id, _("%(company)s — rang %(rank)s, %(total)s points sur 100")
                % {"company": row["company"], "rank": row["rank"], "total": row["total"]})] if row else []
    return {"proposal_open": True, "proposal_problems": problems, "proposable": row,
            "propose_form": form or (ProposeForm(choices=choices) if choices else None),
            "proposals_made": selectors.award_proposals(tender).exists()}


def _ranking_context(request, tender, *, method=None, propose_form=None) -> dict:
    data = ranking_view_data(tender, price_method=method)
    what_if = method is not None and method != (data["inputs"].get("price_method") or tender.price_method)
    return {
        **_common(request, tender, "ranking"), "ranking": data, "chart": _chart(data),
        "has_ties": any(row["decided_by"] for row in data["rows"]), "what_if": what_if,
        "snapshot": selectors.ranking_snapshot(tender) if data["frozen"] else None,
        # A simulation with the other price method proposes nothing: the proposal follows the tender's method.
        **({"proposal_open": False} if what_if else _proposal(request, tender, data, form=propose_form))}


@require_GET
@staff_required
def ranking(request, tender_id):
    tender, refusal = _readable_tender(request, tender_id)
    if refusal:
        return refusal
    return render(request, "console/evaluation_ranking.html",
                  _ranking_context(request, tender, method=_price_method(request)))


@require_POST
@staff_required
@irreversible(_lazy("Proposer l'attribution à cette offre ?"),
              _lazy("Le classement sera figé et ne sera plus recalculé ; la proposition attend "
                    "l'approbation d'une autre personne ayant le rôle approbateur."))
def award_propose(request, tender_id):
    """Propose the first-ranked admissible bid (buyer): the ranking is frozen, the award page follows."""
    tender, refusal = _readable_tender(request, tender_id)
    if refusal:
        return refusal
    if not buyer_or_message(request):
        return _go("evaluation_ranking", tender.id)
    form = ProposeForm(request.POST, choices=[])
    if form.is_valid():
        outcome, _result = call_service(request, award_services.award_propose, form=form, states=TENDER_STATES,
                                        tender=tender, bid=form.cleaned_data["bid"],
                                        reason=form.cleaned_data["reason"])
        if outcome == OK:
            messages.success(request, _("L'attribution est proposée : le classement est figé. Elle attend "
                                        "l'approbation d'une autre personne ayant le rôle approbateur."))
            return redirect("tenders_console:award", tender_id=tender.id)
        if outcome != INVALID:
            return _go("evaluation_ranking", tender.id)
    context = _ranking_context(request, selectors.tender_detail(tender))
    page_form = context.get("propose_form")
    form.set_choices(page_form.fields["bid"].widget.choices if page_form is not None else [])
    context["propose_form"] = form
    return render(request, "console/evaluation_ranking.html", context, status=400)


def ranking_sheet(data) -> spreadsheets.Sheet:
    """The ranking as a sheet: the page's rows and columns, numbers as numbers."""
    labels = dict(BidStatus.choices)
    columns = [
        Column(_("Rang"), lambda row: row["rank"], INTEGER),
        Column(_("Entreprise"), lambda row: row["company"], width=36),
        Column(_("Prix total (€ HT)"), lambda row: row["total_price"], MONEY),
        Column(_("Note prix (sur 10)"), lambda row: row["price_score"], DECIMAL),
    ]
    columns += [Column(_("%(name)s (sur 10, poids %(weight)s)") % {"name": c["name"], "weight": c["weight"]},
                       lambda row, code=c["code"]: row["scores"].get(code), DECIMAL)
                for c in data["criteria"] if c["kind"] != PRICE]
    columns += [
        Column(_("Total pondéré (sur 100)"), lambda row: row["total"], DECIMAL),
        Column(_("État"), lambda row: str(labels.get(row["status"], row["status"]))),
        Column(_("Suspicion d'offre anormalement basse"),
               lambda row: _("oui") if row["abnormally_low_suspected"] else _("non")),
    ]
    return spreadsheets.Sheet(_("Classement"), columns, data["rows"])


def _export_name(tender, data):
    suffix = "" if data["price_method"] == tender.price_method else f"-{data['price_method']}"
    return f"classement-{tender.reference}{suffix}"


def _ranking_export(request, tender_id, fmt):
    tender, refusal = _readable_tender(request, tender_id)
    if refusal:
        return refusal
    data = ranking_view_data(tender, price_method=_price_method(request))
    return spreadsheets.response(ranking_sheet(data), fmt=fmt, filename=_export_name(tender, data))


@require_GET
@staff_required
def ranking_csv(request, tender_id):
    return _ranking_export(request, tender_id, "csv")


@require_GET
@staff_required
def ranking_xlsx(request, tender_id):
    return _ranking_export(request, tender_id, "xlsx")
