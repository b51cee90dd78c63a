"""Every write on the supplier side: companies, declarations, evidence, applications, admissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from procurement import audit, calendar, clock, inputs, listcache
from procurement.errors import Conflict, NotAllowed, ValidationFailed
from procurement.models import Category, DPSStatus, DynamicPurchasingSystem, EvidenceKind, Trade
from procurement.notifications import notify
from procurement.permissions import BUYER, require_role
from procurement.services import decision_due_for
from procurement.workflow import apply_transition, check_allowed

from . import evidence_checks, evidence_files, identifiers
from .models import (
    ACCUMULATING_KINDS,
    DEFAULT_VALIDITY_MONTHS,
    EXCLUSION_GROUNDS,
    EXPIRY_WARNING_DAYS,
    EXTENDED_DECISION_DAYS,
    INSURANCE_KINDS,
    RELIED_ON_REFUSAL,
    RENEWAL_DAYS,
    Admission,
    AdmissionStatus,
    Application,
    ApplicationCategory,
    ApplicationStatus,
    CategoryDecision,
    Company,
    CompanyInvitation,
    Declaration,
    DeclarationRenewal,
    EvidenceDocument,
    Membership,
    MembershipRole,
    RenewalStatus,
    expiry_window,
)

QUALIFICATION_KINDS = evidence_checks.QUALIFICATION_KINDS


# --- membership -------------------------------------------------------------------------------

def require_member(user, company: Company, *, admin: bool = False) -> None:
    qs = Membership.objects.filter(user=user, company=company)
    if admin:
        qs = qs.filter(role=MembershipRole.ADMIN)
    if not (user and user.is_authenticated and qs.exists()):
        raise NotAllowed(
            _("Cette action est réservée aux administrateurs de l'entreprise.") if admin
            else _("Vous n'êtes pas membre de cette entreprise.")
        )


def _member_emails(company: Company) -> list[str]:
    return list(company.memberships.values_list("user__email", flat=True).order_by("user__email"))


def _notify_company(company: Company, *, key: str, template: str, context: dict) -> None:
    for email in _member_emails(company):
        notify(key=f"{key}:{email}", to=email, template=template, context={"company": company, **context})


# --- companies ----------------------------------------------------------------------------------

# Company fields whose changes the audit chain records, old → new. Turnovers are recorded as changed
# without their figures: the declarations keep them, versioned.
_AUDITED_COMPANY_FIELDS = ("name", "country", "siret", "siren", "national_id", "vat_number", "street",
                           "postal_code", "city", "legal_form", "naf_code", "employees", "turnovers")
_REDACTED_COMPANY_FIELDS = {"turnovers"}


def _company_snapshot(company: Company | None) -> dict:
    return {f: getattr(company, f) for f in _AUDITED_COMPANY_FIELDS} if company else {}


def _record_company_change(*, actor, company: Company, before: dict, action: str, reason: str = "") -> None:
    changed = audit.changes(before, _company_snapshot(company), redacted=_REDACTED_COMPANY_FIELDS)
    if changed or action == "create":
        audit.record(obj=company, object_type="company", action=action, actor=actor, reason=reason,
                     details={"changes": changed})

def _clean_turnovers(turnovers, errors) -> list[dict]:
    cleaned = []
    for index, item in enumerate(turnovers or []):
        try:
            year = int(item["year"])
            amount = inputs.parse_decimal(item["amount"])
            if amount is None:
                raise ValueError
            amount = amount.quantize(Decimal("0.01"))
            if not 1990 <= year <= clock.today().year or amount < 0:
                raise ValueError
        except (KeyError, TypeError, ValueError, InvalidOperation):
            errors.setdefault(f"turnovers[{index}]", []).append(_("Année ou montant de chiffre d'affaires invalide."))
            continue
        cleaned.append({"year": year, "amount": str(amount)})
    return sorted(cleaned, key=lambda t: -t["year"])


# The employees column's range on every supported database (SQLite alone would store any integer).
_EMPLOYEES_MAX = BaseDatabaseOperations.integer_field_ranges["PositiveIntegerField"][1]


def _clean_company_fields(data: dict, errors: dict, *, company: Company | None = None) -> dict:
    out = {}
    country = (data.get("country") or (company.country if company else "FR")).upper()
    out["country"] = country
    if "name" in data or company is None:
        name = (data.get("name") or "").strip()
        if not name:
            errors["name"] = [_("La raison sociale est obligatoire.")]
        out["name"] = name
    if company is None:
        if country == "FR":
            try:
                out["siret"] = identifiers.clean_siret(data.get("siret") or "")
                out["siren"] = out["siret"][:9]
            except ValueError as exc:
                errors["siret"] = [str(exc)]
        else:
            national_id = (data.get("national_id") or "").strip()
            if not national_id and not data.get("vat_number"):
                errors["national_id"] = [
                    _("Une entreprise étrangère s'inscrit avec son identifiant national ou son numéro de TVA.")]
            out["national_id"] = national_id
            out["siret"] = None
    if data.get("vat_number"):
        try:
            out["vat_number"] = identifiers.clean_vat(
                data["vat_number"], country=country, siren=out.get("siren") or (company.siren if company else None)
            )
        except ValueError as exc:
            errors["vat_number"] = [str(exc)]
        if country != "FR" and not out.get("national_id") and "vat_number" in out and company is None:
            out["national_id"] = out["vat_number"]
    address = data.get("address") or {}
    for field, key in (("street", "street"), ("postal_code", "postal_code"), ("city", "city")):
        if key in address or key in data:
            out[field] = (address.get(key, data.get(key)) or "").strip()
    if country == "FR" and out.get("postal_code") and not (len(out["postal_code"]) == 5 and out["postal_code"].isdigit()):
        errors["address.postal_code"] = [_("Le code postal doit comporter 5 chiffres.")]
    for field in ("legal_form", "naf_code"):
        if field in data:
            out[field] = (data.get(field) or "").strip()
    if "employees" in data:
        value = data.get("employees")
        try:
            out["employees"] = None if value in (None, "") else int(value)
            if out["employees"] is not None and not 0 <= out["employees"] <= _EMPLOYEES_MAX:
                raise ValueError
        except (TypeError, ValueError):
            errors["employees"] = [_("L'effectif doit être un nombre entier positif.")]
    if "turnovers" in data:
        out["turnovers"] = _clean_turnovers(data.get("turnovers"), errors)
    return out


@transaction.atomic
def company_create(*, actor, data: dict) -> Company:
    """Create a company; the caller becomes its administrator."""
    if not actor.is_verified:
        raise NotAllowed(_("Vérifiez votre adresse e-mail avant de créer une entreprise."))
    if actor.is_procurement_staff:
        raise NotAllowed(_("Un compte d'agent de l'acheteur ne peut pas inscrire d'entreprise."))
    errors: dict[str, list[str]] = {}
    fields = _clean_company_fields(data, errors)
    if errors:
        raise ValidationFailed(errors)
    if fields.get("siret") and Company.objects.filter(siret=fields["siret"]).exists():
        raise Conflict(_("Cette entreprise (même SIRET) est déjà inscrite : demandez à son administrateur de vous "
                         "inviter."))
    if fields.get("national_id") and Company.objects.filter(country=fields["country"], national_id=fields["national_id"]).exists():
        raise Conflict(_("Cette entreprise est déjà inscrite : demandez à son administrateur de vous inviter."))
    try:
        with transaction.atomic():
            company = Company.objects.create(**fields)
    except IntegrityError:
        raise Conflict(_("Cette entreprise est déjà inscrite."))
    membership = Membership.objects.create(user=actor, company=company, role=MembershipRole.ADMIN)
    _record_company_change(actor=actor, company=company, before={}, action="create")
    _record_membership(actor=actor, membership=membership, action="join-company",
                       reason=audit.message(gettext_noop("Création de l'entreprise")))
    return company


@transaction.atomic
def company_update(*, actor, company: Company, data: dict) -> Company:
    require_member(actor, company, admin=True)
    errors: dict[str, list[str]] = {}
    data = {k: v for k, v in data.items() if k not in ("siret", "national_id", "country")}
    fields = _clean_company_fields(data, errors, company=company)
    fields.pop("country", None)
    if errors:
        raise ValidationFailed(errors)
    locked = Company.objects.select_for_update().get(pk=company.pk)
    before = _company_snapshot(locked)
    for key, value in fields.items():
        setattr(locked, key, value)
        setattr(company, key, value)  # the caller's instance shows the new values too
    locked.save()
    _record_company_change(actor=actor, company=locked, before=before, action="update")
    return locked


@transaction.atomic
def company_correct(*, actor, company: Company, reason: str = "") -> Company:
    """Save a correction made outside the portal (the back office), recorded like any other change:
    ``company`` carries the new values, the stored row the old ones."""
    before = _company_snapshot(Company.objects.select_for_update().get(pk=company.pk))
    company.save()
    _record_company_change(actor=actor, company=company, before=before, action="update",
                           reason=reason or "Correction depuis l'administration technique")
    return company


def _record_membership(*, actor, membership: Membership, action: str, reason: str = "", **details) -> None:
    audit.record(obj=membership.company, object_type="company", action=action, actor=actor, reason=reason,
                 details={"membership": str(membership.id), "user": str(membership.user_id),
                          "email": membership.user.email, "role": membership.role, **details})


@transaction.atomic
def company_invite(*, actor, company: Company, email: str, role: str = MembershipRole.MEMBER) -> CompanyInvitation:
    require_member(actor, company, admin=True)
    email = (email or "").strip().lower()
    if "@" not in email:
        raise ValidationFailed({"email": [_("Adresse e-mail invalide.")]})
    if role not in MembershipRole.values:
        raise ValidationFailed({"role": [_("Rôle inconnu.")]})
    if company.memberships.filter(user__email__iexact=email).exists():
        raise Conflict(_("Cette personne est déjà membre de l'entreprise."))
    invitation, created = CompanyInvitation.objects.get_or_create(
        company=company, email=email, accepted_at=None, defaults={"role": role, "invited_by": actor}
    )
    if created:
        audit.record(obj=company, object_type="company", action="invite-member", actor=actor,
                     details={"invitation": str(invitation.id), "email": email, "role": invitation.role})
    notify(key=f"company-invite:{invitation.id}", to=email, template="company_invitation",
           context={"company": company, "invitation": invitation, "inviter": actor})
    return invitation


@transaction.atomic
def invitation_accept(*, actor, invitation_id) -> Membership:
    try:
        invitation = CompanyInvitation.objects.select_for_update().get(id=invitation_id, accepted_at=None)
    except (CompanyInvitation.DoesNotExist, ValueError, TypeError, DjangoValidationError):  # malformed id too
        raise ValidationFailed({"invitation": [_("Cette invitation n'existe pas ou a déjà été utilisée.")]})
    if invitation.email.lower() != actor.email.lower():
        raise NotAllowed(_("Cette invitation a été envoyée à une autre adresse e-mail."))
    membership, created = Membership.objects.get_or_create(
        user=actor, company=invitation.company, defaults={"role": invitation.role}
    )
    invitation.accepted_at = clock.now()
    invitation.save(update_fields=["accepted_at"])
    _record_membership(actor=actor, membership=membership, action="accept-invitation",
                       invitation=str(invitation.id), invited_by=str(invitation.invited_by_id or ""),
                       already_member=not created)
    return membership


# --- declarations ---------------------------------------------------------------------------------

def _clean_capacities(capacities: dict, errors: dict) -> dict:
    capacities = dict(capacities or {})
    out = {}
    out["turnovers"] = _clean_turnovers(capacities.get("turnovers"), errors)
    staff = capacities.get("staff")
    if staff not in (None, ""):
        try:
            out["staff"] = int(staff)
            if out["staff"] < 0:
                raise ValueError
        except (TypeError, ValueError):
            errors["capacities.staff"] = [_("L'effectif doit être un nombre entier positif.")]
    references = []
    for index, ref in enumerate(capacities.get("references") or []):
        if not isinstance(ref, dict) or not str(ref.get("title", "")).strip():
            errors.setdefault(f"capacities.references[{index}]", []).append(_("Chaque référence a un intitulé."))
            continue
        references.append({k: ref.get(k) for k in ("title", "client", "year", "amount", "description") if k in ref})
    out["references"] = references
    for key, value in capacities.items():
        out.setdefault(key, value)
    return out


@transaction.atomic
def declaration_submit(*, actor, company: Company, exclusion_grounds: dict, capacities: dict, sworn: bool,
                       signatory: str) -> Declaration:
    """Record a new sworn version of the declaration on honour; answers any pending renewal request."""
    require_member(actor, company)
    company = Company.objects.select_for_update().get(pk=company.pk)
    errors: dict[str, list[str]] = {}
    grounds = dict(exclusion_grounds or {})
    unknown = sorted(set(grounds) - set(EXCLUSION_GROUNDS))
    if unknown:
        errors["exclusion_grounds"] = [_("Motif d'exclusion inconnu : %(code)s.") % {"code": code} for code in unknown]
    missing = [code for code in EXCLUSION_GROUNDS if code not in grounds]
    if missing:
        errors.setdefault("exclusion_grounds", []).extend(
            _("Répondez pour le motif « %(label)s » (%(code)s).") % {"label": EXCLUSION_GROUNDS[code], "code": code}
            for code in missing
        )
    not_bool = [code for code, value in grounds.items() if not isinstance(value, bool)]
    if not_bool:
        errors.setdefault("exclusion_grounds", []).extend(
            _("Réponse oui/non attendue pour %(code)s.") % {"code": c} for c in not_bool)
    if sworn is not True:
        errors["sworn"] = [_("Vous devez certifier sur l'honneur l'exactitude de la déclaration.")]
    if not (signatory or "").strip():
        errors["signatory"] = [_("Le nom du signataire est obligatoire.")]
    cleaned = _clean_capacities(capacities, errors)
    if errors:
        raise ValidationFailed(errors)
    last = company.declarations.order_by("-version").values_list("version", flat=True).first() or 0
    declaration = Declaration.objects.create(
        company=company, version=last + 1, exclusion_grounds=grounds, capacities=cleaned, sworn=True,
        signatory=signatory.strip(), declared_at=clock.now(), declared_by=actor,
    )
    if cleaned["turnovers"]:
        company.turnovers = cleaned["turnovers"]
        company.save(update_fields=["turnovers"])
    for renewal in DeclarationRenewal.objects.select_for_update().filter(company=company, status=RenewalStatus.PENDING):
        apply_transition(renewal, "answer", actor=actor, object_type="renewal", declaration=declaration)
    return declaration


# --- evidence -------------------------------------------------------------------------------------

class ExpiredEvidence(ValidationFailed):
    """The document being uploaded has already expired: it is stored only once the person confirms
    (``confirm_expired``), knowing it proves nothing for an application or an award."""

    def __init__(self, valid_until: dt.date):
        self.valid_until = valid_until
        super().__init__({"confirm_expired": [
            _("Ce document a expiré le %(date)s : il ne vaudra pas justificatif. Confirmez pour le déposer "
              "quand même.") % {"date": formats.date_format(valid_until, "SHORT_DATE_FORMAT")}]})


@transaction.atomic
def evidence_upload(*, actor, company: Company, kind: str, uploaded_file, issued_on: dt.date | None,
                    valid_until: dt.date | None = None, activities=None,
                    confirm_expired: bool = False) -> EvidenceDocument:
    """Store an evidence document. ``activities`` (trade codes, a list or a comma-separated text) says what an
    insurance covers; it is refused on the other kinds.

    A document already expired raises ``ExpiredEvidence`` unless ``confirm_expired``. The new document
    supersedes the company's current one of the same kind (``ACCUMULATING_KINDS`` excepted): the older one is
    kept as history and never counted again."""
    require_member(actor, company)
    errors: dict[str, list[str]] = {}
    if kind not in EvidenceKind.values:
        errors["kind"] = [_("Type de justificatif inconnu : %(kind)s.") % {"kind": kind}]
    activities = _clean_activities(activities, kind, errors)
    today = clock.today()
    valid_until = inputs.day(valid_until, "valid_until", errors, required=False)
    issued_on = inputs.day(issued_on, "issued_on", errors, required=False)
    if issued_on is None and "issued_on" not in errors:
        errors["issued_on"] = [_("La date de délivrance est obligatoire.")]
    elif issued_on and issued_on > today:
        errors["issued_on"] = [_("La date de délivrance ne peut pas être dans le futur.")]
    if valid_until is None and issued_on and kind in DEFAULT_VALIDITY_MONTHS:
        valid_until = calendar.add_months(issued_on, DEFAULT_VALIDITY_MONTHS[kind])
    if valid_until and issued_on and valid_until < issued_on:
        errors["valid_until"] = [_("La date d'expiration précède la date de délivrance.")]
    try:
        checked = evidence_files.check_upload(uploaded_file, max_bytes=settings.EVIDENCE_MAX_UPLOAD_BYTES)
    except ValueError as exc:
        errors["file"] = [str(exc)]
    if errors:
        raise ValidationFailed(errors)
    if valid_until is not None and valid_until < today and not confirm_expired:
        raise ExpiredEvidence(valid_until)
    # The company's row orders two uploads of one kind at once: each supersedes what was current before it.
    Company.objects.select_for_update().filter(pk=company.pk).first()
    document = EvidenceDocument(
        company=company, kind=kind, filename=checked.filename, content_type=checked.content_type,
        size=checked.size, sha256=checked.sha256, issued_on=issued_on, valid_until=valid_until, uploaded_by=actor,
        activities=activities, uploaded_at=clock.now(),
    )
    uploaded_file.seek(0)
    document.file.save(checked.filename, uploaded_file, save=False)
    try:
        document.save()
        details = _evidence_details(document)
        if valid_until is not None and valid_until < today:
            details["expired_confirmed"] = True
        audit.record(obj=company, object_type="company", action="upload-evidence", actor=actor, details=details)
        if kind not in ACCUMULATING_KINDS:
            _supersede(actor=actor, document=document)
    except Exception:
        document.file.delete(save=False)  # the row is rolled back: leave no orphan file in storage
        raise
    return document


def _supersede(*, actor, document: EvidenceDocument) -> None:
    """The company's other current documents of ``document``'s kind become its history."""
    older = (EvidenceDocument.objects.current().select_for_update()
             .filter(company_id=document.company_id, kind=document.kind).exclude(pk=document.pk).order_by("uploaded_at"))
    for old in older:
        old.superseded_by, old.superseded_at = document, document.uploaded_at
        old.save(update_fields=["superseded_by", "superseded_at"])
        audit.record(obj=document.company, object_type="company", action="supersede-evidence", actor=actor,
                     details={**_evidence_details(old), "superseded_by": str(document.id)})


def _clean_activities(value, kind: str, errors: dict) -> list[str]:
    """Trade codes, each once, in the order of ``Trade``; a comma-separated text is split."""
    items = value if isinstance(value, list | tuple) else ([value] if value not in (None, "") else [])
    codes = []
    for item in items:
        if not isinstance(item, str):
            errors["activities"] = [_("Codes de corps d'état attendus.")]
            return []
        codes.extend(part.strip() for part in item.split(",") if part.strip())
    unknown = [code for code in codes if code not in Trade.values]
    if unknown:
        errors["activities"] = [_("Corps d'état inconnu : %(codes)s. Codes possibles : %(values)s.")
                                % {"codes": ", ".join(unknown), "values": ", ".join(Trade.values)}]
        return []
    if codes and kind not in INSURANCE_KINDS:
        errors["activities"] = [_("Les activités couvertes ne se déclarent que pour une attestation d'assurance.")]
        return []
    return [code for code in Trade.values if code in set(codes)]


def _evidence_details(document: EvidenceDocument) -> dict:
    details = {"document": str(document.id), "kind": document.kind, "filename": document.filename,
               "size": document.size, "sha256": document.sha256, "issued_on": document.issued_on,
               "valid_until": document.valid_until}
    if document.activities:
        details["activities"] = list(document.activities)
    return details


@transaction.atomic
def evidence_delete(*, actor, document: EvidenceDocument, reason: str = "") -> None:
    """Remove an evidence document (members of its company) that no decision relied on
    (``EvidenceDocumentQuerySet.relied_on``). The chain keeps its kind, dates and SHA-256; the file leaves
    storage only once the deletion is committed. The document it had superseded, if any, counts again."""
    require_member(actor, document.company)
    # The company's row first (as an upload or a submission would take it), then the document's.
    Company.objects.select_for_update().filter(pk=document.company_id).first()
    try:
        document = EvidenceDocument.objects.select_for_update().select_related("company").get(pk=document.pk)
    except EvidenceDocument.DoesNotExist:
        raise Conflict(_("Ce document a déjà été supprimé."))
    if document.is_relied_on:
        raise Conflict(str(RELIED_ON_REFUSAL))
    audit.record(obj=document.company, object_type="company", action="delete-evidence", actor=actor,
                 reason=(reason or "").strip(), details=_evidence_details(document))
    for previous in EvidenceDocument.objects.select_for_update().filter(superseded_by=document):
        previous.superseded_by, previous.superseded_at = None, None
        previous.save(update_fields=["superseded_by", "superseded_at"])
        audit.record(obj=document.company, object_type="company", action="reinstate-evidence", actor=actor,
                     details={**_evidence_details(previous), "replacing_deleted": str(document.id)})
    storage, name = document.file.storage, document.file.name
    document.delete()
    transaction.on_commit(lambda: storage.delete(name))


def evidence_mark_relied_on(*, company_id, documents, at: dt.datetime | None = None) -> int:
    """Record that a decision relied on these documents of a company (admission decided, award approved,
    contract signed): from then on they cannot be deleted. Called inside the decision's transaction; the
    decision's own audit entry is the record of it. Returns how many were newly marked."""
    ids = [document.pk for document in documents if document is not None]
    if not ids:
        return 0
    return (EvidenceDocument.objects.filter(company_id=company_id, pk__in=ids, relied_on_at__isnull=True)
            .update(relied_on_at=at or clock.now()))


