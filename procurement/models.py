import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from . import calendar, clock
from .permissions import is_staff_member

FIRST_WINDOW_DAYS = 30  # R2162-44: no invitation before 30 days after the DPS notice


class DPSStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    OPEN = "open", _("Ouvert")
    CLOSED = "closed", _("Clos")
    TERMINATED = "terminated", _("Résilié")


class Trade(models.TextChoices):
    EXTERNAL_WALL_INSULATION = "external_wall_insulation", _("Isolation thermique par l'extérieur")
    WINDOWS = "windows", _("Menuiseries extérieures")
    HEATING = "heating", _("Chauffage et eau chaude sanitaire")
    VENTILATION = "ventilation", _("Ventilation")
    ROOF_INSULATION = "roof_insulation", _("Isolation des toitures et combles")
    ELECTRICAL = "electrical", _("Électricité")
    PLUMBING = "plumbing", _("Plomberie")
    OTHER = "other", _("Autre")


# Départements of metropolitan France and overseas, for category territories.
class EvidenceKind(models.TextChoices):
    """The proofs a category may require of a company (the supplier's evidence documents are of these kinds)."""

    KBIS = "kbis", _("Extrait Kbis")
    URSSAF_VIGILANCE = "urssaf_vigilance", _("Attestation de vigilance URSSAF")
    TAX_CERTIFICATE = "tax_certificate", _("Attestation de régularité fiscale")
    LIABILITY_INSURANCE = "liability_insurance", _("Assurance responsabilité civile")
    DECENNIAL_INSURANCE = "decennial_insurance", _("Assurance décennale")
    RGE_CERTIFICATE = "rge_certificate", _("Certificat RGE")
    QUALIBAT_CERTIFICATE = "qualibat_certificate", _("Certificat Qualibat")
    REFERENCES = "references", _("Références")
    OTHER = "other", _("Autre")


DEPARTEMENTS_HDF = {"02": "Aisne", "59": "Nord", "60": "Oise", "62": "Pas-de-Calais", "80": "Somme"}


class DPSQuerySet(models.QuerySet):
    def visible_to(self, user) -> "DPSQuerySet":
        """A draft DPS is "not found" for everyone but staff."""
        if is_staff_member(user):
            return self
        return self.exclude(status=DPSStatus.DRAFT)


