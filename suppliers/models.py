import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from procurement import calendar, clock
from procurement.models import Category, DynamicPurchasingSystem, EvidenceKind, Trade
from procurement.permissions import is_staff_member
from procurement.text import SearchField, with_search_fields

from .evidence_files import ACCEPTED

EXPIRY_WARNING_DAYS = 30  # a document is "expiring" from 30 days before its expiry date


class CompanyQuerySet(models.QuerySet):
    def visible_to(self, user) -> "CompanyQuerySet":
        """Who may see a company: staff every one; a supplier the companies it is a member of."""
        if not (user and user.is_authenticated):
            return self.none()
        if is_staff_member(user):
            return self
        return self.filter(memberships__user=user)


class Company(models.Model):
    """A supplier. French companies are known by their SIRET; foreign ones by a national id."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("raison sociale"), max_length=255)
    country = models.CharField(_("pays"), max_length=2, default="FR")
    siret = models.CharField(_("SIRET"), max_length=14, null=True, blank=True, unique=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, db_index=True)
    vat_number = models.CharField(_("numéro de TVA"), max_length=20, blank=True)
    national_id = models.CharField(_("identifiant national"), max_length=50, blank=True)
    legal_form = models.CharField(_("forme juridique"), max_length=100, blank=True)
    naf_code = models.CharField(_("code NAF"), max_length=6, blank=True)
    employees = models.PositiveIntegerField(_("effectif"), null=True, blank=True)
    street = models.CharField(_("adresse"), max_length=255, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("commune"), max_length=100, blank=True)
    # [{"year": 2025, "amount": "1250000.00"}, …], most recent first.
    turnovers = models.JSONField(_("chiffres d'affaires"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # The name and the commune folded (procurement.text): what the directory's search box looks in.
    search_text = SearchField(sources=("name", "city"))

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name = _("entreprise")
        verbose_name_plural = _("entreprises")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "national_id"],
                condition=~models.Q(national_id=""),
                name="company_national_id_unique",
            ),
        ]
        indexes = [models.Index(fields=["name", "id"], name="company_name_order_idx")]

    def __str__(self):
        return self.name

    def save(self, *args, update_fields=None, **kwargs):
        super().save(*args, update_fields=with_search_fields(self, update_fields), **kwargs)

    @property
    def identifier(self) -> str:
        return self.siret or self.national_id or self.vat_number

    @property
    def departement(self) -> str:
        if self.country == "FR" and self.postal_code[:2].isdigit():
            return self.postal_code[:2]
        return ""


class MembershipRole(models.TextChoices):
    ADMIN = "admin", _("Administrateur")
    MEMBER = "member", _("Membre")


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=10, choices=MembershipRole.choices, default=MembershipRole.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "company"], name="membership_unique")]

    def __str__(self):
        return f"{self.user} @ {self.company} ({self.role})"


class CompanyInvitation(models.Model):
    """A colleague invited by a company admin; accepted when that person (registered, verified) follows the link."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=MembershipRole.choices, default=MembershipRole.MEMBER)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["company", "email"], condition=models.Q(accepted_at__isnull=True),
                name="pending_invitation_unique",
            )
        ]

    def __str__(self):
        return f"{self.email} → {self.company_id}"


# ESPD exclusion grounds (codes fixed by API.md); True means the ground applies to the company.
EXCLUSION_GROUNDS = {
    "crime-org": _("Participation à une organisation criminelle"),
    "corruption": _("Corruption"),
    "fraud": _("Fraude"),
    "terr-offence": _("Infractions terroristes"),
    "finan-laund": _("Blanchiment de capitaux ou financement du terrorisme"),
    "human-traffic": _("Travail des enfants et traite des êtres humains"),
    "tax-pay": _("Manquement au paiement des impôts"),
    "socsec-pay": _("Manquement au paiement des cotisations sociales"),
    "envir-law": _("Manquement aux obligations en matière de droit environnemental"),
    "socsec-law": _("Manquement aux obligations en matière de droit social"),
    "labour-law": _("Manquement aux obligations en matière de droit du travail"),
    "bankruptcy": _("Faillite"),
    "insolvency": _("Procédure d'insolvabilité"),
    "prof-misconduct": _("Faute professionnelle grave"),
    "distorsion": _("Entente visant à fausser la concurrence"),
    "partic-confl": _("Conflit d'intérêts"),
    "misrepresent": _("Fausse déclaration"),
}