# --- applications ---------------------------------------------------------------------------------

def missing_items(*, company: Company, categories, on: dt.date | None = None) -> dict[str, list[str]]:
    """What the company still lacks to apply to these categories: one entry per missing item.

    Keys: ``declaration`` and ``category:<code>:<evidence kind>``, each with one message; empty when
    the application can be submitted. The rule is ``evidence_checks.dossier_checks``, which the portal
    and the console's review show.
    """
    return evidence_checks.dossier_checks(company, categories, at=on).missing_items()


def _categories_from_ids(dps: DynamicPurchasingSystem, category_ids) -> list[Category]:
    ids = [str(c) for c in category_ids or []]
    if not ids:
        raise ValidationFailed({"categories": [_("Choisissez au moins une catégorie.")]})
    try:
        categories = list(dps.categories.filter(id__in=ids))
    except (ValueError, TypeError):
        categories = []
    if len(categories) != len(set(ids)):
        raise ValidationFailed({"categories": [_("Une catégorie choisie n'appartient pas à ce SAD.")]})
    return categories


@transaction.atomic
def application_create(*, actor, dps: DynamicPurchasingSystem, company: Company, category_ids) -> Application:
    require_member(actor, company)
    dps = DynamicPurchasingSystem.objects.select_for_update().get(pk=dps.pk)
    if dps.status != DPSStatus.OPEN:
        raise Conflict(_("Ce SAD n'est pas ouvert aux candidatures."), state=dps.status)
    categories = _categories_from_ids(dps, category_ids)
    already = set(
        Admission.objects.filter(company=company, category__in=categories,
                                 status__in=[AdmissionStatus.ADMITTED, AdmissionStatus.SUSPENDED])
        .values_list("category__code", flat=True)
    )
    if already:
        raise ValidationFailed({"categories": [
            _("Déjà admise dans la catégorie %(code)s.") % {"code": code} for code in sorted(already)]})
    active = Application.objects.filter(
        dps=dps, company=company,
        status__in=[ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.INFO_REQUESTED],
    ).first()
    if active:
        raise Conflict(
            _("Une candidature de votre entreprise est déjà en cours sur ce SAD : complétez-la ou retirez-la."),
            state=active.status,
        )
    application = Application.objects.create(dps=dps, company=company, created_by=actor)
    ApplicationCategory.objects.bulk_create(
        [ApplicationCategory(application=application, category=c) for c in categories]
    )
    audit.record(obj=application, object_type="application", action="create", actor=actor, to_state=application.status)
    return application