class DynamicPurchasingSystem(FSMModelMixin, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("référence"), max_length=50, unique=True)
    title = models.CharField(_("intitulé"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    cpv_codes = models.JSONField(_("codes CPV"), default=list, blank=True)
    valid_until = models.DateField(_("valide jusqu'au"))
    # Before the first invitation, the DPS documents may state a longer decision period (R2162-45).
    initial_decision_days = models.PositiveSmallIntegerField(
        _("délai initial d'examen (jours ouvrables)"), null=True, blank=True
    )
    status = FSMField(_("état"), default=DPSStatus.DRAFT, choices=DPSStatus.choices, protected=True)
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    first_window_ends_at = models.DateTimeField(_("fin de la première période"), null=True, blank=True)
    first_invitation_at = models.DateTimeField(_("première invitation le"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DPSQuerySet.as_manager()

    class Meta:
        verbose_name = _("système d'acquisition dynamique")
        verbose_name_plural = _("systèmes d'acquisition dynamiques")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.reference} — {self.title}"

    @transition(field=status, source=DPSStatus.DRAFT, target=DPSStatus.OPEN)
    def publish(self):
        now = clock.now()
        self.published_at = now
        self.first_window_ends_at = calendar.add_calendar_days(now, FIRST_WINDOW_DAYS)

    @transition(field=status, source=DPSStatus.OPEN, target=DPSStatus.CLOSED)
    def close(self):
        self.closed_at = clock.now()

    @transition(field=status, source=[DPSStatus.DRAFT, DPSStatus.OPEN], target=DPSStatus.TERMINATED)
    def terminate(self):
        self.closed_at = clock.now()

    @property
    def is_open(self) -> bool:
        return self.status == DPSStatus.OPEN

    def accepts_categories(self) -> bool:
        """Categories are added while the DPS is in draft or open, never once it is closed or terminated."""
        return self.status in (DPSStatus.DRAFT, DPSStatus.OPEN)

    def first_window_over(self, at=None) -> bool:
        return bool(self.first_window_ends_at and (at or clock.now()) >= self.first_window_ends_at)


class Category(models.Model):
    """Trade × territories, optionally capped in value: an objective subdivision of the DPS."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dps = models.ForeignKey(DynamicPurchasingSystem, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("nom"), max_length=255)
    trade = models.CharField(_("corps d'état"), max_length=40, choices=Trade.choices)
    territories = models.JSONField(_("départements"), default=list)
    max_contract_value = models.DecimalField(
        _("montant maximal d'un marché (HT)"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    min_turnover = models.DecimalField(
        _("chiffre d'affaires annuel minimal"), max_digits=14, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    # R2142-7: a minimum turnover above 1.5 × the maximum value must be justified.
    min_turnover_justification = models.TextField(_("justification du chiffre d'affaires minimal"), blank=True)
    required_evidence = models.JSONField(_("justificatifs exigés"), default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("catégorie")
        verbose_name_plural = _("catégories")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["dps", "code"], name="category_code_unique_per_dps")]

    def __str__(self):
        return f"{self.code} — {self.name}"


class AuditEntry(models.Model):
    """One recorded event (a transition, an upload, a role granted…), append-only and hash-chained (see
    procurement.audit)."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(max_length=255, blank=True)
    object_type = models.CharField(max_length=30)
    object_id = models.CharField(max_length=64)
    action = models.CharField(max_length=50)
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    reason = models.TextField(blank=True)
    # What the event was about beyond its states (fields changed, a document's kind and fingerprint…).
    details = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("entrée du journal")
        verbose_name_plural = _("journal des transitions")
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id", "id"], name="audit_object_idx")]

    def __str__(self):
        return f"#{self.id} {self.object_type}:{self.object_id} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("Audit entries are append-only.")

    @property
    def reason_text(self) -> str:
        """The reason in the reader's language when the platform wrote it; as typed when a person did."""
        from .audit import reason_text

        return reason_text(self)


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("En file")
    SENDING = "sending", _("En cours d'envoi")
    SENT = "sent", _("Envoyé")
    FAILED = "failed", _("Échec")


class OutboundEmail(models.Model):
    """A mail the platform owes someone. The unique key makes every event mail exactly once."""

    id = models.BigAutoField(primary_key=True)
    key = models.CharField(max_length=200, unique=True)
    to = models.EmailField()
    subject = models.CharField(max_length=255)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    sending_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # A generated document sent with the mail (attached when small enough, else linked in the body).
    attachment = models.ForeignKey("GeneratedDocument", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="mails")
    # The body holds a one-time link (email verification, password reset): its links are blanked once it is
    # sent, and it is never shown in the back office.
    one_time_link = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("courriel")
        verbose_name_plural = _("courriels")
        ordering = ["-id"]

    def __str__(self):
        return f"{self.to}: {self.subject}"


# --- Generated documents (procurement.documents) -----------------------------------------------------------


class DocumentKind(models.TextChoices):
    RECEIPT = "receipt", _("Accusé de réception")
    OPENING_REPORT = "opening_report", _("Procès-verbal d'ouverture des plis")
    ANALYSIS_REPORT = "analysis_report", _("Rapport d'analyse des offres")
    AWARD_LETTER = "award_letter", _("Lettre d'attribution")
    REJECTION_LETTER = "rejection_letter", _("Lettre de rejet")
    CONTRACT = "contract", _("Acte d'engagement")
    AWARD_NOTICE = "award_notice", _("Avis d'attribution")
    CANCELLATION_LETTER = "cancellation_letter", _("Lettre de déclaration sans suite")


class DocumentStatus(models.TextChoices):
    PENDING = "pending", _("En cours de génération")
    READY = "ready", _("Prêt")
    FAILED = "failed", _("Échec")


def generated_document_upload_to(instance, filename):
    # Unguessable: the key says nothing about the tender, the company or the kind.
    return f"generated/{uuid.uuid4().hex}{uuid.uuid4().hex}.pdf"


class GeneratedDocument(models.Model):
    """A PDF the platform issued (PDF/A-3b, PAdES-sealed). Never overwritten: a regeneration is a new version.

    The owner is a generic reference (``object_type``, ``object_id``), e.g. ("tender", id), so that this app
    never depends on the apps above it; ``company_id`` names the recipient company when there is one.
    ``key`` makes the request idempotent: one row per (key, version).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("type"), max_length=30, choices=DocumentKind.choices)
    object_type = models.CharField(max_length=30)
    object_id = models.UUIDField()
    company_id = models.UUIDField(null=True, blank=True)
    key = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    # What the builder needs besides the owner (ids only, never content).
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("état"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.PENDING)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A worker's claim on a pending row: a second run of the task leaves it alone unless the claim is stale.
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    file = models.FileField(upload_to=generated_document_upload_to, max_length=255, blank=True)
    # The stored bytes are encrypted by the owner's app (see procurement.documents.registry); sha256 is always
    # the fingerprint of the PDF as delivered.
    sealed = models.BooleanField(default=False)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    size = models.PositiveIntegerField(default=0)
    signed = models.BooleanField(default=False)
    # The structured data the PDF was rendered from (also embedded in it as data.json). For a sealed
    # document: {"sealed": "<base64>"}.
    data = models.JSONField(default=dict, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    generated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("document généré")
        verbose_name_plural = _("documents générés")
        ordering = ["created_at", "kind", "version"]
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="generated_document_key_version")]
        indexes = [models.Index(fields=["object_type", "object_id", "kind"], name="generated_document_owner_idx")]

    def __str__(self):
        return f"{self.kind} {self.object_type}:{self.object_id} v{self.version} ({self.status})"

    @property
    def can_retry(self) -> bool:
        """Only a document whose generation failed is put back in the queue (``document_retry``)."""
        return self.status == DocumentStatus.FAILED

    @property
    def reference(self) -> str:
        """The reference printed in the footer: short, stable, and enough to find the row again."""
        return f"DOC-{self.id.hex[:12].upper()}-V{self.version}"
