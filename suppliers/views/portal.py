"""Pages of the supplier portal. Each view parses input, calls one service or selector, renders.

Service refusals (ValidationFailed, InvalidTransition, Conflict, NotAllowed) become messages on the page;
objects of other companies are "not found" (the selectors raise Http404).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST
from django_fsm import can_proceed

from procurement import audit
from procurement import selectors as dps_selectors
from procurement.confirmation import irreversible
from procurement.errors import DomainError, ValidationFailed
from procurement.models import DPSStatus, EvidenceKind
from procurement.web import add_service_errors, file_response, form_errors_as_messages, refused

from .. import selectors, services
from ..evidence_files import human_size
from ..forms.portal import (
    COUNTRIES,
    ApplyForm,
    CompanyForm,
    DeclarationForm,
    EvidenceUploadForm,
    InviteForm,
    WithdrawForm,
)
from ..models import (
    ApplicationStatus,
    CategoryDecision,
    Membership,
)


def _company_nav(company, active: str) -> dict:
    return {"company": company, "company_tab": active}


# --- dashboard --------------------------------------------------------------------------------------

def dashboard_memberships(user) -> QuerySet[Membership]:
    """The person's companies with what the dashboard shows of each (declarations, documents, applications,
    admissions, pending renewals), in one query per relation whatever the number of companies."""
    return selectors.dashboard_memberships(user)


def dashboard_context(request, memberships: list[Membership]) -> dict:
    """The supplier part of the portal dashboard (composed with the invitations to tender in
    ``procurement/site/portal.py``)."""
    open_dps = list(dps_selectors.dps_visible(request.user).filter(status=DPSStatus.OPEN).order_by("-published_at"))
    return {"memberships": memberships, "open_dps": open_dps}


# --- companies --------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def company_create(request):
    form = CompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            company = services.company_create(actor=request.user, data=form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc, aliases=form.aliases())
        except DomainError as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, _("L'entreprise %(name)s est inscrite. Étape suivante : la déclaration sur "
                                        "l'honneur.") % {"name": company.name})
            return redirect("portal:company", company_id=company.id)
    return render(request, "portal/company_form.html", {"form": form})


@login_required
def company_detail(request, company_id):
    company = selectors.company_get(user=request.user, company_id=company_id)
    return render(request, "portal/company_detail.html", {
        **_company_nav(company, "company"),
        "members": selectors.company_members(company),
        "pending_invitations": selectors.pending_invitations(company),
        "is_admin": selectors.is_company_admin(request.user, company),
        "invite_form": InviteForm(),
        "declaration": selectors.declaration_current(company),
        "admissions": selectors.admissions_for_company(company),
        "country_name": dict(COUNTRIES).get(company.country, company.country),
    })


@login_required
@require_http_methods(["GET", "POST"])
def company_edit(request, company_id):
    company = selectors.company_get(user=request.user, company_id=company_id)
    form = CompanyForm(request.POST or None, company=company)
    if request.method == "POST" and form.is_valid():
        try:
            services.company_update(actor=request.user, company=company, data=form.service_data())
        except ValidationFailed as exc:
            add_service_errors(form, exc, aliases=form.aliases())
        except DomainError as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, _("Les informations de l'entreprise sont enregistrées."))
            return redirect("portal:company", company_id=company.id)
    return render(request, "portal/company_form.html", {"form": form, **_company_nav(company, "company")})


@login_required
@require_POST
def company_invite(request, company_id):
    company = selectors.company_get(user=request.user, company_id=company_id)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.company_invite(actor=request.user, company=company, **form.cleaned_data)
        except DomainError as exc:
            refused(request, exc)
        else:
            messages.success(request, _("Invitation envoyée à %(email)s.") % {"email": invitation.email})
            return redirect("portal:company", company_id=company.id)
    else:
        form_errors_as_messages(request, form)
    return redirect(reverse("portal:company", kwargs={"company_id": company.id}) + "#inviter")


@login_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request, invitation_id):
    invitation = selectors.company_invitation_get(invitation_id)
    if request.method == "POST":
        try:
            membership = services.invitation_accept(actor=request.user, invitation_id=invitation.id)
        except DomainError as exc:
            refused(request, exc)
        else:
            messages.success(request, _("Vous avez rejoint l'entreprise %(name)s.") % {"name": membership.company.name})
            return redirect("portal:company", company_id=membership.company_id)
    wrong_address = invitation.email.lower() != request.user.email.lower()
    return render(request, "portal/invitation.html", {
        "invitation": invitation, "wrong_address": wrong_address,
        # Details of the company only for the person invited.
        "company_name": invitation.company.name if not wrong_address else None,
    })


# --- declaration ------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def declaration(request, company_id):
    company = selectors.company_get(user=request.user, company_id=company_id)
    current = selectors.declaration_current(company)
    renewals = list(selectors.renewals_pending_for_company(company))
    form = DeclarationForm(request.POST or None, declaration=current, company=company)
    if request.method == "POST":
        if form.is_valid():
            try:
                new = services.declaration_submit(actor=request.user, company=company, **form.service_kwargs())
            except ValidationFailed as exc:
                add_service_errors(form, exc, aliases=form.aliases())
            except DomainError as exc:
                form.add_error(None, exc.detail)
            else:
                text = _("Déclaration sur l'honneur enregistrée (version %(v)s).") % {"v": new.version}
                if renewals:  # declaration_submit answers every pending request in the same transaction
                    text += " " + _("Elle répond à la demande de renouvellement de l'acheteur.")
                messages.success(request, text)
                return redirect("portal:declaration", company_id=company.id)
        messages.error(request, _("La déclaration n'a pas été enregistrée : corrigez les points signalés."))
    return render(request, "portal/declaration.html", {
        **_company_nav(company, "declaration"), "form": form, "current": current,
        "versions": selectors.declaration_versions(company), "renewals": renewals,
    })


# --- documents --------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def documents(request, company_id):
    company = selectors.company_get(user=request.user, company_id=company_id)
    # ``?type=kbis`` preselects a kind (links from a checklist); ``suite`` is where to go back once deposited.
    wanted = request.GET.get("type", "")
    form = EvidenceUploadForm(request.POST or None, request.FILES or None,
                              initial={"kind": wanted} if wanted in EvidenceKind.values else None)
    back = request.POST.get("suite") or request.GET.get("suite") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = ""
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                document = services.evidence_upload(
                    actor=request.user, company=company, kind=data["kind"], uploaded_file=data["file"],
                    issued_on=data["issued_on"], valid_until=data["valid_until"], activities=data["activities"])
            except ValidationFailed as exc:
                add_service_errors(form, exc)
            except DomainError as exc:
                form.add_error(None, exc.detail)
            else:
                messages.success(request, _("Document « %(name)s » déposé.") % {"name": document.filename})
                return redirect(back or reverse("portal:documents", args=[company.id]))
        messages.error(request, _("Le document n'a pas été déposé : corrigez les points signalés."))
    return render(request, "portal/documents.html", {
        **_company_nav(company, "documents"), "form": form,
        "documents": selectors.documents_for_company(company),
        "max_size": human_size(settings.EVIDENCE_MAX_UPLOAD_BYTES), "back": back,
    })


@login_required
def document_download(request, document_id):
    document = selectors.document_get(user=request.user, document_id=document_id)
    return file_response(document)


def _evidence_label(kind: str) -> str:
    try:
        return EvidenceKind(kind).label
    except ValueError:
        return kind


# --- applications -----------------------------------------------------------------------------------

def _chosen_company(request):
    """The company applying: ?company=<id>, or the user's only company."""
    company_id = request.GET.get("company") or request.POST.get("company")
    if company_id:
        return selectors.company_get(user=request.user, company_id=company_id)
    companies = list(selectors.memberships_for_user(request.user)[:2])
    return companies[0].company if len(companies) == 1 else None


