"""The evaluator's console ("Mes commissions"), under /console/marches/.

- the list of the tenders whose panel the person sits on, with the progress of its sheet;
- on a tender: first the declaration of impartiality (a declared conflict takes the evaluator off the
  panel), then the scoring grid, one criterion at a time, with each admissible bid's documents beside it
  (PDFs in an inline viewer), and the submission that locks the sheet.

Blind scoring and who may read the bids are the selectors' (``scoring_grid``, ``scores_for_user``,
``bid_contents_readable``); every write is one service (``impartiality_declare``, ``score_put``,
``scores_submit``).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from procurement.confirmation import irreversible
from procurement.errors import DomainError, NotAllowed, ValidationFailed
from procurement.web import INVALID, OK, REFUSED, attachment_response, call_service, refused, staff_required

from .. import selectors, services
from ..forms.panel import ImpartialityForm, ScoreRowForm
from ..models import TenderStatus

STATE_LABELS = dict(TenderStatus.choices)


def _tender(request, tender_id):
    return selectors.tender_get(user=request.user, tender_id=tender_id)


def _panel_url(tender, criterion: str | None = None) -> str:
    url = reverse("tenders_console:panel", args=[tender.id])
    return f"{url}?critere={criterion}" if criterion else url


def _refused_page(request, tender, message: str):
    return render(request, "console/panel_refused.html", {"tender": tender, "message": message}, status=403)


# --- my panels -----------------------------------------------------------------------------------------------

@require_GET
@staff_required
def panel_list(request):
    seats = selectors.panels_of_user(request.user)
    return render(request, "console/panel_list.html", {
        "seats": seats,
        "active": [s for s in seats if s.active],
        "left": [s for s in seats if not s.active],
    })


# --- a tender's panel: declaration, then the grid --------------------------------------------------------------

@require_GET
@staff_required
def panel_page(request, tender_id):
    tender = _tender(request, tender_id)
    return _panel_response(request, tender)


def _panel_response(request, tender, *, declaration_form=None, rows=None, criterion_code=None, submit_errors=None,
                    status=200):
    seat = selectors.own_panel_seat(request.user, tender)
    if seat is None:
        return _refused_page(request, tender, _("Vous ne siégez pas dans la commission d'évaluation de ce marché."))
    if not seat.active:
        return render(request, "console/panel_left.html", {"tender": tender, "seat": seat}, status=status)
    if not seat.declared:
        return render(request, "console/panel_declare.html", {
            "tender": tender, "seat": seat, "form": declaration_form or ImpartialityForm(),
            # Who bid (the deposit register's names, never a price or a document): what the declaration is about.
            "bidders": [bid.company for bid in selectors.evaluated_bids(tender)],
        }, status=status)
    try:
        grid = selectors.scoring_grid(user=request.user, tender=tender)
    except NotAllowed as exc:
        return _refused_page(request, tender, exc.detail)
    return render(request, "console/panel_grid.html",
                  _grid_context(request, tender, grid, rows=rows, criterion_code=criterion_code,
                                submit_errors=submit_errors),
                  status=status)


def _shown(value) -> str:
    """A score as the number field takes it: 7, 7.5, 10 (never 1E+1)."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _grid_context(request, tender, grid, *, rows=None, criterion_code=None, submit_errors=None) -> dict:
    criteria = grid["criteria"]
    code = criterion_code or request.GET.get("critere")
    criterion = next((c for c in criteria if c.code == code), criteria[0] if criteria else None)
    seat = grid["seat"]
    locked = seat is not None and seat.submitted
    open_for_scores = tender.status == TenderStatus.OPENED and not services.is_frozen(tender)
    own = grid["own"]
    tabs = [{"criterion": c, "done": sum(1 for b in grid["bids"] if (b.id, c.code) in own),
             "current": criterion is not None and c.code == criterion.code} for c in criteria]
    lines = []
    for bid in grid["bids"]:
        score = own.get((bid.id, criterion.code)) if criterion else None
        form = (rows or {}).get(bid.id) or ScoreRowForm(
            prefix=f"s-{bid.id}", bid=bid,
            initial={"score": _shown(score.score) if score else "", "comment": score.comment if score else ""})
        documents = [{"document": d, "name": services.document_name(d),
                      "pdf": d.content_type == "application/pdf"} for d in bid.documents.all()]
        lines.append({"bid": bid, "score": score, "form": form, "documents": documents})
    others = [s for s in grid["others"] if criterion is not None and s.criterion.code == criterion.code]
    return {
        "tender": tender, "seat": seat, "criteria": criteria, "criterion": criterion, "tabs": tabs, "lines": lines,
        "locked": locked, "can_score": not locked and open_for_scores and bool(lines),
        "can_submit": not locked and open_for_scores and bool(lines),
        "to_score": grid["to_score"], "scored": grid["scored"], "others": others,
        "panel": grid["panel"], "submit_errors": submit_errors or [],
    }


