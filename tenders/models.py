"""Mini-tenders (marchés spécifiques) run among the admitted suppliers of one DPS category.

A bid's content is sealed: it lives only in ``Bid.sealed_content`` (and encrypted files) until the
opening is recorded; see ``tenders.sealing``. The plaintext columns of a bid (``total_price``…) stay
empty until then.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, FSMField, FSMModelMixin, can_proceed, transition

from procurement import clock
from procurement.models import Category, DynamicPurchasingSystem
from procurement.permissions import is_staff_member
from procurement.text import SearchField, with_search_fields
from suppliers.evidence_files import ACCEPTED
from suppliers.models import Membership

MIN_BID_DAYS = 10  # R2162-50: bid deadline at least 10 days after the invitation, unless agreed by all


class TenderStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publié")
    CLOSED = "closed", _("Clos (date limite passée)")
    OPENED = "opened", _("Plis ouverts")
    AWARD_PROPOSED = "award_proposed", _("Attribution proposée")
    AWARDED = "awarded", _("Attribué")
    CANCELLED = "cancelled", _("Sans suite")
    UNSUCCESSFUL = "unsuccessful", _("Infructueux")


class CriterionKind(models.TextChoices):
    PRICE = "price", _("Prix")
    TECHNICAL = "technical", _("Valeur technique")
    DELAY = "delay", _("Délai")
    ENVIRONMENTAL = "environmental", _("Performance environnementale")
    SOCIAL = "social", _("Insertion sociale")


class PriceMethod(models.TextChoices):
    PROPORTIONAL = "proportional", _("Proportionnelle (Nmax × Pmin / P)")
    LINEAR = "linear", _("Linéaire (Nmax × (Pmax − P) / (Pmax − Pmin))")


class AbnormallyLowMethod(models.TextChoices):
    MEAN_GAP = "mean_gap", _("Écart à la moyenne des autres offres")
    REDUCED_MEAN = "reduced_mean", _("Méthode de la moyenne réduite")
    MEAN_SIGMA = "mean_sigma", _("Moyenne moins un écart type")
    ESTIMATE_GAP = "estimate_gap", _("Écart à l'estimation de l'acheteur")


# The threshold t of the methods that take one, when the tender does not state it.
# reduced_mean's 0.10 is its "0.9 × M2"; mean_sigma takes no threshold (tenders.evaluation.anomalies).
DEFAULT_ABNORMALLY_LOW_THRESHOLDS = {
    AbnormallyLowMethod.MEAN_GAP: Decimal("0.20"),
    AbnormallyLowMethod.REDUCED_MEAN: Decimal("0.10"),
    AbnormallyLowMethod.ESTIMATE_GAP: Decimal("0.30"),
}


class EnergyLabel(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"
    D = "D", "D"
    E = "E", "E"
    F = "F", "F"
    G = "G", "G"


def _company_ids_of(user):
    return Membership.objects.filter(user=user).values("company_id")


class TenderQuerySet(models.QuerySet):
    def visible_to(self, user) -> "TenderQuerySet":
        """Staff see every tender; a supplier the tenders one of its companies was invited to."""
        if not (user and user.is_authenticated):
            return self.none()
        if is_staff_member(user):
            return self
        return self.filter(models.Exists(Invitation.objects.filter(
            tender=models.OuterRef("pk"), company_id__in=_company_ids_of(user))))

    def to_open(self, *, at=None) -> "TenderQuerySet":
        """Tenders whose bids wait for the opening: closed, or published with the deadline passed
        (``Tender.can_be_opened``)."""
        return self.filter(models.Q(status=TenderStatus.CLOSED)
                           | models.Q(status=TenderStatus.PUBLISHED, bid_deadline__lte=at or clock.now()))


class Tender(FSMModelMixin, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    reference = models.CharField(_("référence"), max_length=60, unique=True)
    dps = models.ForeignKey(DynamicPurchasingSystem, on_delete=models.PROTECT, related_name="tenders")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="tenders")
    title = models.CharField(_("intitulé"), max_length=255)
    description = models.TextField(_("description des travaux"))
    # The renovation operation
    operation_name = models.CharField(_("résidence"), max_length=255)
    operation_address = models.CharField(_("adresse"), max_length=255)
    operation_commune = models.CharField(_("commune"), max_length=100)
    operation_insee_code = models.CharField(_("code INSEE"), max_length=5)
    dwellings = models.PositiveIntegerField(_("nombre de logements"))
    energy_label_before = models.CharField(_("étiquette énergie avant"), max_length=1, choices=EnergyLabel.choices)
    energy_label_target = models.CharField(_("étiquette énergie visée"), max_length=1, choices=EnergyLabel.choices)
    estimated_value = models.DecimalField(_("montant estimé (HT)"), max_digits=14, decimal_places=2)
    budget_ceiling = models.DecimalField(_("budget maximal (HT)"), max_digits=14, decimal_places=2, null=True,
                                         blank=True)
    works_duration_weeks = models.PositiveSmallIntegerField(_("durée des travaux (semaines)"))
    questions_deadline = models.DateTimeField(_("date limite des questions"))
    bid_deadline = models.DateTimeField(_("date limite de remise des offres"), db_index=True)
    price_method = models.CharField(_("méthode de notation du prix"), max_length=20, choices=PriceMethod.choices,
                                    default=PriceMethod.PROPORTIONAL)
    standstill = models.BooleanField(_("délai de suspension avant signature"), default=True)
    # R2162-50: a deadline under 10 days needs an agreement with every invited supplier; its record.
    deadline_agreement = models.TextField(_("accord sur un délai réduit"), blank=True)
    # Evaluation: stated while draft, fixed at publication.
    abnormally_low_method = models.CharField(_("méthode de détection des offres anormalement basses"),
                                             max_length=20, choices=AbnormallyLowMethod.choices,
                                             default=AbnormallyLowMethod.MEAN_GAP)
    # Null: the method's default (DEFAULT_ABNORMALLY_LOW_THRESHOLDS); mean_sigma takes none.
    abnormally_low_threshold = models.DecimalField(_("seuil de détection"), max_digits=4, decimal_places=3,
                                                   null=True, blank=True)
    # Criterion codes compared in order to break a tie; empty: the heaviest non-price criterion, then the
    # price, then the earlier receipt.
    tie_break = models.JSONField(_("règle de départage"), default=list, blank=True)
    # A "delay" criterion is scored by the price formula on the duration, unless the panel judges it.
    delay_scored_by_panel = models.BooleanField(_("critère de délai noté par la commission"), default=False)

    status = FSMField(_("état"), default=TenderStatus.DRAFT, choices=TenderStatus.choices, protected=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(_("publié le"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(_("plis ouverts le"), null=True, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)
    # The award (tenders.models_award holds the proposals and the contract).
    awarded_at = models.DateTimeField(_("attribué le"), null=True, blank=True)
    awarded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    # When the award and rejection letters were sent; the standstill (R2182-1) runs 11 days from then.
    letters_sent_at = models.DateTimeField(_("lettres envoyées le"), null=True, blank=True)
    standstill_ends_at = models.DateTimeField(_("fin du délai de suspension"), null=True, blank=True)
    # Set once the invitation mails are queued (the beat sweep retries a tender left without them).
    invitations_mailed_at = models.DateTimeField(null=True, blank=True)
    # The tender's data key, wrapped by the master key (tenders.sealing); never stored in the clear.
    wrapped_key = models.BinaryField(editable=False)
    # What the list's search box looks in, folded (procurement.text): case and accents ignored.
    search_text = SearchField(sources=("reference", "title", "operation_name", "operation_commune"))

    objects = TenderQuerySet.as_manager()

    class Meta:
        verbose_name = _("marché spécifique")
        verbose_name_plural = _("marchés spécifiques")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "bid_deadline"], name="tender_status_deadline_idx")]

    def __str__(self):
        return f"{self.reference} — {self.title}"

    def save(self, *args, update_fields=None, **kwargs):
        super().save(*args, update_fields=with_search_fields(self, update_fields), **kwargs)

    @transition(field=status, source=TenderStatus.DRAFT, target=TenderStatus.PUBLISHED)
    def publish(self, *, by, at):
        self.published_at = at
        self.published_by = by

    @transition(field=status, source=TenderStatus.PUBLISHED, target=TenderStatus.CLOSED,
                conditions=[lambda self: self.deadline_passed()])
    def close(self):
        self.closed_at = clock.now()

    @transition(field=status, source=TenderStatus.CLOSED, target=TenderStatus.OPENED)
    def open(self, *, by):
        self.opened_at = clock.now()
        self.opened_by = by

    @transition(field=status, source=[TenderStatus.DRAFT, TenderStatus.PUBLISHED, TenderStatus.CLOSED,
                                      TenderStatus.OPENED, TenderStatus.AWARD_PROPOSED], target=TenderStatus.CANCELLED)
    def cancel(self, *, note):
        self.ended_at = clock.now()
        self.end_reason = note

    @transition(field=status, source=[TenderStatus.CLOSED, TenderStatus.OPENED], target=TenderStatus.UNSUCCESSFUL)
    def declare_unsuccessful(self, *, note):
        self.ended_at = clock.now()
        self.end_reason = note

    # --- award ---------------------------------------------------------------------------------------------

    @transition(field=status, source=TenderStatus.OPENED, target=TenderStatus.AWARD_PROPOSED)
    def propose_award(self):
        pass

    @transition(field=status, source=TenderStatus.AWARD_PROPOSED, target=TenderStatus.OPENED)
    def withdraw_proposal(self):
        pass

    @transition(field=status, source=TenderStatus.AWARD_PROPOSED, target=TenderStatus.AWARDED)
    def approve_award(self, *, by, at, standstill_ends_at):
        self.awarded_at = at
        self.awarded_by = by
        self.letters_sent_at = at
        self.standstill_ends_at = standstill_ends_at

    def deadline_passed(self, at=None) -> bool:
        return (at or clock.now()) >= self.bid_deadline

    def is_editable(self) -> bool:
        """A draft is changed freely; once published only addenda remain."""
        return self.status == TenderStatus.DRAFT

    def can_be_opened(self) -> bool:
        """The opening closes a published tender whose deadline passed, then opens it."""
        return can_proceed(self.open) or can_proceed(self.close)

    def accepts_documents(self, at=None) -> bool:
        """Consultation documents are added until the bid deadline (after publication, as addenda)."""
        return self.status in (TenderStatus.DRAFT, TenderStatus.PUBLISHED) and not self.deadline_passed(at)

    def documents_are_addenda(self) -> bool:
        """A document added once the tender is published is an addendum, announced to every invitee."""
        return self.status == TenderStatus.PUBLISHED

    def accepts_answers(self) -> bool:
        """Questions are answered while the tender is published (until the bid deadline closes it)."""
        return self.status == TenderStatus.PUBLISHED

    def shows_deadlines(self) -> bool:
        """The deadlines belong on the timeline unless the procedure ended without an award."""
        return self.status not in (TenderStatus.CANCELLED, TenderStatus.UNSUCCESSFUL)

    def questions_open(self, at=None) -> bool:
        return self.status == TenderStatus.PUBLISHED and (at or clock.now()) < self.questions_deadline

    def accepts_bids(self, at=None) -> bool:
        return self.status == TenderStatus.PUBLISHED and not self.deadline_passed(at)

    @property
    def is_opened(self) -> bool:
        return self.opened_at is not None

    @property
    def abnormally_low_effective_threshold(self) -> Decimal | None:
        """The threshold t the detection uses: the tender's, or its method's default (None: no threshold)."""
        if self.abnormally_low_method not in DEFAULT_ABNORMALLY_LOW_THRESHOLDS:
            return None
        if self.abnormally_low_threshold is not None:
            return self.abnormally_low_threshold
        return DEFAULT_ABNORMALLY_LOW_THRESHOLDS[self.abnormally_low_method]


class Criterion(models.Model):
    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="criteria")
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("intitulé"), max_length=255)
    kind = models.CharField(_("nature"), max_length=20, choices=CriterionKind.choices)
    weight = models.PositiveSmallIntegerField(_("pondération (%)"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["tender", "code"], name="criterion_code_unique")]

    def __str__(self):
        return f"{self.name} ({self.weight} %)"


class PriceLine(models.Model):
    """A line of the blank price schedule (DPGF): the bidders fill in the unit prices."""

    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="price_lines")
    ref = models.CharField(_("référence"), max_length=30)
    label = models.CharField(_("désignation"), max_length=255)
    unit = models.CharField(_("unité"), max_length=20)
    quantity = models.DecimalField(_("quantité"), max_digits=12, decimal_places=3)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["tender", "ref"], name="price_line_ref_unique")]

    def __str__(self):
        return f"{self.ref} {self.label}"


class TenderDocumentKind(models.TextChoices):
    RULES = "rules", _("Règlement de la consultation")
    SPECIFICATION = "specification", _("Cahier des clauses techniques (CCTP)")
    PRICE_SCHEDULE = "price_schedule", _("Cadre de décomposition du prix (DPGF)")
    PLANS = "plans", _("Plans")
    DIAGNOSIS = "diagnosis", _("Diagnostics et relevés")
    OTHER = "other", _("Autre")


def tender_document_upload_to(instance, filename):
    # Unguessable storage name, with the extension of the type read from the bytes.
    return f"tenders/{instance.tender_id}/{uuid.uuid4().hex}{ACCEPTED.get(instance.content_type, '')}"


class TenderDocument(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("type"), max_length=20, choices=TenderDocumentKind.choices)
    title = models.CharField(_("titre"), max_length=255, blank=True)
    file = models.FileField(upload_to=tender_document_upload_to, max_length=255)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    is_addendum = models.BooleanField(_("modificatif"), default=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.title or self.filename


class Invitation(models.Model):
    """A supplier invited at publication: the snapshot of the category's live admissions (R2162-49)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="invitations")
    company = models.ForeignKey("suppliers.Company", on_delete=models.PROTECT, related_name="tender_invitations")
    admission = models.ForeignKey("suppliers.Admission", on_delete=models.PROTECT, related_name="+")
    # The invitation is made available to every invited supplier at the same instant: publication.
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["tender", "company__name"]
        constraints = [models.UniqueConstraint(fields=["tender", "company"], name="one_invitation_per_company")]

    def __str__(self):
        return f"{self.tender_id} → {self.company_id}"