@login_required
@require_http_methods(["GET", "POST"])
def apply(request, dps_id):
    dps = dps_selectors.dps_get(user=request.user, dps_id=dps_id)
    company = _chosen_company(request)
    if company is None:
        memberships = selectors.memberships_for_user(request.user)
        if not memberships:
            messages.info(request, _("Inscrivez d'abord votre entreprise pour pouvoir candidater."))
            return redirect("portal:company_create")
        return render(request, "portal/apply_choose_company.html", {"dps": dps, "memberships": memberships})
    categories = list(dps.categories.all())
    current = selectors.application_in_progress(request.user, dps=dps, company=company)
    if current is not None and current.status == ApplicationStatus.SUBMITTED:
        messages.info(request, _("Votre candidature à ce SAD a été déposée : elle est en cours d'examen."))
        return redirect("portal:application", application_id=current.id)
    initial = {"categories": [str(line.category_id) for line in current.lines.all()]} if current else None
    form = ApplyForm(request.POST or None, categories=categories, initial=initial)
    if request.method == "POST" and form.is_valid():
        ids = form.cleaned_data["categories"]
        try:
            if current is None:
                current = services.application_create(actor=request.user, dps=dps, company=company, category_ids=ids)
            else:
                services.application_set_categories(actor=request.user, application=current, category_ids=ids)
        except ValidationFailed as exc:
            add_service_errors(form, exc)
        except DomainError as exc:
            refused(request, exc)
        else:
            messages.success(request, _("Catégories enregistrées. Vérifiez votre dossier puis déposez la candidature."))
            return redirect("portal:application", application_id=current.id)
    missing = services.missing_items(company=company, categories=categories)
    admitted = selectors.live_admission_category_ids(company)
    chosen = set(form["categories"].value() or [])
    by_category = services.missing_by_category(missing)
    rows = [{"category": c, "missing": by_category.get(c.code, []), "admitted": c.id in admitted,
             "checked": str(c.id) in chosen, "evidence": [_evidence_label(k) for k in c.required_evidence]}
            for c in categories]
    return render(request, "portal/apply.html", {
        "dps": dps, "company": company, "form": form, "rows": rows, "current": current,
        "declaration_missing": missing.get("declaration", []),
        "dps_open": dps.status == DPSStatus.OPEN,
    })


