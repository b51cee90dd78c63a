"""Buyer console: dashboard, DPS and categories. Every page reads through selectors, every action calls one service.

Reading needs any staff role; actions need the buyer role. A domain error becomes a message (or field
errors on a re-rendered form), never a server error; a successful action redirects (post/redirect/get).
"""

from __future__ import annotations

import datetime as dt
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from suppliers import selectors as supplier_selectors
from suppliers.models import (
    AdmissionStatus,
    Application,
    ApplicationStatus,
    CategoryDecision,
    DeclarationRenewal,
    EvidenceKind,
    RenewalStatus,
)
from suppliers.services import declaration_renewals_request

from . import audit, calendar, services
from .errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from .forms_console import CategoryForm, DPSForm, ReasonForm, RenewalRequestForm, add_service_errors
from .models import DPSStatus
from .permissions import BUYER, ROLE_LABELS, has_role, is_staff_member

QUEUE_PAGE_SIZE = 25

STATE_LABELS = {
    **dict(DPSStatus.choices),
    **dict(RenewalStatus.choices),
    **dict(CategoryDecision.choices),
    **dict(AdmissionStatus.choices),
    **dict(ApplicationStatus.choices),
}


# --- shared helpers (also used by suppliers.views.console) ----------------------------------------------

def staff_required(view):
    """Anonymous → login page; a logged-in person without a staff role → 403 page (the console stays hidden)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_staff_member(request.user):
            return render(request, "console/forbidden.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def can_act(user) -> bool:
    return has_role(user, BUYER)


def buyer_or_message(request) -> bool:
    """True for a buyer; otherwise leave a message (the caller redirects, nothing changes)."""
    if can_act(request.user):
        return True
    messages.error(request, _("Cette action est réservée au rôle « %(role)s ».") % {"role": ROLE_LABELS[BUYER]})
    return False


def state_label(state) -> str:
    return str(STATE_LABELS.get(state, state or ""))


ACTION_LABELS = {
    "create": _lazy("Création"),
    "submit": _lazy("Dépôt"),
    "request-info": _lazy("Demande de compléments"),
    "extend": _lazy("Prolongation du délai"),
    "decide": _lazy("Décision"),
    "withdraw": _lazy("Retrait"),
    "publish": _lazy("Publication"),
    "close": _lazy("Clôture"),
    "terminate": _lazy("Résiliation"),
    "add-category": _lazy("Ajout d'une catégorie"),
    "admit": _lazy("Admission"),
    "suspend": _lazy("Suspension"),
    "reinstate": _lazy("Rétablissement"),
    "exclude": _lazy("Exclusion"),
    "request": _lazy("Demande"),
    "answer": _lazy("Réponse"),
    "lapse": _lazy("Délai dépassé"),
    "admit-category": _lazy("Catégorie admise"),
    "reject-category": _lazy("Catégorie rejetée"),
    "update": _lazy("Modification"),
    "join-company": _lazy("Rattachement à l'entreprise"),
    "invite-member": _lazy("Invitation d'un membre"),
    "accept-invitation": _lazy("Invitation acceptée"),
    "upload-evidence": _lazy("Dépôt d'un justificatif"),
    "delete-evidence": _lazy("Suppression d'un justificatif"),
    "grant-role": _lazy("Attribution d'un rôle"),
    "revoke-role": _lazy("Retrait d'un rôle"),
    "upload-document": _lazy("Ajout d'un document"),
    "publish-addendum": _lazy("Document modificatif"),
    "answer-question": _lazy("Réponse à une question"),
    "add-document": _lazy("Ajout d'un document à l'offre"),
    "delete-document": _lazy("Retrait d'un document de l'offre"),
}


def actor_name(user) -> str:
    """A person as staff pages show them: full name, or the e-mail address when no name is known."""
    return user.get_full_name() or user.email


def timeline(object_type: str, object_id) -> list:
    """The audit history of one object, with French labels for actions and states and the agent's name."""
    entries = audit.history(object_type, object_id)
    for entry in entries:
        entry.who = actor_name(entry.actor) if entry.actor_id else _("système")
        entry.action_label = ACTION_LABELS.get(entry.action, entry.action)
        if entry.details.get("code"):  # a category decided: which one
            entry.action_label = f"{entry.action_label} {entry.details['code']}"
        entry.from_label = state_label(entry.from_state)
        entry.to_label = state_label(entry.to_state)
    return entries