@require_POST
@staff_required
def panel_declare(request, tender_id):
    tender = _tender(request, tender_id)
    form = ImpartialityForm(request.POST)
    if form.is_valid():
        no_conflict = form.cleaned_data["no_conflict"]
        outcome, _result = call_service(request, services.impartiality_declare, form=form, states=STATE_LABELS,
                                        tender=tender, no_conflict=no_conflict,
                                        statement=form.cleaned_data["statement"])
        if outcome == OK:
            if no_conflict:
                messages.success(request, _("Votre déclaration d'impartialité est enregistrée : vous pouvez "
                                            "consulter et noter les offres."))
            else:
                messages.warning(request, _("Votre déclaration de conflit d'intérêts est enregistrée : vous ne "
                                            "siégez plus dans la commission de ce marché et n'accédez pas aux "
                                            "offres."))
            return redirect(_panel_url(tender))
        if outcome == REFUSED:
            return redirect(_panel_url(tender))
    return _panel_response(request, tender, declaration_form=form, status=400)


@require_POST
@staff_required
def panel_scores(request, tender_id):
    """Save the grid of one criterion: one ``score_put`` per bid whose row was filled in."""
    tender = _tender(request, tender_id)
    code = request.POST.get("criterion", "")
    try:
        grid = selectors.scoring_grid(user=request.user, tender=tender)
    except NotAllowed as exc:
        messages.error(request, exc.detail)
        return redirect(_panel_url(tender))
    if not any(c.code == code for c in grid["criteria"]):
        messages.error(request, _("Critère inconnu : choisissez un critère de la grille."))
        return redirect(_panel_url(tender))
    rows = {bid.id: ScoreRowForm(request.POST, prefix=f"s-{bid.id}", bid=bid) for bid in grid["bids"]}
    saved = invalid = 0
    for form in rows.values():
        if not form.is_valid():
            invalid += 1
            continue
        if not form.filled():
            continue
        outcome, _result = call_service(request, services.score_put, form=form, states=STATE_LABELS, bid=form.bid,
                                        criterion=code, score=form.cleaned_data["score"],
                                        comment=form.cleaned_data["comment"])
        if outcome == OK:
            saved += 1
        elif outcome == INVALID:
            invalid += 1
        else:  # the sheet is locked, the evaluation is over: nothing else will be saved
            return redirect(_panel_url(tender, code))
    if invalid:
        messages.error(request, _("Certaines notes n'ont pas été enregistrées : corrigez les points signalés."))
        grid = selectors.scoring_grid(user=request.user, tender=tender)
        return render(request, "console/panel_grid.html",
                      _grid_context(request, tender, grid, rows=rows, criterion_code=code), status=400)
    if saved:
        messages.success(request, _("Notes enregistrées. Vous pouvez les modifier jusqu'à la remise de votre "
                                    "grille."))
    else:
        messages.info(request, _("Aucune note saisie : rien n'a été enregistré."))
    return redirect(_panel_url(tender, code))


@require_POST
@staff_required
@irreversible(_lazy("Remettre et verrouiller votre grille ?"),
              _lazy("Vos notes ne pourront plus être modifiées ; l'empreinte de la grille est "
                    "inscrite au journal."))
def panel_submit(request, tender_id):
    tender = _tender(request, tender_id)
    try:
        services.scores_submit(actor=request.user, tender=tender)
    except ValidationFailed as exc:
        missing = [{"key": key, "message": text, "criterion": key.rpartition(".")[2]}
                   for key, texts in exc.errors.items() for text in texts]
        messages.error(request, _("La grille n'est pas remise : il manque des notes."))
        return _panel_response(request, tender, submit_errors=missing, status=400)
    except DomainError as exc:
        refused(request, exc)
        return redirect(_panel_url(tender))
    messages.success(request, _("Votre grille est remise et verrouillée ; son empreinte est inscrite au journal. "
                                "Vous voyez désormais les grilles déjà remises par les autres membres."))
    return redirect(_panel_url(tender))


# --- a bid's document in the viewer ----------------------------------------------------------------------------

@require_GET
@staff_required
def bid_document_view(request, document_id):
    """A bid document shown inline (PDF) in the grid's viewer; only to those who may read the bid contents
    (``bid_document_get``: an evaluator once declared). Other types download."""
    document = selectors.bid_document_get(user=request.user, document_id=document_id)
    try:
        data = services.document_content(document)
    except OSError:  # missing from storage: a 404, not a 500
        raise Http404(_("Fichier introuvable"))
    return attachment_response(data, filename=services.document_name(document), content_type=document.content_type,
                               inline=True)