class Declaration(models.Model):
    """A sworn declaration on honour (ESPD). Every version is kept; the latest one counts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="declarations")
    version = models.PositiveIntegerField()
    exclusion_grounds = models.JSONField(default=dict)
    # {"turnovers": [{"year", "amount"}], "staff": int, "references": [{"title", "client", "year", "amount"}]}
    capacities = models.JSONField(default=dict)
    sworn = models.BooleanField(default=False)
    signatory = models.CharField(_("signataire"), max_length=255)
    declared_at = models.DateTimeField()
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-version"]
        constraints = [models.UniqueConstraint(fields=["company", "version"], name="declaration_version_unique")]

    def __str__(self):
        return f"{self.company} v{self.version}"

    @property
    def grounds_that_apply(self) -> list[str]:
        return [code for code, applies in self.exclusion_grounds.items() if applies]


# Kinds whose document states the activities (trades) it covers.
INSURANCE_KINDS = (EvidenceKind.LIABILITY_INSURANCE, EvidenceKind.DECENNIAL_INSURANCE)

# Kinds a company holds several of at once (its references, other proofs): a new one adds to the others. A new
# document of any other kind supersedes the company's current one of that kind.
ACCUMULATING_KINDS = (EvidenceKind.REFERENCES, EvidenceKind.OTHER)

# Kinds that lapse by law when no expiry date is printed on them (months after issue).
DEFAULT_VALIDITY_MONTHS = {EvidenceKind.URSSAF_VIGILANCE: 6}


class EvidenceStatus(models.TextChoices):
    VALID = "valid", _("Valide")
    EXPIRING = "expiring", _("Expire bientôt")
    EXPIRED = "expired", _("Expiré")


def expiry_window(*, on: dt.date | None = None, within: int = EXPIRY_WARNING_DAYS) -> tuple[dt.date, dt.date]:
    """The rule "expiring within N days": an expiry date from ``on`` (today) to ``on`` + N days, both
    included. The day after, the document is expired."""
    return calendar.day_window(on or clock.today(), within)


def evidence_status(valid_until: dt.date | None, *, on: dt.date | None = None) -> str:
    """Valid, expiring (within ``EXPIRY_WARNING_DAYS``) or expired on ``on``, for an expiry date (None: no
    expiry printed, valid)."""
    first, last = expiry_window(on=on)
    if valid_until is None or valid_until > last:
        return EvidenceStatus.VALID
    if valid_until < first:
        return EvidenceStatus.EXPIRED
    return EvidenceStatus.EXPIRING


# Why a document cannot be deleted (``EvidenceDocumentQuerySet.relied_on``): the service's refusal and the pages.
RELIED_ON_REFUSAL = _("Ce document ne peut pas être supprimé : une décision de l'acheteur s'est appuyée sur lui "
                      "(candidature examinée ou décidée, attribution ou signature d'un marché). Déposez plutôt un "
                      "nouveau document du même type : il le remplacera.")


class EvidenceDocumentQuerySet(models.QuerySet):
    def visible_to(self, user) -> "EvidenceDocumentQuerySet":
        """Staff see every company's evidence; a supplier its own companies' only."""
        if not (user and user.is_authenticated):
            return self.none()
        if is_staff_member(user):
            return self
        return self.filter(company__memberships__user=user)

    def current(self) -> "EvidenceDocumentQuerySet":
        """The documents that count: not superseded by a newer one of the same kind. Badges, the directory's
        figures, the application and winner checks and the reminders read these; the others are history.
        ``EvidenceDocument.is_current`` says the same of one row."""
        return self.filter(superseded_by__isnull=True)

    def superseded(self) -> "EvidenceDocumentQuerySet":
        """The history: every document ``current`` leaves out."""
        return self.filter(superseded_by__isnull=False)

    def expiring(self, *, on: dt.date | None = None, within: int = EXPIRY_WARNING_DAYS) -> "EvidenceDocumentQuerySet":
        """Current documents whose expiry date falls within ``within`` days of ``on`` (``expiry_window``)."""
        return self.current().filter(valid_until__range=expiry_window(on=on, within=within))

    def relied_on(self) -> "EvidenceDocumentQuerySet":
        """Documents a decision relied on, which therefore stay: those marked when an admission was decided,
        an award approved or a contract signed (``relied_on_at``), and those in the dossier of an application
        awaiting its decision (uploaded before its last submission). Anything else its company may delete."""
        return self.filter(models.Q(relied_on_at__isnull=False) | models.Exists(_awaiting_decision()))

    def with_relied_on(self) -> "EvidenceDocumentQuerySet":
        """Each row with ``is_relied_on`` already known (a list page asks it of every row)."""
        return self.annotate(relied_on_known=models.ExpressionWrapper(
            models.Q(relied_on_at__isnull=False) | models.Exists(_awaiting_decision()),
            output_field=models.BooleanField()))


def _awaiting_decision():
    """The applications of a document's company that await a decision on a dossier holding that document."""
    return Application.objects.filter(
        company_id=models.OuterRef("company_id"),
        status__in=[ApplicationStatus.SUBMITTED, ApplicationStatus.INFO_REQUESTED],
        submitted_at__gte=models.OuterRef("uploaded_at"),
    )