@transaction.atomic
def application_set_categories(*, actor, application: Application, category_ids) -> Application:
    require_member(actor, application.company)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status not in (ApplicationStatus.DRAFT, ApplicationStatus.INFO_REQUESTED):
        raise Conflict(_("Les catégories ne peuvent plus être modifiées."), state=application.status)
    categories = _categories_from_ids(application.dps, category_ids)
    application.lines.exclude(category__in=categories).delete()
    existing = set(application.lines.values_list("category_id", flat=True))
    ApplicationCategory.objects.bulk_create(
        [ApplicationCategory(application=application, category=c) for c in categories if c.id not in existing]
    )
    listcache.bump_after_commit()  # bulk_create sends no signal: the lists showing the categories are stale
    return application


def _lock_application(application: Application) -> Application:
    # Lock the application row only (of="self"): the joined company and DPS rows stay free for others.
    return Application.objects.select_for_update(of=("self",)).select_related("dps", "company").get(pk=application.pk)


@transaction.atomic
def application_submit(*, actor, application: Application) -> Application:
    require_member(actor, application.company)
    application = _lock_application(application)
    check_allowed(application, "submit")
    if application.dps.status != DPSStatus.OPEN:
        raise Conflict(_("Ce SAD n'est plus ouvert aux candidatures."), state=application.status,
                       allowed_transitions=["withdraw"])
    categories = [line.category for line in application.lines.select_related("category")]
    missing = missing_items(company=application.company, categories=categories)
    if missing:
        raise ValidationFailed(missing, detail=_("La candidature est incomplète."))
    received_at = clock.now()
    apply_transition(application, "submit", actor=actor, object_type="application",
                     received_at=received_at, decision_due=decision_due_for(application.dps, received_at))
    _notify_company(application.company, key=f"application-received:{application.id}:{received_at.isoformat()}",
                    template="application_received", context={"application": application})
    return application


