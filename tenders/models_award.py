"""The award and the contract of a mini-tender.

Imported at the bottom of ``tenders.models``: ``from tenders.models import Contract`` works.

- An ``AwardProposal`` is one buyer's proposal of the first-ranked admissible bid, with its reason. It is
  approved by another person with the approver role (four eyes), or withdrawn (then, with elimination,
  its bid is ``eliminated`` under R2144-7 and the next-ranked bid may be proposed). At most one proposal of
  a tender is not withdrawn: the live one (once approved, it stays as the record of the award).
- A ``Contract`` is created at approval: the winner (holder), the amount and duration of its bid and its
  priced schedule as annex. The holder's company admin signs first, then a buyer; then a buyer notifies it.
- A ``DebriefRequest`` is a rejected bidder's request for the characteristics and relative advantages of
  the retained bid (R2181-4), made within 15 days of its letter and answered within 15 days.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition


class AwardProposal(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tender = models.ForeignKey("tenders.Tender", on_delete=models.CASCADE, related_name="award_proposals")
    bid = models.ForeignKey("tenders.Bid", on_delete=models.PROTECT, related_name="award_proposals")
    reason = models.TextField(_("motif de la proposition"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    # The winner was asked for what its evidence lacks, due then.
    evidence_requested_at = models.DateTimeField(null=True, blank=True)
    evidence_due_at = models.DateTimeField(_("justificatifs attendus avant le"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    withdrawal_reason = models.TextField(blank=True)
    eliminated = models.BooleanField(default=False)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        verbose_name = _("proposition d'attribution")
        verbose_name_plural = _("propositions d'attribution")
        ordering = ["proposed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["tender"], condition=models.Q(withdrawn_at__isnull=True),
                                               name="one_live_award_proposal")]

    def __str__(self):
        return f"{self.tender_id} → {self.bid_id}"

    @property
    def is_live(self) -> bool:
        return self.withdrawn_at is None


class ContractStatus(models.TextChoices):
    AWAITING_SIGNATURES = "awaiting_signatures", _("En attente de signatures")
    SIGNED = "signed", _("Signé")
    NOTIFIED = "notified", _("Notifié")


class ContractParty(models.TextChoices):
    HOLDER = "holder", _("Titulaire")
    BUYER = "buyer", _("Acheteur")


class Contract(FSMModelMixin, models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    number = models.CharField(_("numéro"), max_length=80, unique=True)
    tender = models.OneToOneField("tenders.Tender", on_delete=models.PROTECT, related_name="contract")
    bid = models.OneToOneField("tenders.Bid", on_delete=models.PROTECT, related_name="contract")
    holder = models.ForeignKey("suppliers.Company", on_delete=models.PROTECT, related_name="contracts")
    amount = models.DecimalField(_("montant (HT)"), max_digits=14, decimal_places=2)
    duration_weeks = models.PositiveSmallIntegerField(_("durée (semaines)"), null=True, blank=True)
    # The annex: the priced schedule [{ref, label, unit, quantity, unit_price, amount}], from the bid.
    schedule = models.JSONField(_("bordereau de prix"), default=list)
    status = FSMField(_("état"), default=ContractStatus.AWAITING_SIGNATURES, choices=ContractStatus.choices,
                      protected=True)
    created_at = models.DateTimeField(default=timezone.now)
    standstill_ends_at = models.DateTimeField(_("signature possible à partir du"), null=True, blank=True)
    signed_at = models.DateTimeField(_("signé le"), null=True, blank=True)
    notified_at = models.DateTimeField(_("notifié le"), null=True, blank=True)
    notified_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    award_notice_due = models.DateField(_("avis d'attribution à publier avant le"), null=True, blank=True)
    # The last 6-month period of the works for which the URSSAF vigilance was asked again (1 = 6 months in).
    vigilance_period_asked = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("marché")
        verbose_name_plural = _("marchés")
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["status", "notified_at"], name="contract_status_notified_idx")]

    def __str__(self):
        return self.number

    def _signed_by(self, party: str) -> bool:
        cached = getattr(self, "_prefetched_objects_cache", {}).get("signatures")
        if cached is not None:
            return any(s.party == party for s in cached)
        return self.signatures.filter(party=party).exists()

    def signed_by_holder(self) -> bool:
        return self._signed_by(ContractParty.HOLDER)

    def awaits_holder(self) -> bool:
        return not self.signed_by_holder()

    # The holder signs first (the contract stays awaiting the buyer's signature); the buyer's signature, only
    # after the holder's, makes it signed.
    @transition(field=status, source=ContractStatus.AWAITING_SIGNATURES, target=ContractStatus.AWAITING_SIGNATURES,
                conditions=[awaits_holder])
    def sign_as_holder(self):
        pass

    @transition(field=status, source=ContractStatus.AWAITING_SIGNATURES, target=ContractStatus.SIGNED,
                conditions=[signed_by_holder])
    def sign_as_buyer(self, *, at):
        self.signed_at = at

    @transition(field=status, source=ContractStatus.SIGNED, target=ContractStatus.NOTIFIED)
    def notify(self, *, by, at, award_notice_due):
        self.notified_at = at
        self.notified_by = by
        self.award_notice_due = award_notice_due


class ContractSignature(models.Model):
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="signatures")
    party = models.CharField(_("partie"), max_length=10, choices=ContractParty.choices)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    signed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["signed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["contract", "party"], name="one_signature_per_party")]

    def __str__(self):
        return f"{self.contract_id}: {self.party}"


class DebriefRequest(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    bid = models.OneToOneField("tenders.Bid", on_delete=models.CASCADE, related_name="debrief_request")
    text = models.TextField(_("demande"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(_("réponse due avant le"))
    answer = models.TextField(_("réponse"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    answered_at = models.DateTimeField(_("répondu le"), null=True, blank=True)

    class Meta:
        verbose_name = _("demande de motifs détaillés")
        verbose_name_plural = _("demandes de motifs détaillés")
        ordering = ["requested_at", "id"]

    def __str__(self):
        return f"{self.bid_id}: {self.requested_at:%Y-%m-%d}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None