def evidence_upload_to(instance, filename):
    # Unguessable, meaningless storage name with the extension of the type read from the bytes; the original
    # name is kept in a column.
    return f"evidence/{instance.company_id}/{uuid.uuid4().hex}{ACCEPTED.get(instance.content_type, '')}"


class EvidenceDocument(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("type"), max_length=30, choices=EvidenceKind.choices)
    file = models.FileField(upload_to=evidence_upload_to, max_length=255)
    filename = models.CharField(_("nom du fichier"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    issued_on = models.DateField(_("délivré le"))
    valid_until = models.DateField(_("valide jusqu'au"), null=True, blank=True)
    # What an insurance covers: trade codes (procurement.models.Trade). A winner's insurances must cover the
    # trade of the tender's category.
    activities = models.JSONField(_("activités couvertes"), default=list, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)
    reminded_30_at = models.DateTimeField(null=True, blank=True)
    reminded_7_at = models.DateTimeField(null=True, blank=True)
    # The newer document of the same kind that replaced this one (history from then on: never counted again).
    superseded_by = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                      verbose_name=_("remplacé par"))
    superseded_at = models.DateTimeField(_("remplacé le"), null=True, blank=True)
    # The first decision (admission, award, contract signature) that relied on this document: it stays.
    relied_on_at = models.DateTimeField(null=True, blank=True)

    objects = EvidenceDocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("justificatif")
        verbose_name_plural = _("justificatifs")
        ordering = ["kind", "-issued_on"]
        indexes = [
            models.Index(fields=["company", "kind"], name="evidence_company_kind_idx"),
            models.Index(fields=["valid_until"], name="evidence_valid_until_idx"),
            # The directory's per-company count and soonest expiry, and its "expiring" filter.
            models.Index(fields=["company", "valid_until"], name="evidence_company_expiry_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.filename}"

    def status_on(self, day: dt.date | None = None) -> str:
        return evidence_status(self.valid_until, on=day)

    @property
    def status(self) -> str:
        return self.status_on()

    @property
    def is_current(self) -> bool:
        """This document as ``EvidenceDocumentQuerySet.current`` sees it."""
        return self.superseded_by_id is None

    @property
    def is_relied_on(self) -> bool:
        """This document as ``EvidenceDocumentQuerySet.relied_on`` sees it (read from ``with_relied_on``
        when the row was loaded with it)."""
        known = getattr(self, "relied_on_known", None)
        if known is None:
            known = EvidenceDocument.objects.relied_on().filter(pk=self.pk).exists()
        return known

    @property
    def can_be_deleted(self) -> bool:
        """Its company may delete it: no decision relied on it."""
        return not self.is_relied_on

    def is_valid_on(self, day: dt.date) -> bool:
        return self.valid_until is None or self.valid_until >= day

    @property
    def activity_labels(self) -> list[str]:
        return [str(Trade(code).label) for code in self.activities or [] if code in Trade.values]


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Déposée")
    INFO_REQUESTED = "info_requested", _("Compléments demandés")
    DECIDED = "decided", _("Décidée")
    WITHDRAWN = "withdrawn", _("Retirée")


EXTENDED_DECISION_DAYS = 15


class ApplicationQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ApplicationQuerySet":
        """Who may see an application: a supplier its own companies' (drafts included); staff every
        application once submitted: a draft is the supplier's business until it is deposited."""
        if not (user and user.is_authenticated):
            return self.none()
        if is_staff_member(user):
            return self.exclude(status=ApplicationStatus.DRAFT)
        return self.filter(company__memberships__user=user)

    def overdue(self, *, at: dt.date | None = None) -> "ApplicationQuerySet":
        """Submitted and still undecided after its decision date (``at``: today); the due date itself is on
        time. ``Application.is_overdue_on`` says the same of one row."""
        return self.filter(status=ApplicationStatus.SUBMITTED, decision_due__lt=at or clock.today())


class Application(FSMModelMixin, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dps = models.ForeignKey(DynamicPurchasingSystem, on_delete=models.PROTECT, related_name="applications")
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="applications")
    categories = models.ManyToManyField(Category, through="ApplicationCategory", related_name="applications")
    status = FSMField(default=ApplicationStatus.DRAFT, choices=ApplicationStatus.choices, protected=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    # Receipt of the (complete) application: the decision period counts from here.
    submitted_at = models.DateTimeField(null=True, blank=True)
    decision_due = models.DateField(null=True, blank=True, db_index=True)
    extended = models.BooleanField(default=False)
    extension_reason = models.TextField(blank=True)
    info_request_message = models.TextField(blank=True)
    info_requested_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("candidature")
        verbose_name_plural = _("candidatures")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "decision_due"], name="application_queue_idx"),
            # The lists' usual order (newest first) and the review queue's (soonest due, among those waiting).
            models.Index(fields=["-created_at"], name="application_created_idx"),
            models.Index(fields=["decision_due", "submitted_at"], name="application_review_queue_idx",
                         condition=models.Q(status__in=["submitted", "info_requested"])),
        ]

    def __str__(self):
        return f"{self.company} → {self.dps.reference}"

    @transition(field=status, source=[ApplicationStatus.DRAFT, ApplicationStatus.INFO_REQUESTED],
                target=ApplicationStatus.SUBMITTED)
    def submit(self, *, received_at, decision_due):
        self.first_submitted_at = self.first_submitted_at or received_at
        self.submitted_at = received_at
        self.decision_due = decision_due
        self.extended = False
        self.extension_reason = ""

    @transition(field=status, source=ApplicationStatus.SUBMITTED, target=ApplicationStatus.INFO_REQUESTED)
    def request_info(self, *, message):
        self.info_request_message = message
        self.info_requested_at = clock.now()

    @transition(field=status, source=ApplicationStatus.SUBMITTED, target=ApplicationStatus.SUBMITTED,
                conditions=[lambda self: not self.extended])
    def extend(self, *, justification, decision_due):
        self.extended = True
        self.extension_reason = justification
        self.decision_due = decision_due

    @transition(field=status, source=ApplicationStatus.SUBMITTED, target=ApplicationStatus.DECIDED)
    def decide(self, *, by):
        self.decided_at = clock.now()
        self.decided_by = by

    @transition(field=status, source=[ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED,
                                      ApplicationStatus.INFO_REQUESTED], target=ApplicationStatus.WITHDRAWN)
    def withdraw(self):
        pass

    def is_overdue_on(self, day: dt.date | None = None) -> bool:
        """This application as ``ApplicationQuerySet.overdue`` sees it (tested to agree at the boundary)."""
        return (self.status == ApplicationStatus.SUBMITTED and self.decision_due is not None
                and self.decision_due < (day or clock.today()))

    @property
    def is_overdue(self) -> bool:
        return self.is_overdue_on()


class CategoryDecision(models.TextChoices):
    PENDING = "pending", _("En attente")
    ADMITTED = "admitted", _("Admise")
    REJECTED = "rejected", _("Rejetée")


class ApplicationCategory(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="lines")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=CategoryDecision.choices, default=CategoryDecision.PENDING)
    reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "category"], name="application_category_unique")
        ]

    def __str__(self):
        return f"{self.application_id} / {self.category_id}: {self.decision}"