@transaction.atomic
def application_withdraw(*, actor, application: Application, reason: str = "") -> Application:
    require_member(actor, application.company)
    application = _lock_application(application)
    apply_transition(application, "withdraw", actor=actor, object_type="application", reason=reason)
    return application


@transaction.atomic
def application_request_info(*, actor, application: Application, message: str) -> Application:
    require_role(actor, BUYER)
    if not (message or "").strip():
        raise ValidationFailed({"message": [_("Précisez les compléments demandés.")]})
    application = _lock_application(application)
    apply_transition(application, "request_info", actor=actor, object_type="application", reason=message.strip(),
                     message=message.strip())
    _notify_company(application.company, key=f"application-info:{application.id}:{application.info_requested_at.isoformat()}",
                    template="application_info_requested", context={"application": application})
    return application


@transaction.atomic
def application_extend(*, actor, application: Application, reason: str) -> Application:
    """Extend the decision period to 15 jours ouvrables after receipt, with a recorded justification."""
    require_role(actor, BUYER)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("La prolongation doit être justifiée.")]})
    application = _lock_application(application)
    check_allowed(application, "extend", refusal=(
        _("Le délai a déjà été prolongé.") if application.extended else None))
    due = calendar.add_working_days(calendar.local_date(application.submitted_at), EXTENDED_DECISION_DAYS)
    apply_transition(application, "extend", actor=actor, object_type="application", reason=reason.strip(),
                     justification=reason.strip(), decision_due=max(due, application.decision_due))
    return application


