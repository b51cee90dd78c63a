"""Pages of the supplier portal. Each view parses input, calls one service or selector, renders.

Service refusals (ValidationFailed, InvalidTransition, Conflict, NotAllowed) become messages on the page;
objects of other companies are "not found" (the selectors raise Http404).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
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

from .. import evidence_checks, evidence_stash, selectors, services
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
    RELIED_ON_REFUSAL,
    ApplicationStatus,
    CategoryDecision,
    EvidenceDocument,
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
    pending = None
    if request.method == "POST":
        if form.is_valid():
            outcome = _upload(request, company, form)
            if isinstance(outcome, EvidenceDocument):
                messages.success(request, _("Document « %(name)s » déposé.") % {"name": outcome.filename})
                return redirect(back or reverse("portal:documents", args=[company.id]))
            pending = outcome
        if pending is not None:
            # The same fields again, the file kept aside: one more click confirms.
            data = request.POST.copy()
            data["stash"], data["confirm_expired"] = pending["token"], ""
            form = EvidenceUploadForm(data)
        else:
            messages.error(request, _("Le document n'a pas été déposé : corrigez les points signalés."))
    return render(request, "portal/documents.html", {
        **_company_nav(company, "documents"), "form": form, "pending": pending,
        "documents": selectors.current_documents(company),
        "history": selectors.document_history(company),
        "max_size": human_size(settings.EVIDENCE_MAX_UPLOAD_BYTES), "back": back,
    })


def _upload(request, company, form):
    """Deposit the posted document: the document, or what the confirmation step needs (``{token, filename,
    message}``) when the service asks to confirm an expired one, or None with the errors on the form."""
    data = form.cleaned_data
    token, uploaded = data["stash"], data["file"]
    if uploaded is None:
        uploaded = evidence_stash.take(token, company=company, user=request.user)
        if uploaded is None:
            form.add_error("file", _("Le fichier reçu n'est plus disponible : choisissez-le à nouveau."))
            return None
    try:
        document = services.evidence_upload(
            actor=request.user, company=company, kind=data["kind"], uploaded_file=uploaded,
            issued_on=data["issued_on"], valid_until=data["valid_until"], activities=data["activities"],
            confirm_expired=data["confirm_expired"])
    except services.ExpiredEvidence as exc:
        if data["file"] is not None:  # a file chosen now replaces any kept earlier
            if token:
                evidence_stash.discard(token, company=company, user=request.user)
            token = evidence_stash.put(company=company, user=request.user, uploaded_file=data["file"])
        return {"token": token, "filename": uploaded.name, "message": exc.messages[0]}
    except ValidationFailed as exc:
        add_service_errors(form, exc)
    except DomainError as exc:
        form.add_error(None, exc.detail)
    else:
        if token:
            evidence_stash.discard(token, company=company, user=request.user)
        return document
    return None


@login_required
@require_http_methods(["GET", "POST"])
@irreversible(_lazy("Supprimer ce justificatif ?"),
              _lazy("Le document et son fichier seront supprimés ; le journal de la plateforme garde la trace "
                    "du dépôt et de la suppression."))
def document_delete(request, document_id):
    """Confirm, then delete a document of one's company that no decision relied on (the service's rule)."""
    document = selectors.document_get(user=request.user, document_id=document_id)
    company = document.company
    if not selectors.is_company_member(request.user, company):
        raise PermissionDenied(_("Seuls les membres de l'entreprise peuvent supprimer ses justificatifs."))
    if request.method == "POST":
        try:
            services.evidence_delete(actor=request.user, document=document)
        except DomainError as exc:
            refused(request, exc)
        else:
            messages.success(request, _("Document « %(name)s » supprimé.") % {"name": document.filename})
        return redirect("portal:documents", company_id=company.id)
    return render(request, "portal/document_delete.html", {
        **_company_nav(company, "documents"), "document": document, "refusal": RELIED_ON_REFUSAL,
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
    dossier = evidence_checks.dossier_checks(company, categories)
    admitted = selectors.live_admission_category_ids(company)
    chosen = set(form["categories"].value() or [])
    rows = [{"category": d.category, "dossier": d, "admitted": d.category.id in admitted,
             "checked": str(d.category.id) in chosen,
             "evidence": [_evidence_label(k) for k in d.category.required_evidence]}
            for d in dossier.categories]
    return render(request, "portal/apply.html", {
        "dps": dps, "company": company, "form": form, "rows": rows, "current": current,
        "declaration_missing": dossier.declaration_missing,
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
    editable = can_proceed(application.submit)
    dossier = evidence_checks.dossier_checks(application.company, [line.category for line in lines]) if editable \
        else None
    rows = [{"line": line, "dossier": dossier.categories[index] if dossier else None}
            for index, line in enumerate(lines)]
    return render(request, "portal/application.html", {
        "application": application, "company": application.company, "rows": rows,
        "declaration_missing": dossier.declaration_missing if dossier else [],
        "has_missing": bool(dossier and dossier.missing_items()),
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