class AdmissionStatus(models.TextChoices):
    ADMITTED = "admitted", _("Admise")
    SUSPENDED = "suspended", _("Suspendue")
    EXCLUDED = "excluded", _("Exclue")


class Admission(FSMModelMixin, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="admissions")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="admissions")
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="admissions")
    status = FSMField(default=AdmissionStatus.ADMITTED, choices=AdmissionStatus.choices, protected=True)
    admitted_at = models.DateTimeField(default=timezone.now)
    status_reason = models.TextField(blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("admission")
        verbose_name_plural = _("admissions")
        ordering = ["-admitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "category"],
                condition=models.Q(status__in=["admitted", "suspended"]),
                name="one_live_admission_per_category",
            )
        ]
        indexes = [models.Index(fields=["category", "status"], name="admission_category_status_idx")]

    def __str__(self):
        return f"{self.company} — {self.category.code}"

    def _changed(self, reason):
        self.status_reason = reason
        self.status_changed_at = clock.now()

    @transition(field=status, source=AdmissionStatus.ADMITTED, target=AdmissionStatus.SUSPENDED)
    def suspend(self, *, note):
        self._changed(note)

    @transition(field=status, source=AdmissionStatus.SUSPENDED, target=AdmissionStatus.ADMITTED)
    def reinstate(self, *, note):
        self._changed(note)

    @transition(field=status, source=[AdmissionStatus.ADMITTED, AdmissionStatus.SUSPENDED],
                target=AdmissionStatus.EXCLUDED)
    def exclude(self, *, note):
        self._changed(note)


class RenewalStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    ANSWERED = "answered", _("Répondue")
    LAPSED = "lapsed", _("Non répondue (admissions suspendues)")


RENEWAL_DAYS = 5  # R2162-47: renewed declaration due within 5 working days


class DeclarationRenewalQuerySet(models.QuerySet):
    def overdue(self, *, at: dt.date | None = None) -> "DeclarationRenewalQuerySet":
        """Still unanswered after its due date (``at``: today); the due date itself is on time."""
        return self.filter(status=RenewalStatus.PENDING, due_on__lt=at or clock.today())


class DeclarationRenewal(FSMModelMixin, models.Model):
    """A request to an admitted company for an updated declaration on honour."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dps = models.ForeignKey(DynamicPurchasingSystem, on_delete=models.CASCADE, related_name="renewals")
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="renewals")
    status = FSMField(default=RenewalStatus.PENDING, choices=RenewalStatus.choices, protected=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField()
    answered_at = models.DateTimeField(null=True, blank=True)
    declaration = models.ForeignKey(Declaration, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = DeclarationRenewalQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["dps", "company"], condition=models.Q(status="pending"), name="one_pending_renewal"
            )
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="renewal_due_idx")]

    def __str__(self):
        return f"{self.company_id} — {self.due_on} ({self.status})"

    def is_overdue_on(self, day: dt.date | None = None) -> bool:
        """This request as ``DeclarationRenewalQuerySet.overdue`` sees it."""
        return self.status == RenewalStatus.PENDING and self.due_on < (day or clock.today())

    @property
    def is_overdue(self) -> bool:
        return self.is_overdue_on()

    @transition(field=status, source=RenewalStatus.PENDING, target=RenewalStatus.ANSWERED)
    def answer(self, *, declaration):
        self.declaration = declaration
        self.answered_at = clock.now()

    @transition(field=status, source=RenewalStatus.PENDING, target=RenewalStatus.LAPSED)
    def lapse(self):
        pass
