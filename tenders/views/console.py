"""Buyer console for mini-tenders (marchés spécifiques), under /console/marches/.

Reading needs any staff role; actions need the buyer role. Pages read through ``tenders.selectors``, every
action calls one service. Before the opening the bids page shows the deposit register only: nothing of a
bid's content (price, lines, notes, document names) is read or decrypted here until ``Tender.opened_at``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_fsm import can_proceed

from procurement import audit, calendar, clock, listcache, spreadsheets
from procurement import selectors as dps_selectors
from procurement.confirmation import irreversible
from procurement.errors import NotAllowed
from procurement.sorting import Sorting
from procurement.spreadsheets import (
    DATETIME,
    DECIMAL,
    INTEGER,
    MONEY,
    Column,
    Sheet,
    SpreadsheetError,
    dated_name,
)
from procurement.web import (
    INVALID,
    OK,
    actor_name,
    attachment_response,
    buyer_or_message,
    call_service,
    can_act,
    file_response,
    paginate,
    staff_required,
    table_rows,
)
from suppliers.evidence_files import human_size

from .. import dpgf, selectors, services
from ..documents import tender_reports
from ..forms.console import (
    AnswerForm,
    ScheduleUploadForm,
    TenderDocumentForm,
    TenderFilterForm,
    TenderForm,
    TenderReasonForm,
    category_choices,
)
from ..models import BidStatus, Tender, TenderStatus

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

# A refusal names the tender's current state with its French label.
STATE_LABELS = dict(TenderStatus.choices)


def _tender(request, tender_id) -> Tender:
    return selectors.tender_get(user=request.user, tender_id=tender_id)


def _back(tender):
    return redirect("tenders_console:detail", tender_id=tender.id)


# --- list ------------------------------------------------------------------------------------------------

def _tender_list_query(request):
    """The filter form, the filtered and sorted tenders and the sort: the page and its exports share it."""
    systems = [(str(d.id), d.reference) for d in dps_selectors.dps_visible(request.user).order_by("reference")]
    categories = [(str(c.id), f"{c.dps.reference} · {c.code}")
                  for c in dps_selectors.categories_visible(request.user)]
    form = TenderFilterForm(request.GET or None, categories=categories, systems=systems)
    filters = form.filters()
    deadline_after, deadline_before = calendar.day_range(filters.get("deadline_from"), filters.get("deadline_to"))
    sort = Sorting(request, selectors.TENDER_SORTS)
    qs = selectors.tender_list(
        user=request.user, status=filters.get("state") or None, category=filters.get("category") or None,
        dps=filters.get("dps") or None, deadline_after=deadline_after, deadline_before=deadline_before,
        search=(filters.get("q") or "").strip() or None, sort=sort.value,
    )
    return form, qs, sort


@require_GET
@staff_required
def tender_list(request):
    def build():
        form, qs, sort = _tender_list_query(request)
        page, query = paginate(request, qs, LIST_PAGE_SIZE)
        rows = [{"tender": t} for t in page.object_list]
        rendered_rows = table_rows("console/_tender_row.html", rows, columns=8, link=lambda row: (
            reverse("tenders_console:detail", args=[row["tender"].id]), row["tender"].reference))
        return {"form": form, "page": page, "query": query, "rows": rows, "rendered_rows": rendered_rows,
                "sorting": sort, "can_act": can_act(request.user)}

    return render(request, "console/tender_list.html", {
        "content": listcache.fragment(request, "tenders", "console/_tender_list_content.html", build)})


@require_GET
@staff_required
def tender_list_export(request, fmt):
    _form, qs, _sort = _tender_list_query(request)
    sheet = Sheet(_("Marchés spécifiques"), [
        Column(_("Référence"), lambda t: t.reference),
        Column(_("Intitulé"), lambda t: t.title, width=40),
        Column(_("Résidence"), lambda t: t.operation_name),
        Column(_("Commune"), lambda t: t.operation_commune),
        Column(_("SAD"), lambda t: t.dps.reference),
        Column(_("Catégorie"), lambda t: t.category.code),
        Column(_("État"), lambda t: t.get_status_display()),
        Column(_("Remise des offres"), lambda t: t.bid_deadline, DATETIME),
        Column(_("Montant estimé (€ HT)"), lambda t: t.estimated_value, MONEY),
        Column(_("Invités"), lambda t: t.invitation_count, INTEGER),
        Column(_("Dépôts"), lambda t: t.deposit_count, INTEGER),
        Column(_("Questions sans réponse"), lambda t: t.open_question_count, INTEGER),
    ], qs.iterator(chunk_size=500))
    return spreadsheets.response(sheet, fmt=fmt, filename=dated_name("marches"))


# --- the dashboard block -------------------------------------------------------------------------------

DASHBOARD_ROWS = 5


def dashboard_context(user) -> dict:
    """The "Marchés spécifiques" block of the console dashboard: counts by state, tenders to open, questions
    waiting, debriefing requests still unanswered with their due dates (four queries whatever the number of
    tenders)."""
    counts = selectors.tender_counts(user)
    to_open = list(selectors.tenders_to_open(user)[:DASHBOARD_ROWS + 1])
    waiting = list(selectors.questions_waiting(user)[:DASHBOARD_ROWS + 1])
    debriefs = list(selectors.debrief_requests(user, open_only=True)[:DASHBOARD_ROWS + 1])
    states = [{"status": value, "label": label, "count": counts.get(value, 0)} for value, label in TenderStatus.choices]
    return {
        "states": states, "to_open": to_open[:DASHBOARD_ROWS], "more_to_open": len(to_open) > DASHBOARD_ROWS,
        "waiting": waiting[:DASHBOARD_ROWS], "more_waiting": len(waiting) > DASHBOARD_ROWS,
        "debriefs": debriefs[:DASHBOARD_ROWS], "more_debriefs": len(debriefs) > DASHBOARD_ROWS, "now": clock.now(),
    }


# --- wizard ----------------------------------------------------------------------------------------------

@require_GET
@staff_required
def invitee_count(request):
    """How many suppliers publication would invite now for a category (the wizard updates it live)."""
    category = dps_selectors.category_find(request.user, request.GET.get("category", ""))
    if category is None:
        return JsonResponse({"category": None, "count": 0}, status=404 if request.GET.get("category") else 200)
    count = services.live_admissions(category).count()
    return JsonResponse({"category": str(category.id), "count": count,
                         "label": _invitee_label(count)})


def _invitee_label(count: int) -> str:
    return ngettext("%(n)s entreprise serait invitée aujourd'hui.",
                    "%(n)s entreprises seraient invitées aujourd'hui.", count) % {"n": count}


def _form_context(request, form, tender=None, *, upload_form=None):
    category = dps_selectors.category_find(request.user, form["category"].value())
    count = services.live_admissions(category).count() if category is not None else None
    return {"form": form, "tender": tender, "invitee_count": count,
            "invitee_label": _invitee_label(count) if count is not None else "",
            "upload_form": upload_form or ScheduleUploadForm(prefix="dpgf"),
            "dpgf_max_size": human_size(settings.DPGF_MAX_UPLOAD_BYTES),
            "can_act": can_act(request.user)}


def _schedule_action(request, categories, tender=None):
    """The wizard's DPGF buttons. "export": the schedule's rows as they stand, as XLSX. "import": the rows of
    an uploaded workbook replace the table, every other field as typed; nothing is saved (the service checks
    the rows on "Enregistrer"). ``None`` for any other post."""
    action = request.POST.get("dpgf")
    if action not in ("export", "import"):
        return None
    bound = TenderForm(request.POST, categories=categories)
    if action == "export":
        sheet = dpgf.schedule_sheet([row["values"] for row in bound.line_rows])
        name = f"DPGF-{tender.reference}" if tender else "DPGF-nouveau-marche"
        return spreadsheets.response(sheet, fmt="xlsx", filename=name)
    upload_form = ScheduleUploadForm(request.POST, request.FILES, prefix="dpgf")
    lines, status = [row["values"] for row in bound.line_rows], 200
    try:
        lines = dpgf.read_schedule(request.FILES.get("dpgf-file"))
    except SpreadsheetError as exc:
        upload_form.add_error("file", exc.message)
        status = 400
    else:
        messages.info(request, ngettext("%(n)s ligne importée dans le bordereau : vérifiez-la, puis enregistrez.",
                                        "%(n)s lignes importées dans le bordereau : vérifiez-les, puis enregistrez.",
                                        len(lines)) % {"n": len(lines)})
    # The typed fields come back as they were, unchecked (the person has not asked to save yet).
    initial = {name: request.POST.get(name) for name in bound.fields if name in request.POST}
    form = TenderForm(categories=categories, initial=initial, initial_rows={
        "criteria": [row["values"] for row in bound.criteria_rows], "price_schedule": lines})
    return render(request, "console/tender_form.html",
                  _form_context(request, form, tender, upload_form=upload_form), status=status)


@require_http_methods(["GET", "POST"])
@staff_required
def tender_create(request):
    if not buyer_or_message(request):
        return redirect("tenders_console:list")
    categories = category_choices()
    if request.method == "POST":
        schedule = _schedule_action(request, categories)
        if schedule is not None:
            return schedule
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
    if not tender.is_editable():
        messages.error(request, _("Un marché publié ne se modifie plus : publiez un document modificatif."))
        return _back(tender)
    if not buyer_or_message(request):
        return _back(tender)
    categories = category_choices(dps=tender.dps)
    if request.method == "POST":
        schedule = _schedule_action(request, categories, tender)
        if schedule is not None:
            return schedule
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
                       "reason": entry.reason_text, "kind": "event"})
    if tender.shows_deadlines():
        for label, moment in ((_("Date limite des questions"), tender.questions_deadline),
                              (_("Date limite de remise des offres"), tender.bid_deadline)):
            events.append({"at": moment, "label": label, "who": "", "reason": "", "kind": "deadline",
                           "future": moment > now})
    events.sort(key=lambda e: (e["at"], e["kind"] == "deadline"))
    return events


def _detail_context(request, tender, *, document_form=None, cancel_form=None, unsuccessful_form=None):
    tender = selectors.tender_detail(tender)
    now = clock.now()
    criteria = list(tender.criteria.all())
    draft = tender.is_editable()
    problems = services.publication_problems(tender, at=now) if draft else {}
    figures = selectors.tender_figures(tender)
    invited = services.live_admissions(tender.category).count() if draft else figures["invited"]
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
        "question_count": figures["questions"], "open_question_count": figures["open_questions"],
        "deposit_count": figures["deposits"],
        "timeline": _timeline(tender, now),
        "now": now,
        "can_act": can_act(request.user),
        "can_edit": draft,
        "can_publish": can_proceed(tender.publish) and not problems,
        "can_upload": tender.accepts_documents(now),
        "addendum": tender.documents_are_addenda(),
        "can_open": tender.can_be_opened(),
        "waits_for_deadline": tender.accepts_bids(now),
        "can_cancel": can_proceed(tender.cancel),
        "can_declare_unsuccessful": can_proceed(tender.declare_unsuccessful),
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
@irreversible(_lazy("Publier ce marché et inviter les entreprises maintenant ?"),
              _lazy("Les invitations partent en même temps à toutes les entreprises admises dans la"
                    " catégorie ; les critères et leurs pondérations sont alors figés."))
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
@irreversible(_lazy("Ouvrir les plis ?"),
              _lazy("Les offres deviendront lisibles ; l'ouverture est enregistrée à votre nom et "
                    "ne peut pas être défaite."))
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
@irreversible(_lazy("Déclarer ce marché sans suite ?"),
              _lazy("La procédure prend fin ; les entreprises invitées en sont informées avec le "
                    "motif."))
def tender_cancel(request, tender_id):
    return _end(request, tender_id, prefix="cancel", func=services.tender_cancel,
                done=_("Le marché est déclaré sans suite ; les entreprises invitées sont informées."))


@require_POST
@staff_required
@irreversible(_lazy("Déclarer ce marché infructueux ?"),
              _lazy("La procédure prend fin ; les entreprises invitées en sont informées avec le "
                    "motif."))
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
    return file_response(selectors.tender_document_get(user=request.user, document_id=document_id))


# --- invitations and questions ---------------------------------------------------------------------------

@require_GET
@staff_required
def invitations(request, tender_id):
    tender = _tender(request, tender_id)
    progress = selectors.invitation_mail_progress(tender) if tender.published_at else None
    return render(request, "console/tender_invitations.html", {
        "tender": tender, "invitations": selectors.invitations_for_tender(tender), "mails": progress,
        "can_act": can_act(request.user)})


@require_GET
@staff_required
def invitations_export(request, tender_id, fmt):
    tender = _tender(request, tender_id)
    sheet = Sheet(_("Invitations"), [
        Column(_("Entreprise"), lambda i: i.company.name, width=36),
        Column(_("SIRET"), lambda i: i.company.identifier, width=18),
        Column(_("Commune"), lambda i: i.company.city),
        Column(_("Invitée le"), lambda i: i.sent_at, DATETIME),
    ], selectors.invitations_for_tender(tender))
    return spreadsheets.response(sheet, fmt=fmt, filename=f"invitations-{tender.reference}")


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
        "can_answer": tender.accepts_answers(),
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
    now = clock.now()
    readable = selectors.bid_contents_readable(request.user, tender)
    context = {"tender": tender, "register": register, "can_act": can_act(request.user),
               "opened": tender.opened_at is not None and readable, "now": now, "can_open": tender.can_be_opened(),
               "contents_withheld": tender.opened_at is not None and not readable}
    if tender.opened_at is not None and readable:
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
def register_export(request, tender_id, fmt):
    """The deposit register: who deposited, when, in which state. Never a bid's content."""
    tender = _tender(request, tender_id)
    sheet = Sheet(_("Registre des dépôts"), [
        Column(_("Entreprise"), lambda b: b.company.name, width=36),
        Column(_("SIRET"), lambda b: b.company.identifier, width=18),
        Column(_("Reçue le"), lambda b: b.submitted_at, DATETIME),
        Column(_("État"), lambda b: b.get_status_display()),
        Column(_("Remplacée par le dépôt du"), lambda b: b.replaced_by.submitted_at if b.replaced_by_id else None,
               DATETIME),
        Column(_("Retirée le"), lambda b: b.withdrawn_at, DATETIME),
    ], selectors.deposit_register(tender))
    return spreadsheets.response(sheet, fmt=fmt, filename=f"registre-depots-{tender.reference}")


