"""The evaluation of opened bids: requests to bidders, the panel, its scores, consensus and the frozen ranking.

Imported at the bottom of ``tenders.models``: ``from tenders.models import PanelMember`` works.

- A ``BidRequest`` is a regularisation (R2152-2) or a justification of an abnormally low price (R2152-3/4)
  asked of a bidder, with a due date; the bidder answers with a text and documents.
- A ``PanelMember`` is an evaluator named on a tender. It reads no bid before it has declared that it has
  no conflict of interest; a declared conflict takes it off the panel (``removed_at``).
- A ``Score`` is one evaluator's mark on one non-price criterion of one admissible bid; ``submitted_at`` on
  its ``PanelMember`` locks the whole sheet and ``sheet_sha256`` fingerprints it.
- A ``Consensus`` is the score the buyer records per bid and criterion once every member has submitted.
- A ``RankingSnapshot`` freezes the ranking (rows and the inputs they were computed from) at the award
  proposal, so that letters and reports never drift from the decision.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from suppliers.evidence_files import ACCEPTED


class BidRequestKind(models.TextChoices):
    REGULARISATION = "regularisation", _("Régularisation")
    JUSTIFICATION = "justification", _("Justification du prix")


class BidRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bid = models.ForeignKey("tenders.Bid", on_delete=models.CASCADE, related_name="requests")
    kind = models.CharField(_("nature"), max_length=20, choices=BidRequestKind.choices)
    message = models.TextField(_("message"))
    due_at = models.DateTimeField(_("à rendre avant le"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                     related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    response = models.TextField(_("réponse"), blank=True)
    responded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    responded_at = models.DateTimeField(_("répondu le"), null=True, blank=True)
    # Set by the scheduled sweep when a regularisation was not answered in time.
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("demande au soumissionnaire")
        verbose_name_plural = _("demandes aux soumissionnaires")
        ordering = ["requested_at", "id"]
        indexes = [models.Index(fields=["kind", "responded_at", "due_at"], name="bidrequest_pending_idx")]

    def __str__(self):
        return f"{self.bid_id}: {self.kind}"

    @property
    def is_answered(self) -> bool:
        return self.responded_at is not None


def bid_request_document_upload_to(instance, filename):
    # Unguessable, meaningless storage name; the original name is kept in a column (as for evidence).
    return f"bid-requests/{instance.request.bid_id}/{uuid.uuid4().hex}{ACCEPTED.get(instance.content_type, '')}"


class BidRequestDocument(models.Model):
    """A document the bidder sends with its answer; checked like an evidence upload."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.ForeignKey(BidRequest, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=bid_request_document_upload_to, max_length=255)
    filename = models.CharField(_("nom du fichier"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self):
        return self.filename


class PanelMember(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="panel")
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panels")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    # The declaration of impartiality.
    declared_at = models.DateTimeField(_("déclaration d'impartialité le"), null=True, blank=True)
    no_conflict = models.BooleanField(_("absence de conflit d'intérêts"), null=True, blank=True)
    statement = models.TextField(_("déclaration"), blank=True)
    # Off the panel (a declared conflict of interest); the row stays as the record of it.
    removed_at = models.DateTimeField(null=True, blank=True)
    removal_reason = models.TextField(blank=True)
    # The sheet, once submitted: locked, fingerprinted.
    submitted_at = models.DateTimeField(_("grille remise le"), null=True, blank=True)
    sheet_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("membre de la commission")
        verbose_name_plural = _("membres de la commission")
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["tender", "evaluator"], name="one_panel_seat_per_evaluator")]

    def __str__(self):
        return f"{self.tender_id} / {self.evaluator_id}"

    @property
    def active(self) -> bool:
        return self.removed_at is None

    @property
    def declared(self) -> bool:
        """Declared no conflict of interest, and still on the panel: may read the bids."""
        return self.removed_at is None and self.declared_at is not None and bool(self.no_conflict)

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None


class Score(models.Model):
    bid = models.ForeignKey("tenders.Bid", on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey("tenders.Criterion", on_delete=models.CASCADE, related_name="+")
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("note"), max_digits=4, decimal_places=1)
    comment = models.TextField(_("commentaire"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["bid", "criterion", "evaluator"]
        constraints = [models.UniqueConstraint(fields=["bid", "criterion", "evaluator"],
                                               name="one_score_per_evaluator")]

    def __str__(self):
        return f"{self.bid_id} {self.criterion_id}: {self.score}"


class Consensus(models.Model):
    bid = models.ForeignKey("tenders.Bid", on_delete=models.CASCADE, related_name="consensus")
    criterion = models.ForeignKey("tenders.Criterion", on_delete=models.CASCADE, related_name="+")
    score = models.DecimalField(_("note de consensus"), max_digits=5, decimal_places=2)
    rationale = models.TextField(_("justification"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("note de consensus")
        verbose_name_plural = _("notes de consensus")
        ordering = ["bid", "criterion"]
        constraints = [models.UniqueConstraint(fields=["bid", "criterion"], name="one_consensus_per_criterion")]

    def __str__(self):
        return f"{self.bid_id} {self.criterion_id}: {self.score}"


class RankingSnapshot(models.Model):
    """The ranking as it was shown when the award was proposed, with what it was computed from."""

    tender = models.OneToOneField("tenders.Tender", on_delete=models.CASCADE, related_name="ranking_snapshot")
    frozen_at = models.DateTimeField()
    frozen_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    price_method = models.CharField(max_length=20)
    rows = models.JSONField()
    inputs = models.JSONField()

    class Meta:
        verbose_name = _("classement figé")
        verbose_name_plural = _("classements figés")

    def __str__(self):
        return f"{self.tender_id} ({self.frozen_at:%Y-%m-%d})"