def _timeline(application) -> list:
    """The application's audit trail; buyer staff appear as "the buyer", never by name."""
    members = set(application.company.memberships.values_list("user_id", flat=True))
    entries = audit.history("application", application.id)
    for entry in entries:
        if entry.actor_id is None:
            entry.who = _("la plateforme")
        elif entry.actor_id in members:
            entry.who = entry.actor.get_full_name() or entry.actor.email
        else:
            entry.who = _("l'acheteur")
    return entries


@login_required
def application_detail(request, application_id):
    application = selectors.application_get(user=request.user, application_id=application_id)
    lines = list(application.lines.all())
    missing = {}
    editable = can_proceed(application.submit)
    if editable:
        missing = services.missing_items(company=application.company, categories=[line.category for line in lines])
    by_category = services.missing_by_category(missing)
    rows = [{"line": line, "missing": by_category.get(line.category.code, [])} for line in lines]
    return render(request, "portal/application.html", {
        "application": application, "company": application.company, "rows": rows,
        "declaration_missing": missing.get("declaration", []), "has_missing": bool(missing),
        "editable": editable,
        "rejected": any(line.decision == CategoryDecision.REJECTED for line in lines),
        "can_withdraw": can_proceed(application.withdraw),
        "history": _timeline(application),
        "withdraw_form": WithdrawForm(),
    })


@login_required
@require_POST
def application_submit(request, application_id):
    application = selectors.application_get(user=request.user, application_id=application_id)
    try:
        services.application_submit(actor=request.user, application=application)
    except DomainError as exc:
        if isinstance(exc, ValidationFailed):
            messages.error(request, _("La candidature n'a pas été déposée : il manque les éléments suivants."))
        refused(request, exc)
    else:
        messages.success(request, _("Votre candidature est déposée. Un accusé de réception vous est envoyé par e-mail."))
    return redirect("portal:application", application_id=application.id)


@login_required
@require_POST
@irreversible(_lazy("Retirer définitivement cette candidature ?"),
              _lazy("Elle ne sera pas examinée. Le SAD reste ouvert : vous pourrez déposer une "
                    "nouvelle candidature à tout moment."))
def application_withdraw(request, application_id):
    application = selectors.application_get(user=request.user, application_id=application_id)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data.get("reason", "") if form.is_valid() else ""
    try:
        services.application_withdraw(actor=request.user, application=application, reason=reason)
    except DomainError as exc:
        refused(request, exc)
    else:
        messages.success(request, _("Votre candidature est retirée."))
    return redirect("portal:application", application_id=application.id)