@require_GET
@staff_required
def opened_bids_export(request, tender_id, fmt):
    """The opened bids compared (prices): only for those who may read the tender's bids, once opened."""
    tender = _tender(request, tender_id)
    try:
        selectors.require_bid_contents_readable(request.user, tender)
    except NotAllowed as exc:
        return render(request, "console/evaluation_forbidden.html", {"tender": tender, "reason": exc.detail},
                      status=403)
    if tender.opened_at is None:
        raise Http404(_("Les plis ne sont pas ouverts."))
    opened = list(selectors.opened_bids(tender))
    lowest = min((b.total_price for b in opened if b.total_price is not None), default=None)

    def gap(bid):
        if not lowest or bid.total_price is None:
            return None
        return ((bid.total_price - lowest) / lowest * 100).quantize(Decimal("0.01"))

    sheet = Sheet(_("Offres ouvertes"), [
        Column(_("Entreprise"), lambda b: b.company.name, width=36),
        Column(_("SIRET"), lambda b: b.company.identifier, width=18),
        Column(_("Reçue le"), lambda b: b.submitted_at, DATETIME),
        Column(_("Prix total (€ HT)"), lambda b: b.total_price, MONEY),
        Column(_("Écart au moins-disant (%)"), gap, DECIMAL),
        Column(_("Durée (semaines)"), lambda b: b.duration_weeks, INTEGER),
        Column(_("État"), lambda b: b.get_status_display()),
    ], opened)
    return spreadsheets.response(sheet, fmt=fmt, filename=f"offres-{tender.reference}")


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
