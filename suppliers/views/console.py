"""Buyer console, supplier side: applications review, directory, company pages, admissions, declaration renewals,
and the supplier part of the dashboard (composed with the tenders' part in ``procurement/site/console.py``)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST
from django_fsm import can_proceed

from procurement import clock, listcache, spreadsheets
from procurement import selectors as dps_selectors
from procurement.confirmation import irreversible
from procurement.errors import Conflict, InvalidTransition, NotAllowed, ValidationFailed
from procurement.forms.console import ReasonForm
from procurement.models import DPSStatus
from procurement.sorting import Sorting
from procurement.spreadsheets import BOOLEAN, DATE, DATETIME, INTEGER, Column, Sheet, dated_name
from procurement.web import (
    INVALID,
    OK,
    buyer_or_message,
    call_service,
    can_act,
    days_left,
    file_response,
    get_or_404,
    paginate,
    staff_required,
    state_label,
    timeline,
)

from .. import evidence_checks, selectors, services
from ..evidence_files import ACCEPTED
from ..forms.console import (
    AdmissionFilterForm,
    ApplicationFilterForm,
    DecisionForm,
    DirectoryFilterForm,
    ExtendForm,
    InfoRequestForm,
    RenewalRequestForm,
)
from ..models import (
    EXCLUSION_GROUNDS,
    AdmissionStatus,
    ApplicationStatus,
    CategoryDecision,
    RenewalStatus,
    evidence_status,
)

# The states these pages name (a refusal's current state, the audit history), with their French labels.
STATE_LABELS = {
    **dict(DPSStatus.choices),
    **dict(RenewalStatus.choices),
    **dict(CategoryDecision.choices),
    **dict(AdmissionStatus.choices),
    **dict(ApplicationStatus.choices),
}

QUEUE_PAGE_SIZE = 25
APPLICATIONS_PAGE_SIZE = 25
DIRECTORY_PAGE_SIZE = 50
ADMISSIONS_PAGE_SIZE = 50


# --- the dashboard (its supplier part) ---------------------------------------------------------------------

def _applications_by_status(counts: dict[str, int]) -> list[dict]:
    biggest = max(counts.values(), default=0) or 1
    return [
        {"status": value, "label": label, "count": counts.get(value, 0),
         "percent": round(100 * counts.get(value, 0) / biggest)}
        for value, label in ApplicationStatus.choices
    ]


def dashboard_context(request) -> dict:
    """The review queue (paginated), the counts and the applications chart of the console dashboard."""
    page, query = paginate(request, selectors.review_queue(request.user), QUEUE_PAGE_SIZE)
    today = clock.today()
    rows = [
        {"application": application, "days_left": days_left(application.decision_due, today),
         "overdue": application.is_overdue_on(today)}
        for application in page.object_list
    ]
    counts = selectors.dashboard_counts(request.user)
    chart = _applications_by_status(counts["by_status"])
    return {
        "counts": counts,
        "page": page, "query": query, "rows": rows,
        "chart": chart, "chart_height": 24 * len(chart) + 8,
        "can_act": can_act(request.user),
        # Row links: the list's URL plus the id (console:application_review), not one reverse() per row.
        "applications_url": reverse("console:applications"),
    }


def document_url(document) -> str:
    return reverse("portal:document_download", args=[document.id])


@require_GET
@staff_required
def document_preview(request, document_id):
    """The evidence file shown inline in the review page's viewer (the portal's download forces an attachment)."""
    document = selectors.document_get(user=request.user, document_id=document_id)
    return file_response(document, inline=document.content_type in ACCEPTED)


def _category_choices(user):
    categories = dps_selectors.categories_visible(user)
    return [(str(c.id), f"{c.dps.reference} · {c.code} — {c.name}") for c in categories]


# --- applications ------------------------------------------------------------------------------------------

def _applications_query(request):
    """The filter form, the filtered and sorted applications and the sort: the page and its exports share it."""
    dps_choices = [(str(d.id), d.reference) for d in dps_selectors.dps_visible(request.user)]
    form = ApplicationFilterForm(request.GET or None, dps_choices=dps_choices)
    filters = form.filters()
    sort = Sorting(request, selectors.APPLICATION_SORTS)
    qs = selectors.applications_for_user(
        request.user, status=filters.get("status") or None, dps_id=filters.get("dps") or None,
        overdue=bool(filters.get("overdue")), sort=sort.value,
    )
    return form, qs, sort


def _application_days_left(application, today):
    return days_left(application.decision_due, today) if application.status == ApplicationStatus.SUBMITTED else None


@require_GET
@staff_required
def applications(request):
    def build():
        form, qs, sort = _applications_query(request)
        page, query = paginate(request, qs, APPLICATIONS_PAGE_SIZE)
        today = clock.today()
        rows = [{"application": a, "days_left": _application_days_left(a, today), "overdue": a.is_overdue_on(today)}
                for a in page.object_list]
        return {"form": form, "page": page, "query": query, "rows": rows, "sorting": sort,
                "can_act": can_act(request.user), "applications_url": reverse("console:applications")}

    return render(request, "console/applications.html", {
        "content": listcache.fragment(request, "applications", "console/_applications_content.html", build)})


@require_GET
@staff_required
def applications_export(request, fmt):
    _form, qs, _sort = _applications_query(request)
    today = clock.today()
    decisions = dict(CategoryDecision.choices)
    sheet = Sheet(_("Candidatures"), [
        Column(_("Entreprise"), lambda a: a.company.name, width=36),
        Column(_("SIRET"), lambda a: a.company.identifier, width=18),
        Column(_("SAD"), lambda a: a.dps.reference),
        Column(_("Catégories"), lambda a: ", ".join(
            f"{line.category.code} ({decisions.get(line.decision, line.decision)})" for line in a.lines.all())),
        Column(_("Reçue le"), lambda a: a.submitted_at, DATETIME),
        Column(_("Décision attendue le"), lambda a: a.decision_due, DATE),
        Column(_("Décidée le"), lambda a: a.decided_at, DATETIME),
        Column(_("Jours restants"), lambda a: _application_days_left(a, today), INTEGER),
        Column(_("État"), lambda a: a.get_status_display()),
        Column(_("En retard"), lambda a: a.is_overdue_on(today), BOOLEAN),
    ], qs)
    return spreadsheets.response(sheet, fmt=fmt, filename=dated_name("candidatures"))


def _review_context(request, application, *, decision_form=None, info_form=None, extend_form=None):
    company = application.company
    lines = list(application.lines.all())
    declaration = selectors.declaration_current(company)
    documents = list(selectors.current_documents(company))
    history = list(selectors.document_history(company))
    for document in documents + history:
        document.url = document_url(document)
        document.preview_url = reverse("console:document_preview", args=[document.id])
    categories = [line.category for line in lines]
    # The same checks as the portal's "dossier complet" (suppliers.evidence_checks.dossier_checks).
    dossier = evidence_checks.dossier_checks(company, categories, documents=documents, declaration=declaration)
    grounds = []
    if declaration:
        grounds = [{"code": code, "label": label, "applies": bool(declaration.exclusion_grounds.get(code))}
                   for code, label in EXCLUSION_GROUNDS.items()]
    pending = can_proceed(application.decide)
    return {
        "application": application,
        "company": company,
        "lines": lines,
        "declaration": declaration,
        "grounds": grounds,
        "grounds_applying": [g for g in grounds if g["applies"]],
        "documents": documents,
        "document_history": history,
        "dossier": dossier,
        "missing": dossier.missing_items() if pending else {},
        "history": timeline("application", application.id, states=STATE_LABELS),
        "days_left": days_left(application.decision_due) if pending else None,
        "can_act": can_act(request.user),
        "can_decide": pending,
        "can_request_info": can_proceed(application.request_info),
        "can_extend": can_proceed(application.extend),
        "decision_form": decision_form or DecisionForm(lines=lines),
        "info_form": info_form or InfoRequestForm(),
        "extend_form": extend_form or ExtendForm(),
    }


@require_GET
@staff_required
def application_review(request, application_id):
    application = selectors.application_get(user=request.user, application_id=application_id)
    return render(request, "console/application_review.html", _review_context(request, application))


def _refused_decision_message(request, application_id, exc=None):
    """A decision refused because of the state: if a colleague decided first, say who and when."""
    current = selectors.application_get(user=request.user, application_id=application_id)
    if current.status == ApplicationStatus.DECIDED:
        who = current.decided_by or _("un autre agent")
        when = (formats.date_format(timezone.localtime(current.decided_at), "d/m/Y H:i")
                if current.decided_at else "")
        messages.warning(request, _("Cette candidature a déjà été décidée par %(who)s le %(when)s. "
                                    "La décision enregistrée est affichée ci-dessous.") % {"who": who, "when": when})
    else:
        detail = exc.detail if exc is not None else _("Cette candidature n'est pas en attente de décision.")
        messages.error(request, f"{detail} " + _("État actuel : %(state)s.") % {"state": state_label(current.status, STATE_LABELS)})


@require_POST
@staff_required
@irreversible(gettext_lazy("Enregistrer cette décision ?"),
              gettext_lazy("Chaque catégorie admise ou rejetée l'est définitivement, et "
                           "l'entreprise en est informée aussitôt, avec le motif de chaque rejet."))
def application_decide(request, application_id):
    application = selectors.application_get(user=request.user, application_id=application_id)
    back = redirect("console:application_review", application_id=application.id)
    if not buyer_or_message(request):
        return back
    if not can_proceed(application.decide):
        _refused_decision_message(request, application.id)
        return back
    form = DecisionForm(request.POST, lines=application.lines.all())
    if form.is_valid():
        try:
            services.application_decide(actor=request.user, application=application, decisions=form.decisions())
        except ValidationFailed as exc:
            form.add_service_errors(exc)
        except (InvalidTransition, Conflict) as exc:  # a colleague decided between our read and our lock
            _refused_decision_message(request, application.id, exc)
            return back
        except NotAllowed as exc:
            messages.error(request, exc.detail)
            return back
        else:
            messages.success(request, _("La décision est enregistrée et l'entreprise en est informée."))
            return back
    return render(request, "console/application_review.html",
                  _review_context(request, application, decision_form=form), status=400)


@require_POST
@staff_required
def application_request_info(request, application_id):
    application = selectors.application_get(user=request.user, application_id=application_id)
    back = redirect("console:application_review", application_id=application.id)
    if not buyer_or_message(request):
        return back
    form = InfoRequestForm(request.POST)
    if form.is_valid():
        outcome, _result = call_service(request, services.application_request_info, form=form, states=STATE_LABELS,
                                        application=application, message=form.cleaned_data["message"])
        if outcome == OK:
            messages.success(request, _("La demande de compléments est envoyée ; la candidature revient à l'entreprise."))
        if outcome != INVALID:
            return back
    return render(request, "console/application_review.html",
                  _review_context(request, application, info_form=form), status=400)


@require_POST
@staff_required
def application_extend(request, application_id):
    application = selectors.application_get(user=request.user, application_id=application_id)
    back = redirect("console:application_review", application_id=application.id)
    if not buyer_or_message(request):
        return back
    form = ExtendForm(request.POST)
    if form.is_valid():
        outcome, result = call_service(request, services.application_extend, form=form, states=STATE_LABELS,
                                       application=application,
                                       reason=form.cleaned_data["reason"])
        if outcome == OK:
            messages.success(request, _("Le délai de décision est prolongé jusqu'au %(date)s.")
                             % {"date": formats.date_format(result.decision_due, "SHORT_DATE_FORMAT")})
        if outcome != INVALID:
            return back
    return render(request, "console/application_review.html",
                  _review_context(request, application, extend_form=form), status=400)


# --- directory and company pages ---------------------------------------------------------------------------

def _directory_query(request):
    form = DirectoryFilterForm(request.GET or None, category_choices=_category_choices(request.user))
    filters = form.filters()
    sort = Sorting(request, selectors.DIRECTORY_SORTS)
    qs = selectors.supplier_directory(
        category_id=filters.get("category") or None,
        territory=filters.get("territory") or None,
        admission_status=filters.get("admission_status") or None,
        expiring_within_days=filters.get("expiring_within"),
        search=(filters.get("q") or "").strip() or None,
        sort=sort.value,
    )
    return form, qs, sort


@require_GET
@staff_required
def directory(request):
    def build():
        form, qs, sort = _directory_query(request)
        page, query = paginate(request, qs, DIRECTORY_PAGE_SIZE)
        today = clock.today()
        companies = selectors.with_document_stats(list(page.object_list))
        rows = [{"company": c, "expiry_status": evidence_status(c.next_expiry, on=today) if c.next_expiry else None}
                for c in companies]
        return {"form": form, "page": page, "query": query, "rows": rows, "sorting": sort,
                "can_act": can_act(request.user), "directory_url": reverse("console:directory")}

    return render(request, "console/directory.html", {
        "content": listcache.fragment(request, "directory", "console/_directory_content.html", build)})


EXPORT_BATCH = 500


def _with_stats_in_batches(qs):
    """The companies with their document figures, a batch at a time (one stats query per batch)."""
    batch = []
    for company in qs.iterator(chunk_size=EXPORT_BATCH):
        batch.append(company)
        if len(batch) == EXPORT_BATCH:
            yield from selectors.with_document_stats(batch)
            batch = []
    yield from selectors.with_document_stats(batch)


@require_GET
@staff_required
def directory_export(request, fmt):
    _form, qs, _sort = _directory_query(request)
    statuses = dict(AdmissionStatus.choices)
    sheet = Sheet(_("Annuaire des fournisseurs"), [
        Column(_("Entreprise"), lambda c: c.name, width=36),
        Column(_("SIRET"), lambda c: c.identifier, width=18),
        Column(_("Adresse"), lambda c: c.street),
        Column(_("Code postal"), lambda c: c.postal_code),
        Column(_("Commune"), lambda c: c.city),
        Column(_("Admissions"), lambda c: ", ".join(
            f"{a.category.code} ({statuses.get(a.status, a.status)})" for a in c.admissions.all())),
        Column(_("Justificatifs"), lambda c: c.document_count, INTEGER),
        Column(_("Prochaine expiration"), lambda c: c.next_expiry, DATE),
    ], _with_stats_in_batches(qs))
    return spreadsheets.response(sheet, fmt=fmt, filename=dated_name("annuaire-fournisseurs"))


def _company_context(request, company):
    documents = list(selectors.current_documents(company))
    history = list(selectors.document_history(company))
    for document in documents + history:
        document.url = document_url(document)
    return {
        "company": company,
        "admissions": selectors.admissions_list(company_id=company.id),
        "documents": documents,
        "document_history": history,
        "declarations": selectors.declaration_versions(company),
        "applications": selectors.applications_for_user(request.user, company_id=company.id),
        "members": selectors.company_members(company),
        "can_act": can_act(request.user),
        "reason_form": ReasonForm(),
    }


@require_GET
@staff_required
def company_detail(request, company_id):
    company = selectors.company_get(user=request.user, company_id=company_id)
    return render(request, "console/company_detail.html", _company_context(request, company))


# --- admissions -----------------------------------------------------------------------------------------------

def _admissions_query(request):
    form = AdmissionFilterForm(request.GET or None, category_choices=_category_choices(request.user))
    filters = form.filters()
    sort = Sorting(request, selectors.ADMISSION_SORTS)
    qs = selectors.admissions_list(category_id=filters.get("category") or None, status=filters.get("status") or None,
                                   sort=sort.value)
    return form, qs, sort


@require_GET
@staff_required
def admissions(request):
    def build():
        form, qs, sort = _admissions_query(request)
        page, query = paginate(request, qs, ADMISSIONS_PAGE_SIZE)
        return {"form": form, "page": page, "query": query, "sorting": sort, "can_act": can_act(request.user),
                "directory_url": reverse("console:directory")}

    return render(request, "console/admissions.html", {
        "content": listcache.fragment(request, "admissions", "console/_admissions_content.html", build)})


@require_GET
@staff_required
def admissions_export(request, fmt):
    _form, qs, _sort = _admissions_query(request)
    sheet = Sheet(_("Admissions"), [
        Column(_("Entreprise"), lambda a: a.company.name, width=36),
        Column(_("SIRET"), lambda a: a.company.identifier, width=18),
        Column(_("SAD"), lambda a: a.category.dps.reference),
        Column(_("Catégorie"), lambda a: a.category.code),
        Column(_("Intitulé de la catégorie"), lambda a: a.category.name, width=40),
        Column(_("Admise le"), lambda a: a.admitted_at, DATE),
        Column(_("État"), lambda a: a.get_status_display()),
        Column(_("Motif"), lambda a: a.status_reason, width=40),
    ], qs.iterator(chunk_size=EXPORT_BATCH))
    return spreadsheets.response(sheet, fmt=fmt, filename=dated_name("admissions"))


ADMISSION_ACTIONS = {
    "suspendre": (services.admission_suspend, gettext_lazy("L'admission est suspendue.")),
    "reintegrer": (services.admission_reinstate, gettext_lazy("L'admission est rétablie.")),
    "exclure": (services.admission_exclude, gettext_lazy("L'entreprise est exclue de la catégorie.")),
}


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return fallback


@require_POST
@staff_required
@irreversible(gettext_lazy("Suspendre cette admission ?"),
              gettext_lazy("L'entreprise ne sera plus invitée aux marchés de la catégorie jusqu'à "
                           "son rétablissement ; elle en est informée avec le motif."),
              when=lambda data, kwargs: kwargs.get("action") == "suspendre")
@irreversible(gettext_lazy("Exclure définitivement l'entreprise de la catégorie ?"),
              gettext_lazy("L'exclusion ne peut pas être levée : l'entreprise ne sera plus invitée "
                           "aux marchés de la catégorie ; elle en est informée avec le motif."),
              when=lambda data, kwargs: kwargs.get("action") == "exclure")
def admission_action(request, admission_id, action):
    admission = get_or_404(selectors.admissions_list(), id=admission_id, message=_("Admission introuvable"))
    back = _safe_next(request, reverse("console:admissions"))
    if action not in ADMISSION_ACTIONS:
        messages.error(request, _("Action inconnue."))
        return redirect(back)
    if not buyer_or_message(request):
        return redirect(back)
    service, success = ADMISSION_ACTIONS[action]
    outcome, _result = call_service(request, service, states=STATE_LABELS, admission=admission,
                                    reason=request.POST.get("reason", ""))
    if outcome == OK:
        messages.success(request, f"{success} ({admission.company.name}, {admission.category.code})")
    return redirect(back)


# --- declaration renewals (a section of the DPS page, and its action) --------------------------------------------

def dps_renewals(request, dps) -> dict:
    """The DPS page's renewals section: the requests sent, and the form to ask the admitted companies for more."""
    admitted = selectors.admissions_list(dps_id=dps.id, status=AdmissionStatus.ADMITTED)
    companies = {}
    for admission in admitted:
        companies.setdefault(admission.company_id, admission.company)
    company_choices = [(str(c.id), f"{c.name} ({c.identifier})") for c in companies.values()]
    return {
        "renewal_form": RenewalRequestForm(company_choices=company_choices),
        "renewals": selectors.renewals_for_dps(request.user, dps),
        "admitted_company_count": len(companies),
    }


@require_POST
@staff_required
def renewals_request(request, dps_id):
    dps = dps_selectors.dps_get(user=request.user, dps_id=dps_id)
    if buyer_or_message(request):
        company_ids = [c for c in request.POST.getlist("companies") if c]
        outcome, created = call_service(request, services.declaration_renewals_request, states=STATE_LABELS, dps=dps,
                                        company_ids=company_ids or None)
        if outcome == OK:
            if created:
                messages.success(request, _("%(n)s demande(s) de déclaration renouvelée envoyée(s).") % {"n": len(created)})
            else:
                messages.info(request, _("Aucune nouvelle demande : les entreprises choisies ont déjà une demande en cours."))
    return redirect("console:dps_detail", dps_id=dps.id)