@transaction.atomic
def application_decide(*, actor, application: Application, decisions: list[dict]) -> Application:
    """Admit or reject each category of the application, with a reason for each rejection.

    ``decisions``: ``[{"category": id, "admitted": bool, "reason": str}]``, one per applied category.
    Two buyers deciding at once: the row lock makes the second wait, then find the state ``decided`` (409).
    """
    require_role(actor, BUYER)
    application = _lock_application(application)
    check_allowed(application, "decide", refusal=_("Cette candidature n'est pas en attente de décision."))
    lines = {str(line.category_id): line for line in application.lines.select_related("category")}
    errors: dict[str, list[str]] = {}
    seen = set()
    for index, item in enumerate(decisions or []):
        key = str(item.get("category", ""))
        if key not in lines:
            errors[f"decisions[{index}].category"] = [_("Cette catégorie ne fait pas partie de la candidature.")]
            continue
        if key in seen:
            errors[f"decisions[{index}].category"] = [_("Catégorie décidée deux fois.")]
        seen.add(key)
        if not isinstance(item.get("admitted"), bool):
            errors[f"decisions[{index}].admitted"] = [_("Indiquez si la catégorie est admise (oui ou non).")]
        elif not item["admitted"] and not str(item.get("reason") or "").strip():
            errors[f"decisions[{index}].reason"] = [
                _("Le rejet pour la catégorie %(code)s doit être motivé.") % {"code": lines[key].category.code}]
    for key, line in lines.items():
        if key not in seen:
            errors.setdefault("decisions", []).append(
                _("Aucune décision pour la catégorie %(code)s.") % {"code": line.category.code})
    if errors:
        raise ValidationFailed(errors)
    apply_transition(application, "decide", actor=actor, object_type="application", by=actor)
    # The decision relied on the dossier as it stands: its documents may no longer be deleted.
    evidence_mark_relied_on(company_id=application.company_id, at=application.decided_at,
                            documents=EvidenceDocument.objects.current().filter(company_id=application.company_id))
    for item in decisions:
        line = lines[str(item["category"])]
        line.decision = CategoryDecision.ADMITTED if item["admitted"] else CategoryDecision.REJECTED
        line.reason = str(item.get("reason") or "").strip()
        line.save(update_fields=["decision", "reason"])
        # Each category's decision and its reason, in the chain (not only in the application's lines).
        audit.record(obj=application, object_type="application",
                     action="admit-category" if item["admitted"] else "reject-category", actor=actor,
                     reason=line.reason, details={"category": str(line.category_id), "code": line.category.code})
        if item["admitted"]:
            try:
                with transaction.atomic():
                    admission = Admission.objects.create(
                        company=application.company, category=line.category, application=application)
            except IntegrityError:
                continue  # admitted meanwhile through another application: the live admission stands
            audit.record(obj=admission, object_type="admission", action="admit", actor=actor,
                         to_state=admission.status, reason=line.reason)
    decided = list(lines.values())
    _notify_company(application.company, key=f"application-decided:{application.id}",
                    template="application_decided",
                    context={"application": application, "lines": decided,
                             "rejected": any(line.decision == CategoryDecision.REJECTED for line in decided)})
    return application