class Question(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tender = models.ForeignKey(Tender, on_delete=models.CASCADE, related_name="questions")
    company = models.ForeignKey("suppliers.Company", on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("question"))
    asked_at = models.DateTimeField(default=timezone.now)
    answer = models.TextField(_("réponse"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["asked_at", "id"]
        indexes = [models.Index(fields=["tender", "answered_at"], name="question_tender_answered_idx")]

    def __str__(self):
        return self.text[:60]

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class BidStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    SUBMITTED = "submitted", _("Déposée")
    WITHDRAWN = "withdrawn", _("Retirée")
    LATE = "late", _("Hors délai")
    OPENED = "opened", _("Ouverte")
    ADMISSIBLE = "admissible", _("Recevable")
    IRREGULAR = "irregular", _("Irrégulière")
    UNACCEPTABLE = "unacceptable", _("Inacceptable")
    INAPPROPRIATE = "inappropriate", _("Inappropriée")
    ABNORMALLY_LOW = "abnormally_low", _("Anormalement basse")
    REGULARISATION_REQUESTED = "regularisation_requested", _("Régularisation demandée")
    JUSTIFICATION_REQUESTED = "justification_requested", _("Justification demandée")
    # R2144-7: the proposed winner could not prove its situation in time.
    ELIMINATED = "eliminated", _("Écartée (justificatifs du candidat pressenti)")
    AWARDED = "awarded", _("Retenue")
    NOT_RETAINED = "not_retained", _("Non retenue")


# The states of a bid that was deposited (they appear in the deposit register).
DEPOSITED_STATES = [s for s in BidStatus.values if s != BidStatus.DRAFT]

# The classes a buyer gives an opened bid (L2152-1 to -4; L2152-5 for the abnormally low one).
CLASSIFIED_STATES = [BidStatus.ADMISSIBLE, BidStatus.IRREGULAR, BidStatus.UNACCEPTABLE, BidStatus.INAPPROPRIATE,
                     BidStatus.ABNORMALLY_LOW]
# A bid that takes part in the evaluation: opened, and in any later state. Drafts, late and withdrawn bids
# never do (R2151-5).
EVALUATED_STATES = [s for s in BidStatus.values if s not in (BidStatus.DRAFT, BidStatus.SUBMITTED,
                                                              BidStatus.WITHDRAWN, BidStatus.LATE)]


# A bid that is not standing: never deposited, deposited late, or withdrawn. Its content is never read.
NOT_STANDING_STATES = [BidStatus.DRAFT, BidStatus.LATE, BidStatus.WITHDRAWN]


def content_readable_q() -> models.Q:
    """The rule "bids whose content staff may read": standing bids (not a draft, late or withdrawn) of a
    tender whose opening is recorded. Who among staff may read them is
    ``tenders.selectors.bid_contents_readable``."""
    return models.Q(tender__opened_at__isnull=False) & ~models.Q(status__in=NOT_STANDING_STATES)


class BidQuerySet(models.QuerySet):
    def standing(self) -> "BidQuerySet":
        """Deposited in time and not withdrawn."""
        return self.exclude(status__in=NOT_STANDING_STATES)

    def content_readable(self) -> "BidQuerySet":
        """Bids whose content staff may read (``content_readable_q``; ``Bid.content_readable_by_staff``
        says the same of one bid)."""
        return self.filter(content_readable_q())

    def visible_to(self, user) -> "BidQuerySet":
        """Its own companies' bids for a supplier; for staff also the bids whose content is readable."""
        if not (user and user.is_authenticated):
            return self.none()
        own = models.Q(company_id__in=_company_ids_of(user))
        return self.filter(own | content_readable_q()) if is_staff_member(user) else self.filter(own)


class Bid(FSMModelMixin, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tender = models.ForeignKey(Tender, on_delete=models.PROTECT, related_name="bids")
    company = models.ForeignKey("suppliers.Company", on_delete=models.PROTECT, related_name="bids")
    status = FSMField(_("état"), default=BidStatus.DRAFT, choices=BidStatus.choices, protected=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Sealed: {"total_price", "duration_weeks", "lines": [{"ref", "unit_price"}], "notes", "salt"}, encrypted.
    sealed_content = models.BinaryField(editable=False)
    # The receipt: time of receipt (taken under the tender's row lock) and the fingerprint of the bid.
    submitted_at = models.DateTimeField(_("reçue le"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    fingerprint = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True)
    # Sealed too: [{"name", "sha256"}] of the documents at submission.
    sealed_receipt = models.BinaryField(editable=False, null=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Filled from the sealed content at the opening, never before.
    total_price = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    duration_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    lines = models.JSONField(null=True, blank=True)
    notes = models.TextField(blank=True)
    # The current classification (its history is in the audit trail).
    classification_reason = models.TextField(_("motif du classement"), blank=True)
    classified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    classified_at = models.DateTimeField(_("classée le"), null=True, blank=True)

    objects = BidQuerySet.as_manager()

    class Meta:
        verbose_name = _("offre")
        verbose_name_plural = _("offres")
        ordering = ["tender", "submitted_at", "created_at"]
        indexes = [models.Index(fields=["tender", "status"], name="bid_tender_status_idx")]

    def __str__(self):
        return f"{self.tender_id} / {self.company_id} ({self.status})"

    @transition(field=status, source=[BidStatus.DRAFT, BidStatus.WITHDRAWN], target=BidStatus.SUBMITTED)
    def submit(self, *, by, at, fingerprint, sealed_receipt):
        self.submitted_at = at
        self.submitted_by = by
        self.fingerprint = fingerprint
        self.sealed_receipt = sealed_receipt
        self.withdrawn_at = None

    @transition(field=status, source=[BidStatus.DRAFT, BidStatus.WITHDRAWN], target=BidStatus.LATE)
    def mark_late(self, *, by, at):
        self.submitted_at = at
        self.submitted_by = by

    @transition(field=status, source=BidStatus.SUBMITTED, target=BidStatus.WITHDRAWN)
    def withdraw(self, *, at, replaced_by=None):
        self.withdrawn_at = at
        self.replaced_by = replaced_by

    @transition(field=status, source=BidStatus.SUBMITTED, target=BidStatus.OPENED)
    def open(self, *, content):
        self.total_price = content["total_price"]
        self.duration_weeks = content["duration_weeks"]
        self.lines = content["lines"]
        self.notes = content["notes"]

    def content_readable_by_staff(self) -> bool:
        """This bid as ``BidQuerySet.content_readable`` sees it."""
        return self.tender.opened_at is not None and self.status not in NOT_STANDING_STATES

    # --- evaluation ---------------------------------------------------------------------------------------
    # A bid waiting on a justification may be classified only once its due date passed (unanswered: the
    # buyer decides on what it has); an answer brings it back to "opened" anyway.

    def _pending_request(self, kind: str | None = None):
        """The request this bid waits on (the latest unanswered one), if any."""
        cached = getattr(self, "_prefetched_objects_cache", {}).get("requests")
        requests = list(cached) if cached is not None else list(self.requests.filter(responded_at__isnull=True))
        pending = [r for r in requests if r.responded_at is None and (kind is None or r.kind == kind)]
        return max(pending, key=lambda r: r.requested_at) if pending else None

    def waiting_request_overdue(self, at=None) -> bool:
        """Waiting on the bidder, and the due date of that request has passed."""
        if self.status not in (BidStatus.JUSTIFICATION_REQUESTED, BidStatus.REGULARISATION_REQUESTED):
            return False
        request = self._pending_request()
        return request is not None and (at or clock.now()) >= request.due_at

    def classifiable(self) -> bool:
        return self.status != BidStatus.JUSTIFICATION_REQUESTED or self.waiting_request_overdue()

    def justification_settled(self, at=None) -> bool:
        """L2152-5/6, R2152-3: a justification was requested and answered, or its due date passed."""
        cached = getattr(self, "_prefetched_objects_cache", {}).get("requests")
        requests = list(cached) if cached is not None else list(self.requests.all())
        asked = [r for r in requests if r.kind == "justification"]
        if not asked:
            return False
        latest = max(asked, key=lambda r: r.requested_at)
        return latest.responded_at is not None or (at or clock.now()) >= latest.due_at

    def may_be_classified_abnormally_low(self) -> bool:
        """The rule both the service and ``allowed_actions`` read: never before a justification was asked
        and answered, or its due date passed."""
        return self.classifiable() and self.justification_settled()

    @transition(field=status, source=[BidStatus.OPENED, *CLASSIFIED_STATES, BidStatus.JUSTIFICATION_REQUESTED],
                target=RETURN_VALUE(BidStatus.ADMISSIBLE, BidStatus.IRREGULAR, BidStatus.UNACCEPTABLE,
                                    BidStatus.INAPPROPRIATE),
                conditions=[classifiable])
    def classify(self, *, decision, note, by, at):
        if decision not in (BidStatus.ADMISSIBLE, BidStatus.IRREGULAR, BidStatus.UNACCEPTABLE,
                            BidStatus.INAPPROPRIATE):
            raise ValueError(decision)
        self.classification_reason = note
        self.classified_by = by
        self.classified_at = at
        return decision

    @transition(field=status, source=[BidStatus.OPENED, *CLASSIFIED_STATES, BidStatus.JUSTIFICATION_REQUESTED],
                target=BidStatus.ABNORMALLY_LOW, conditions=[may_be_classified_abnormally_low])
    def classify_abnormally_low(self, *, note, by, at):
        self.classification_reason = note
        self.classified_by = by
        self.classified_at = at

    @transition(field=status, source=BidStatus.IRREGULAR, target=BidStatus.REGULARISATION_REQUESTED)
    def request_regularisation(self):
        pass

    @transition(field=status, source=[BidStatus.OPENED, BidStatus.ADMISSIBLE, BidStatus.IRREGULAR,
                                      BidStatus.UNACCEPTABLE, BidStatus.INAPPROPRIATE],
                target=BidStatus.JUSTIFICATION_REQUESTED)
    def request_justification(self):
        pass

    @transition(field=status, source=[BidStatus.REGULARISATION_REQUESTED, BidStatus.JUSTIFICATION_REQUESTED],
                target=BidStatus.OPENED)
    def respond(self):
        # Back to the buyer, who classifies it again.
        self.classification_reason = ""
        self.classified_by = None
        self.classified_at = None

    @transition(field=status, source=BidStatus.REGULARISATION_REQUESTED, target=BidStatus.IRREGULAR,
                conditions=[waiting_request_overdue])
    def expire_regularisation(self):
        # R2152-2: a regularisation not answered in time leaves the bid irregular, with its earlier reason.
        pass

    # --- award ---------------------------------------------------------------------------------------------

    @transition(field=status, source=BidStatus.ADMISSIBLE, target=BidStatus.ELIMINATED)
    def eliminate(self, *, note, by, at):
        # R2144-7: the proposed winner could not prove its situation; the next-ranked bid may be proposed.
        self.classification_reason = note
        self.classified_by = by
        self.classified_at = at

    @transition(field=status, source=BidStatus.ADMISSIBLE, target=BidStatus.AWARDED)
    def award(self):
        pass

    @transition(field=status, source=BidStatus.ADMISSIBLE, target=BidStatus.NOT_RETAINED)
    def not_retain(self):
        pass


class BidDocumentKind(models.TextChoices):
    TECHNICAL_MEMO = "technical_memo", _("Mémoire technique")
    SCHEDULE = "schedule", _("Planning d'exécution")
    CERTIFICATE = "certificate", _("Attestations et certificats")
    PRICE_SCHEDULE = "price_schedule", _("DPGF signée")
    OTHER = "other", _("Autre")


def bid_document_upload_to(instance, filename):
    return f"bids/{instance.bid.tender_id}/{uuid.uuid4().hex}.sealed"


class BidDocument(models.Model):
    """A bid's document. Its bytes and its name are sealed; only the size and fingerprint are in the clear."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bid = models.ForeignKey(Bid, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("type"), max_length=20, choices=BidDocumentKind.choices)
    file = models.FileField(upload_to=bid_document_upload_to, max_length=255)
    sealed_name = models.BinaryField(editable=False)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return f"{self.bid_id}: {self.kind}"


from .models_award import (  # noqa: E402,F401  the award and contract models live in their own module
    AwardProposal,
    Contract,
    ContractParty,
    ContractSignature,
    ContractStatus,
    DebriefRequest,
)
from .models_evaluation import (  # noqa: E402,F401  the evaluation models live in their own module
    BidRequest,
    BidRequestDocument,
    BidRequestKind,
    Consensus,
    PanelMember,
    RankingSnapshot,
    Score,
)
