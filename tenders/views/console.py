"""Buyer console for mini-tenders (marchés spécifiques), under /console/marches/.

Reading needs any staff role; actions need the buyer role. Pages read through ``tenders.selectors``, every
action calls one service. Before the opening the bids page shows the deposit register only: nothing of a
bid's content (price, lines, notes, document names) is read or decrypted here until ``Tender.opened_at``.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from procurement import audit
from procurement.models import Category, DynamicPurchasingSystem
from procurement.web import (
    INVALID,
    OK,
    actor_name,
    attachment_response,
    buyer_or_message,
    call_service,
    can_act,
    file_response,
    get_or_404,
    paginate,
    staff_required,
)

from .. import selectors, services
from ..documents import tender_reports
from ..forms.console import (
    AnswerForm,
    TenderDocumentForm,
    TenderFilterForm,
    TenderForm,
    TenderReasonForm,
    category_choices,
)
from ..models import BidStatus, Tender, TenderDocument, TenderStatus

LIST_PAGE_SIZE = 25

TENDER_ACTIONS = {
    "create": _lazy("Création du brouillon"),
    "publish": _lazy("Publication et invitations"),
    "close": _lazy("Clôture de la remise des offres"),
    "open": _lazy("Ouverture des plis"),
    "cancel": _lazy("Déclaré sans suite"),
    "declare-unsuccessful": _lazy("Déclaré infructueux"),
    "upload-document": _lazy("Ajout d'un document de la consultation"),
    "publish-addendum": _lazy("Publication d'un document modificatif"),
    "answer-question": _lazy("Réponse à une question"),
    # The evaluation (tenders.services.evaluation) writes these on the tender.
    "panel": _lazy("Commission d'évaluation nommée"),
    "declare-impartiality": _lazy("Déclaration d'impartialité"),
    "scores-submit": _lazy("Grille de notation remise"),
    "freeze-ranking": _lazy("Classement figé"),
}

# Tender states in which the buyer may still end the procedure (cancel / declare unsuccessful).
CANCELLABLE = {TenderStatus.DRAFT, TenderStatus.PUBLISHED, TenderStatus.CLOSED, TenderStatus.OPENED,
               TenderStatus.AWARD_PROPOSED}
UNSUCCESSFUL_FROM = {TenderStatus.CLOSED, TenderStatus.OPENED}

# A refusal names the tender's current state with its French label.
STATE_LABELS = dict(TenderStatus.choices)


def _tender(request, tender_id) -> Tender:
    return selectors.tender_get(user=request.user, tender_id=tender_id)


def _back(tender):
    return redirect("tenders_console:detail", tender_id=tender.id)


# --- list ------------------------------------------------------------------------------------------------

@require_GET
@staff_required
def tender_list(request):
    systems = [(str(d.id), d.reference) for d in DynamicPurchasingSystem.objects.order_by("reference")]
    categories = [(str(c.id), f"{c.dps.reference} · {c.code}")
                  for c in Category.objects.select_related("dps").order_by("dps__reference", "code")]
    form = TenderFilterForm(request.GET or None, categories=categories, systems=systems)
    filters = form.cleaned_data if form.is_valid() else {}
    deadline_after = deadline_before = None
    if filters.get("deadline_from"):
        deadline_after = timezone.make_aware(dt.datetime.combine(filters["deadline_from"], dt.time.min))
    if filters.get("deadline_to"):
        deadline_before = timezone.make_aware(dt.datetime.combine(filters["deadline_to"] + dt.timedelta(days=1),
                                                                  dt.time.min))
    qs = selectors.tender_list(
        user=request.user, status=filters.get("state") or None, category=filters.get("category") or None,
        dps=filters.get("dps") or None, deadline_after=deadline_after, deadline_before=deadline_before,
        search=(filters.get("q") or "").strip() or None,
    )
    page, query = paginate(request, qs, LIST_PAGE_SIZE)
    rows = [{"tender": t} for t in page.object_list]
    return render(request, "console/tender_list.html", {
        "form": form, "page": page, "query": query, "rows": rows, "can_act": can_act(request.user)})


# --- the dashboard block -------------------------------------------------------------------------------

DASHBOARD_ROWS = 5


def dashboard_context(user) -> dict:
    """The "Marchés spécifiques" block of the console dashboard: counts by state, tenders to open, questions
    waiting (three queries whatever the number of tenders)."""
    counts = selectors.tender_counts()
    to_open = list(selectors.tenders_to_open()[:DASHBOARD_ROWS + 1])
    waiting = list(selectors.questions_waiting()[:DASHBOARD_ROWS + 1])
    states = [{"status": value, "label": label, "count": counts.get(value, 0)} for value, label in TenderStatus.choices]
    return {
        "states": states, "to_open": to_open[:DASHBOARD_ROWS], "more_to_open": len(to_open) > DASHBOARD_ROWS,
        "waiting": waiting[:DASHBOARD_ROWS], "more_waiting": len(waiting) > DASHBOARD_ROWS,
    }


# --- wizard ----------------------------------------------------------------------------------------------

@require_GET
@staff_required
def invitee_count(request):
    """How many suppliers publication would invite now for a category (the wizard updates it live)."""
    value = request.GET.get("category", "")
    category = Category.objects.filter(pk=value).first() if _is_uuid(value) else None
    if category is None:
        return JsonResponse({"category": None, "count": 0}, status=404 if request.GET.get("category") else 200)
    count = services.live_admissions(category).count()
    return JsonResponse({"category": str(category.id), "count": count,
                         "label": _invitee_label(count)})


def _invitee_label(count: int) -> str:
    return ngettext("%(n)s entreprise serait invitée aujourd'hui.",
                    "%(n)s entreprises seraient invitées aujourd'hui.", count) % {"n": count}


def _form_context(request, form, tender=None):
    category_id = form["category"].value()
    count = None
    if category_id:
        category = Category.objects.filter(pk=category_id).first() if _is_uuid(category_id) else None
        if category is not None:
            count = services.live_admissions(category).count()
    return {"form": form, "tender": tender, "invitee_count": count,
            "invitee_label": _invitee_label(count) if count is not None else "",
            "can_act": can_act(request.user)}


def _is_uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False


@require_http_methods(["GET", "POST"])
@staff_required
def tender_create(request):
    if not buyer_or_message(request):
        return redirect("tenders_console:list")
    categories = category_choices()
    if request.method == "POST":
        form = TenderForm(request.POST, categories=categories)
        if form.is_valid():
            category = form.selected_category()
            outcome, result = _save(request, form, services.tender_create, dps=category.dps, category=category,
                                    data=form.to_data())
            if outcome == OK:
                messages.success(request, _("Le marché %(ref)s est créé (brouillon). Vérifiez la liste de "
                                            "publication avant de publier.") % {"ref": result.reference})
                return _back(result)
        status = 409 if getattr(form, "refused", False) else 400
        return render(request, "console/tender_form.html", _form_context(request, form), status=status)
    initial = {"price_method": "proportional", "standstill": True}
    if request.GET.get("category"):
        initial["category"] = request.GET["category"]
    form = TenderForm(categories=categories, initial=initial, initial_rows={
        "criteria": [
            {"code": "prix", "name": _("Prix"), "kind": "price", "weight": 40},
            {"code": "tech", "name": _("Valeur technique"), "kind": "technical", "weight": 40},
            {"code": "env", "name": _("Performance environnementale"), "kind": "environmental", "weight": 20},
        ],
        "price_schedule": [],
    })
    return render(request, "console/tender_form.html", _form_context(request, form))


def _save(request, form, func, **kwargs):
    outcome, result = call_service(request, func, states=STATE_LABELS, **kwargs)
    if outcome == INVALID:
        form.add_service_errors(result)
    elif outcome != OK:
        form.refused = True
    return outcome, result


@require_http_methods(["GET", "POST"])
@staff_required
def tender_edit(request, tender_id):
    tender = _tender(request, tender_id)
    if tender.status != TenderStatus.DRAFT:
        messages.error(request, _("Un marché publié ne se modifie plus : publiez un document modificatif."))
        return _back(tender)
    if not buyer_or_message(request):
        return _back(tender)
    categories = category_choices(dps=tender.dps)
    if request.method == "POST":
        form = TenderForm(request.POST, categories=categories)
        if form.is_valid():
            data = {**form.to_data(), "category": form.cleaned_data["category"]}
            outcome, result = _save(request, form, services.tender_update, tender=tender, data=data)
            if outcome == OK:
                messages.success(request, _("Le brouillon est enregistré."))
                return _back(result)
        status = 409 if getattr(form, "refused", False) else 400
        return render(request, "console/tender_form.html", _form_context(request, form, tender), status=status)
    data = services.tender_as_data(selectors.tender_detail(tender))
    initial = {
        "category": str(tender.category_id), "title": data["title"], "description": data["description"],
        **{f"operation_{k}": v for k, v in data["operation"].items() if k in ("name", "address", "commune",
                                                                              "insee_code")},
        "dwellings": tender.dwellings, "energy_label_before": tender.energy_label_before,
        "energy_label_target": tender.energy_label_target, "estimated_value": tender.estimated_value,
        "budget_ceiling": tender.budget_ceiling, "works_duration_weeks": tender.works_duration_weeks,
        "questions_deadline": tender.questions_deadline, "bid_deadline": tender.bid_deadline,
        "price_method": tender.price_method, "standstill": tender.standstill,
        "deadline_agreement": tender.deadline_agreement,
    }
    form = TenderForm(categories=categories, initial=initial, initial_rows=data)
    return render(request, "console/tender_form.html", _form_context(request, form, tender))


# --- the tender page ------------------------------------------------------------------------------------

def _timeline(tender: Tender, now: dt.datetime) -> list[dict]:
    """The recorded transitions and the two deadlines, in time order; future deadlines get a countdown."""
    events = []
    for entry in audit.history("tender", tender.id):
        events.append({"at": entry.at, "label": TENDER_ACTIONS.get(entry.action, entry.action),
                       "who": actor_name(entry.actor) if entry.actor_id else _("système"),
                       "reason": entry.reason, "kind": "event"})
    if tender.status in (TenderStatus.DRAFT, TenderStatus.PUBLISHED, TenderStatus.CLOSED, TenderStatus.OPENED,
                         TenderStatus.AWARD_PROPOSED, TenderStatus.AWARDED):
        for label, moment in ((_("Date limite des questions"), tender.questions_deadline),
                              (_("Date limite de remise des offres"), tender.bid_deadline)):
            events.append({"at": moment, "label": label, "who": "", "reason": "", "kind": "deadline",
                           "future": moment > now})
    events.sort(key=lambda e: (e["at"], e["kind"] == "deadline"))
    return events


def _detail_context(request, tender, *, document_form=None, cancel_form=None, unsuccessful_form=None):
    tender = selectors.tender_detail(tender)
    now = timezone.now()
    criteria = list(tender.criteria.all())
    draft = tender.status == TenderStatus.DRAFT
    problems = services.publication_problems(tender, at=now) if draft else {}
    invited = services.live_admissions(tender.category).count() if draft else tender.invitations.count()
    counts = tender.questions.aggregate(total=Count("id"), open=Count("id", filter=Q(answered_at__isnull=True)))
    deposits = tender.bids.exclude(status=BidStatus.DRAFT).count()
    documents_open = tender.status in (TenderStatus.DRAFT, TenderStatus.PUBLISHED) and not tender.deadline_passed(now)
    deadline_passed = tender.deadline_passed(now)
    return {
        "tender": tender,
        "criteria": criteria,
        "weight_total": sum(c.weight for c in criteria),
        "max_weight": max((c.weight for c in criteria), default=0) or 1,
        "lines": list(tender.price_lines.all()),
        "documents": list(tender.documents.all()),
        "reports": tender_reports(request.user, tender),
        "problems": [message for messages_ in problems.values() for message in messages_],
        "invited_count": invited,
        "question_count": counts["total"], "open_question_count": counts["open"],
        "deposit_count": deposits,
        "timeline": _timeline(tender, now),
        "now": now,
        "can_act": can_act(request.user),
        "can_edit": draft,
        "can_publish": draft and not problems,
        "can_upload": documents_open,
        "addendum": tender.status == TenderStatus.PUBLISHED,
        "can_open": tender.status in (TenderStatus.PUBLISHED, TenderStatus.CLOSED) and deadline_passed,
        "waits_for_deadline": tender.status == TenderStatus.PUBLISHED and not deadline_passed,
        "can_cancel": tender.status in CANCELLABLE,
        "can_declare_unsuccessful": tender.status in UNSUCCESSFUL_FROM,
        "document_form": document_form or TenderDocumentForm(),
        "cancel_form": cancel_form or TenderReasonForm(prefix="cancel"),
        "unsuccessful_form": unsuccessful_form or TenderReasonForm(prefix="unsuccessful"),
    }


@require_GET
@staff_required
def tender_detail(request, tender_id):
    tender = _tender(request, tender_id)
    return render(request, "console/tender_detail.html", _detail_context(request, tender))


@require_POST
@staff_required
def tender_publish(request, tender_id):
    tender = _tender(request, tender_id)
    if buyer_or_message(request):
        outcome, result = call_service(request, services.tender_publish, states=STATE_LABELS, tender=tender)
        if outcome == OK:
            count = result.invitations.count()
            messages.success(request, ngettext("Le marché est publié : %(n)s entreprise invitée.",
                                               "Le marché est publié : %(n)s entreprises invitées.", count)
                             % {"n": count})
    return _back(tender)


@require_POST
@staff_required
def tender_open(request, tender_id):
    tender = _tender(request, tender_id)
    if buyer_or_message(request):
        outcome, _result = call_service(request, services.tender_open, states=STATE_LABELS, tender=tender)
        if outcome == OK:
            messages.success(request, _("Les plis sont ouverts : les offres sont lisibles."))
            return redirect("tenders_console:bids", tender_id=tender.id)
    return _back(tender)


def _end(request, tender_id, *, prefix, func, done):
    tender = _tender(request, tender_id)
    if not buyer_or_message(request):
        return _back(tender)
    form = TenderReasonForm(request.POST, prefix=prefix)
    if form.is_valid():
        outcome, _result = call_service(request, func, states=STATE_LABELS, tender=tender,
                                        reason=form.cleaned_data["reason"])
        if outcome == OK:
            messages.success(request, done)
        if outcome != INVALID:
            return _back(tender)
    context = _detail_context(request, tender, **{f"{prefix}_form": form})
    return render(request, "console/tender_detail.html", context, status=400)


@require_POST
@staff_required
def tender_cancel(request, tender_id):
    return _end(request, tender_id, prefix="cancel", func=services.tender_cancel,
                done=_("Le marché est déclaré sans suite ; les entreprises invitées sont informées."))


@require_POST
@staff_required
def tender_unsuccessful(request, tender_id):
    return _end(request, tender_id, prefix="unsuccessful", func=services.tender_declare_unsuccessful,
                done=_("Le marché est déclaré infructueux ; les entreprises invitées sont informées."))


@require_POST
@staff_required
def tender_document_upload(request, tender_id):
    tender = _tender(request, tender_id)
    if not buyer_or_message(request):
        return _back(tender)
    form = TenderDocumentForm(request.POST, request.FILES)
    if form.is_valid():
        outcome, result = call_service(
            request, services.tender_document_upload, form=form, states=STATE_LABELS, tender=tender, kind=form.cleaned_data["kind"],
            uploaded_file=form.cleaned_data["file"], title=form.cleaned_data.get("title") or "")
        if outcome == OK:
            if result.is_addendum:
                messages.success(request, _("Le document modificatif est ajouté ; les entreprises invitées en sont "
                                            "informées par courriel."))
            else:
                messages.success(request, _("Le document est ajouté."))
            return _back(tender)
        if outcome != INVALID:
            return _back(tender)
    return render(request, "console/tender_detail.html", _detail_context(request, tender, document_form=form),
                  status=400)


@require_GET
@staff_required
def tender_document(request, document_id):
    return file_response(get_or_404(TenderDocument.objects.all(), pk=document_id))


# --- invitations and questions ---------------------------------------------------------------------------

@require_GET
@staff_required
def invitations(request, tender_id):
    tender = _tender(request, tender_id)
    progress = selectors.invitation_mail_progress(tender) if tender.published_at else None
    return render(request, "console/tender_invitations.html", {
        "tender": tender, "invitations": selectors.invitations_for_tender(tender), "mails": progress,
        "can_act": can_act(request.user)})


def _questions_context(request, tender, *, forms_by_id=None):
    questions = list(selectors.questions_for_user(user=request.user, tender=tender))
    forms_by_id = forms_by_id or {}
    for question in questions:
        if not question.is_answered:
            question.form = forms_by_id.get(question.id) or AnswerForm(prefix=f"q{question.pk}")
    return {
        "tender": tender,
        "waiting": [q for q in questions if not q.is_answered],
        "answered": [q for q in questions if q.is_answered],
        "can_act": can_act(request.user),
        "can_answer": tender.status == TenderStatus.PUBLISHED,
    }


@require_GET
@staff_required
def questions(request, tender_id):
    tender = _tender(request, tender_id)
    return render(request, "console/tender_questions.html", _questions_context(request, tender))


@require_POST
@staff_required
def question_answer(request, question_id):
    question = selectors.question_get(user=request.user, question_id=question_id)
    tender = question.tender
    if not buyer_or_message(request):
        return redirect("tenders_console:questions", tender_id=tender.id)
    form = AnswerForm(request.POST, prefix=f"q{question.pk}")
    if form.is_valid():
        outcome, _result = call_service(request, services.question_answer, form=form, states=STATE_LABELS,
                                        question=question,
                                        text=form.cleaned_data["text"])
        if outcome == OK:
            messages.success(request, _("La réponse est publiée ; toutes les entreprises invitées la reçoivent, "
                                        "sans le nom de l'auteur de la question."))
        if outcome != INVALID:
            return redirect("tenders_console:questions", tender_id=tender.id)
    context = _questions_context(request, tender, forms_by_id={question.id: form})
    return render(request, "console/tender_questions.html", context, status=400)


# --- bids ------------------------------------------------------------------------------------------------

REGISTER_ONLY = {BidStatus.LATE, BidStatus.WITHDRAWN}


@require_GET
@staff_required
def bids(request, tender_id):
    """Before the opening: the deposit register (who, when, state). After: the opened bids compared."""
    tender = _tender(request, tender_id)
    register = list(selectors.deposit_register(tender))
    now = timezone.now()
    context = {"tender": tender, "register": register, "can_act": can_act(request.user),
               "opened": tender.opened_at is not None, "now": now,
               "can_open": tender.status in (TenderStatus.PUBLISHED, TenderStatus.CLOSED)
               and tender.deadline_passed(now)}
    if tender.opened_at is not None:
        opened = list(selectors.opened_bids(tender))
        totals = [b.total_price for b in opened if b.total_price is not None]
        highest = max(totals, default=0) or 1
        lowest = min(totals, default=None)
        for bid in opened:
            bid.percent = round(100 * (bid.total_price or 0) / highest)
            bid.gap = ((bid.total_price - lowest) / lowest * 100) if lowest and bid.total_price is not None else None
        context.update({
            "opened_bids": opened,
            "lowest": lowest,
            "estimate": tender.estimated_value,
            "others": [b for b in register if b.status in REGISTER_ONLY],
            "chart_height": 28 * len(opened) + 8,
        })
    return render(request, "console/tender_bids.html", context)


@require_GET
@staff_required
def bid_detail(request, bid_id):
    bid = selectors.bid_get(user=request.user, bid_id=bid_id)
    if not selectors.content_readable(request.user, bid):
        raise Http404
    tender = bid.tender
    rows, total = services.priced_schedule(tender, {"lines": bid.lines or []})
    documents = list(bid.documents.all())
    for document in documents:
        document.bid = bid
        document.name = services.document_name(document)
    return render(request, "console/tender_bid.html", {
        "bid": bid, "tender": tender, "rows": rows, "schedule_total": total,
        "matches": bid.total_price is not None and total == bid.total_price,
        "documents": documents, "can_act": can_act(request.user),
    })


@require_GET
@staff_required
def bid_document(request, document_id):
    document = selectors.bid_document_get(user=request.user, document_id=document_id)
    try:
        data = services.document_content(document)
    except OSError:  # missing from storage: a 404, not a 500
        raise Http404(_("Fichier introuvable"))
    return attachment_response(data, filename=services.document_name(document), content_type=document.content_type)