# --- admissions -----------------------------------------------------------------------------------

_ADMISSION_MAILS = {"suspend": "admission_suspended", "reinstate": "admission_reinstated", "exclude": "admission_excluded"}


@transaction.atomic
def admission_change(*, actor, admission: Admission, action: str, reason: str, system: bool = False) -> Admission:
    """Suspend, reinstate or exclude an admission; always with a reason, and the company is told."""
    if action not in _ADMISSION_MAILS:
        raise ValueError(action)
    if not system:
        require_role(actor, BUYER)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Un motif est obligatoire.")]})
    admission = (Admission.objects.select_for_update(of=("self",)).select_related("company", "category")
                 .get(pk=admission.pk))
    apply_transition(admission, action, actor=actor, object_type="admission", reason=reason.strip(),
                     note=reason.strip())
    _notify_company(admission.company, key=f"admission-{action}:{admission.id}:{admission.status_changed_at.isoformat()}",
                    template=_ADMISSION_MAILS[action], context={"admission": admission, "reason": reason.strip()})
    return admission


def admission_suspend(*, actor, admission, reason):
    return admission_change(actor=actor, admission=admission, action="suspend", reason=reason)


def admission_reinstate(*, actor, admission, reason):
    return admission_change(actor=actor, admission=admission, action="reinstate", reason=reason)