OK, INVALID, REFUSED = "ok", "invalid", "refused"


def call_service(request, func, *, form=None, aliases=None, **kwargs):
    """Run one service as the current user. Returns ``(outcome, result_or_error)``.

    ``ValidationFailed`` puts the errors on ``form`` (or in messages when there is none) → INVALID;
    a wrong state, a conflict or a refusal becomes a message with the current state → REFUSED.
    """
    try:
        return OK, func(actor=request.user, **kwargs)
    except ValidationFailed as exc:
        if form is not None:
            add_service_errors(form, exc, aliases=aliases)
        else:
            for message in exc.messages:
                messages.error(request, message)
        return INVALID, exc
    except (InvalidTransition, Conflict) as exc:
        text = exc.detail
        if getattr(exc, "state", None):
            text = f"{text} " + _("État actuel : %(state)s.") % {"state": state_label(exc.state)}
        messages.error(request, text)
        return REFUSED, exc
    except NotAllowed as exc:
        messages.error(request, exc.detail)
        return REFUSED, exc


def paginate(request, queryset, per_page: int):
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def days_left(due: dt.date | None, today: dt.date | None = None) -> int | None:
    """Working days (jours ouvrables) until ``due``; negative once it is past."""
    if due is None:
        return None
    today = today or timezone.localdate()
    if due >= today:
        return calendar.working_days_between(today, due)
    return -calendar.working_days_between(due, today)


# --- dashboard -------------------------------------------------------------------------------------------