def admission_exclude(*, actor, admission, reason):
    return admission_change(actor=actor, admission=admission, action="exclude", reason=reason)


# --- renewed declarations -------------------------------------------------------------------------

@transaction.atomic
def declaration_renewals_request(*, actor, dps: DynamicPurchasingSystem, company_ids=None) -> list[DeclarationRenewal]:
    """Ask admitted companies (all, or those listed) for a renewed declaration within 5 working days.

    Two buyers asking at once: the DPS row lock makes the second wait, then find the first one's requests
    pending, so each company gets one request.
    """
    require_role(actor, BUYER)
    dps = DynamicPurchasingSystem.objects.select_for_update().get(pk=dps.pk)
    companies = Company.objects.filter(
        admissions__category__dps=dps, admissions__status__in=[AdmissionStatus.ADMITTED, AdmissionStatus.SUSPENDED]
    ).distinct()
    if company_ids:
        wanted = {str(c) for c in company_ids}
        companies = companies.filter(id__in=wanted)
        found = {str(c) for c in companies.values_list("id", flat=True)}
        if found != wanted:
            raise ValidationFailed({"companies": [_("Certaines entreprises ne sont pas admises dans ce SAD.")]})
    pending = set(DeclarationRenewal.objects.filter(dps=dps, status=RenewalStatus.PENDING).values_list("company_id", flat=True))
    now = clock.now()
    due_on = calendar.add_working_days(calendar.local_date(now), RENEWAL_DAYS)
    created = []
    for company in companies.exclude(id__in=pending):
        renewal = DeclarationRenewal.objects.create(dps=dps, company=company, requested_by=actor,
                                                    requested_at=now, due_on=due_on)
        audit.record(obj=renewal, object_type="renewal", action="request", actor=actor, to_state=renewal.status)
        _notify_company(company, key=f"renewal-request:{renewal.id}", template="renewal_requested",
                        context={"renewal": renewal, "dps": dps})
        created.append(renewal)
    return created