def _applications_by_status() -> list[dict]:
    counts = dict(
        Application.objects.order_by().values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    biggest = max(counts.values(), default=0) or 1
    return [
        {"status": value, "label": label, "count": counts.get(value, 0),
         "percent": round(100 * counts.get(value, 0) / biggest)}
        for value, label in ApplicationStatus.choices
    ]


@require_GET
@staff_required
def dashboard(request):
    from tenders.views.console import dashboard_context as tender_dashboard

    page, query = paginate(request, supplier_selectors.review_queue(), QUEUE_PAGE_SIZE)
    today = timezone.localdate()
    rows = [
        {"application": application, "days_left": days_left(application.decision_due, today),
         "overdue": application.is_overdue}
        for application in page.object_list
    ]
    chart = _applications_by_status()
    return render(request, "console/dashboard.html", {
        "counts": supplier_selectors.dashboard_counts(),
        "page": page, "query": query, "rows": rows,
        "chart": chart, "chart_height": 24 * len(chart) + 8,
        "can_act": can_act(request.user),
        "tenders": tender_dashboard(request.user),
    })


# --- DPS -------------------------------------------------------------------------------------------------

@require_GET
@staff_required
def dps_list(request):
    systems = supplier_selectors.dps_visible(request.user).annotate(category_count=Count("categories"))
    return render(request, "console/dps_list.html", {"systems": systems, "can_act": can_act(request.user)})


@require_http_methods(["GET", "POST"])
@staff_required
def dps_create(request):
    form = DPSForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not buyer_or_message(request):
            return redirect("console:dps_list")
        if form.is_valid():
            outcome, result = call_service(request, services.dps_create, form=form, **form.cleaned_data)
            if outcome == OK:
                messages.success(request, _("Le SAD %(ref)s est créé (brouillon).") % {"ref": result.reference})
                return redirect("console:dps_detail", dps_id=result.id)
            status = 400 if outcome == INVALID else 409  # the form is shown again with what was typed
        else:
            status = 400
    return render(request, "console/dps_form.html", {"form": form, "can_act": can_act(request.user)}, status=status)


def _dps_context(request, dps, *, category_form=None, terminate_form=None, renewal_form=None):
    admitted = supplier_selectors.admissions_list(dps_id=dps.id, status=AdmissionStatus.ADMITTED)
    companies = {}
    for admission in admitted:
        companies.setdefault(admission.company_id, admission.company)
    company_choices = [(str(c.id), f"{c.name} ({c.identifier})") for c in companies.values()]
    categories = list(dps.categories.all())
    kinds = dict(EvidenceKind.choices)
    for category in categories:
        category.evidence_labels = [str(kinds.get(k, k)) for k in category.required_evidence]
    renewals = DeclarationRenewal.objects.filter(dps=dps).select_related("company").order_by("-requested_at")
    return {
        "dps": dps,
        "categories": categories,
        "category_form": category_form or CategoryForm(),
        "terminate_form": terminate_form or ReasonForm(),
        "renewal_form": renewal_form or RenewalRequestForm(company_choices=company_choices),
        "renewals": renewals,
        "admitted_company_count": len(companies),
        "history": timeline("dps", dps.id),
        "can_act": can_act(request.user),
        "can_publish": dps.status == DPSStatus.DRAFT,
        "can_terminate": dps.status in (DPSStatus.DRAFT, DPSStatus.OPEN),
        "can_add_category": dps.status in (DPSStatus.DRAFT, DPSStatus.OPEN),
        "today": timezone.localdate(),
    }


@require_GET
@staff_required
def dps_detail(request, dps_id):
    dps = supplier_selectors.dps_get(user=request.user, dps_id=dps_id)
    return render(request, "console/dps_detail.html", _dps_context(request, dps))


@require_POST
@staff_required
def dps_publish(request, dps_id):
    dps = supplier_selectors.dps_get(user=request.user, dps_id=dps_id)
    if buyer_or_message(request):
        outcome, result = call_service(request, services.dps_publish, dps=dps)
        if outcome == OK:
            messages.success(request, _("Le SAD est publié : les candidatures sont ouvertes."))
    return redirect("console:dps_detail", dps_id=dps.id)


@require_POST
@staff_required
def dps_terminate(request, dps_id):
    dps = supplier_selectors.dps_get(user=request.user, dps_id=dps_id)
    if not buyer_or_message(request):
        return redirect("console:dps_detail", dps_id=dps.id)
    form = ReasonForm(request.POST)
    if form.is_valid():
        outcome, _result = call_service(request, services.dps_terminate, form=form, dps=dps,
                                        reason=form.cleaned_data["reason"])
        if outcome == OK:
            messages.success(request, _("Le SAD est résilié."))
        if outcome != INVALID:
            return redirect("console:dps_detail", dps_id=dps.id)
    return render(request, "console/dps_detail.html", _dps_context(request, dps, terminate_form=form), status=400)


@require_POST
@staff_required
def category_add(request, dps_id):
    dps = supplier_selectors.dps_get(user=request.user, dps_id=dps_id)
    if not buyer_or_message(request):
        return redirect("console:dps_detail", dps_id=dps.id)
    form = CategoryForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        outcome, result = call_service(
            request, services.category_create, form=form, aliases=CategoryForm.service_aliases, dps=dps,
            code=data["code"], name=data["name"], trade=data["trade"], territories=form.territories(),
            max_contract_value=data.get("max_contract_value"), min_turnover=data.get("min_turnover"),
            required_evidence=data.get("required_evidence") or [],
            min_turnover_justification=data.get("min_turnover_justification") or "",
        )
        if outcome == OK:
            messages.success(request, _("La catégorie %(code)s est ajoutée.") % {"code": result.code})
            return redirect("console:dps_detail", dps_id=dps.id)
        status = 400 if outcome == INVALID else 409  # shown again with what was typed
    else:
        status = 400
    return render(request, "console/dps_detail.html", _dps_context(request, dps, category_form=form), status=status)


@require_POST
@staff_required
def renewals_request(request, dps_id):
    dps = supplier_selectors.dps_get(user=request.user, dps_id=dps_id)
    if buyer_or_message(request):
        company_ids = [c for c in request.POST.getlist("companies") if c]
        outcome, created = call_service(request, declaration_renewals_request, dps=dps, company_ids=company_ids or None)
        if outcome == OK:
            if created:
                messages.success(request, _("%(n)s demande(s) de déclaration renouvelée envoyée(s).") % {"n": len(created)})
            else:
                messages.info(request, _("Aucune nouvelle demande : les entreprises choisies ont déjà une demande en cours."))
    return redirect("console:dps_detail", dps_id=dps.id)