def declaration_renewals_suspend_overdue() -> int:
    """Scheduled: an unanswered renewal request past its due date suspends the company's admissions."""
    today = clock.today()
    count = 0
    for pk in DeclarationRenewal.objects.overdue(at=today).values_list("pk", flat=True):
        with transaction.atomic():
            renewal = DeclarationRenewal.objects.select_for_update().get(pk=pk)
            if renewal.status != RenewalStatus.PENDING:
                continue
            apply_transition(renewal, "lapse", actor=None, object_type="renewal",
                             reason=audit.message(gettext_noop("Déclaration renouvelée non reçue dans le délai")))
            for admission in Admission.objects.filter(company_id=renewal.company_id, category__dps_id=renewal.dps_id,
                                                      status=AdmissionStatus.ADMITTED):
                admission_change(actor=None, admission=admission, action="suspend", system=True,
                                 reason=f"Déclaration sur l'honneur renouvelée non reçue avant le {renewal.due_on:%d/%m/%Y}.")
            count += 1
    return count


# --- evidence reminders ---------------------------------------------------------------------------

LAST_REMINDER_DAYS = 7  # the second reminder, a week before the expiry date


def evidence_expiry_reminders() -> int:
    """Scheduled: mail companies 30 and 7 days before a document expires (each reminder once)."""
    today = clock.today()
    sent = 0
    for days, field in ((EXPIRY_WARNING_DAYS, "reminded_30_at"), (LAST_REMINDER_DAYS, "reminded_7_at")):
        _today, horizon = expiry_window(on=today, within=days)
        due = EvidenceDocument.objects.expiring(on=today, within=days).filter(**{f"{field}__isnull": True})
        if days == EXPIRY_WARNING_DAYS:  # within the last 7 days only the 7-day reminder goes: never two mails at once
            due = due.exclude(pk__in=EvidenceDocument.objects.expiring(on=today, within=LAST_REMINDER_DAYS).values("pk"))
        for doc in due.select_related("company"):
            # A newer document of the same kind that stays valid longer (or has no end) makes the reminder pointless.
            if EvidenceDocument.objects.current().filter(Q(valid_until__gt=horizon) | Q(valid_until__isnull=True),
                                               company_id=doc.company_id, kind=doc.kind).exists():
                EvidenceDocument.objects.filter(pk=doc.pk).update(**{field: clock.now()})
                continue
            with transaction.atomic():
                claimed = EvidenceDocument.objects.filter(pk=doc.pk, **{f"{field}__isnull": True}).update(
                    **{field: clock.now()})
                if not claimed:
                    continue
                _notify_company(doc.company, key=f"evidence-expiry:{doc.id}:{days}", template="evidence_expiring",
                                context={"document": doc, "days": (doc.valid_until - today).days})
                sent += 1
    return sent
