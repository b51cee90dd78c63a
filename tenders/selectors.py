"""Every read of tenders and bids, already filtered by who may see what.

- Staff (buyer, evaluator, approver) see every tender; a supplier sees only the tenders one of its
  companies was invited to. Anything else is "not found".
- A bid's content is readable by its own company at any time, and by staff only once the opening has been
  recorded (``Tender.opened_at``) and only for bids that were opened. Before that, staff see the deposit
  register: who deposited, when, in which state.
"""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from procurement.permissions import is_staff_member
from procurement.web import get_or_404
from suppliers.models import Membership

from .models import DEPOSITED_STATES, Bid, BidDocument, BidStatus, Invitation, Question, Tender, TenderStatus


def _user_company_ids(user):
    return Membership.objects.filter(user=user).values("company_id")


# --- tenders ---------------------------------------------------------------------------------------------


def tenders_for_user(user) -> QuerySet[Tender]:
    if not user.is_authenticated:
        return Tender.objects.none()
    qs = Tender.objects.select_related("dps", "category")
    if is_staff_member(user):
        return qs
    return qs.filter(
        Exists(Invitation.objects.filter(tender=OuterRef("pk"), company_id__in=_user_company_ids(user)))
    )


def tender_get(*, user, tender_id) -> Tender:
    return get_or_404(tenders_for_user(user), id=tender_id)


def tender_list(*, user, status: str | None = None, category=None, dps=None, deadline_before=None,
                deadline_after=None, search: str | None = None) -> QuerySet[Tender]:
    """Tenders for a list page, with their counts (invitations, deposited bids, unanswered questions)."""
    qs = tenders_for_user(user).annotate(
        invitation_count=Count("invitations", distinct=True),
        deposit_count=Count("bids", filter=Q(bids__status__in=DEPOSITED_STATES), distinct=True),
        open_question_count=Count("questions", filter=Q(questions__answered_at__isnull=True), distinct=True),
    )
    lookups = {"status": status, "category_id": category, "dps_id": dps, "bid_deadline__lt": deadline_before,
               "bid_deadline__gte": deadline_after}
    qs = qs.filter(**{key: value for key, value in lookups.items() if value})
    if search:
        qs = qs.filter(Q(title__icontains=search) | Q(reference__icontains=search)
                       | Q(operation_name__icontains=search) | Q(operation_commune__icontains=search))
    return qs.order_by("bid_deadline", "id")


def tender_detail(tender: Tender) -> Tender:
    """The tender with its criteria, schedule and documents loaded."""
    return (
        Tender.objects.select_related("dps", "category", "created_by", "published_by", "opened_by")
        .prefetch_related("criteria", "price_lines", "documents")
        .get(pk=tender.pk)
    )


def invitations_for_tender(tender: Tender) -> QuerySet[Invitation]:
    return tender.invitations.select_related("company").order_by("company__name", "id")


def invitation_mail_progress(tender: Tender) -> dict:
    """How many invitation mails of this tender the mail server has accepted so far (one query)."""
    from procurement.models import EmailStatus, OutboundEmail

    counts = OutboundEmail.objects.filter(key__startswith=f"tender-invitation:{tender.id}:").aggregate(
        total=Count("id"), sent=Count("id", filter=Q(status=EmailStatus.SENT)),
        failed=Count("id", filter=Q(status=EmailStatus.FAILED)))
    counts["done"] = tender.invitations_mailed_at is not None and counts["sent"] == counts["total"]
    return counts


def invitations_for_user(user) -> QuerySet[Invitation]:
    """A supplier's inbox: the invitations of its companies, the open ones first."""
    return (
        Invitation.objects.filter(company_id__in=_user_company_ids(user))
        .select_related("tender", "tender__category", "company")
        .annotate(has_deposit=Exists(Bid.objects.filter(tender=OuterRef("tender"), company=OuterRef("company"))
                                     .exclude(status__in=[BidStatus.DRAFT, BidStatus.WITHDRAWN, BidStatus.LATE])))
        .order_by("-tender__bid_deadline", "id")
    ) if user.is_authenticated else Invitation.objects.none()


def open_invitation_count(company_ref) -> Coalesce:
    """How many of a company's invitations to tender are still open (published, deadline ahead), as an
    expression that annotates rows naming the company (``company_ref``: ``OuterRef("company_id")``)."""
    count = (Invitation.objects.filter(company=company_ref, tender__status=TenderStatus.PUBLISHED,
                                       tender__bid_deadline__gt=timezone.now())
             .values("company").annotate(n=Count("id")).values("n"))
    return Coalesce(Subquery(count), 0)


def is_invited(user, tender: Tender) -> bool:
    return Invitation.objects.filter(tender=tender, company_id__in=_user_company_ids(user)).exists()


# --- questions -------------------------------------------------------------------------------------------


def questions_for_user(*, user, tender: Tender) -> QuerySet[Question]:
    """Staff: all, with the asker. Invited suppliers: the answered ones and their own (the asker is hidden
    by the serializer and the templates unless it is the reader's own company)."""
    qs = tender.questions.select_related("company", "asked_by", "answered_by").order_by("asked_at", "id")
    if is_staff_member(user):
        return qs
    return qs.filter(Q(answered_at__isnull=False) | Q(company_id__in=_user_company_ids(user)))


def question_get(*, user, question_id) -> Question:
    question = get_or_404(Question.objects.select_related("tender"), id=question_id)
    if not (is_staff_member(user) or is_invited(user, question.tender)):
        raise Http404("question introuvable")
    return question


def own_company_ids(user) -> set:
    return set(Membership.objects.filter(user=user).values_list("company_id", flat=True))


# --- bids ------------------------------------------------------------------------------------------------


def _bids(user) -> QuerySet[Bid]:
    return Bid.objects.select_related("tender", "tender__category", "company", "submitted_by")


def bids_of_user(user) -> QuerySet[Bid]:
    """A supplier's own bids, every version and state."""
    if not user.is_authenticated:
        return Bid.objects.none()
    return _bids(user).filter(company_id__in=_user_company_ids(user)).order_by("-created_at")


def _visible_bids(user) -> QuerySet[Bid]:
    """Its own company's bids for a supplier; for staff also the bids opened at a recorded opening."""
    own = Q(company_id__in=_user_company_ids(user))
    if is_staff_member(user):
        return Bid.objects.filter(own | Q(tender__opened_at__isnull=False) & ~Q(
            status__in=[BidStatus.DRAFT, BidStatus.LATE, BidStatus.WITHDRAWN]))
    return Bid.objects.filter(own)


def bid_get(*, user, bid_id) -> Bid:
    """A bid its reader may see: its own company's, or (staff) an opened one. Anything else is 404."""
    if not user.is_authenticated:
        raise Http404
    qs = _visible_bids(user).select_related("tender", "tender__category", "company", "submitted_by")
    return get_or_404(qs.prefetch_related(Prefetch("documents", queryset=BidDocument.objects.order_by("uploaded_at"))),
                       id=bid_id)


def bid_for_action(*, user, bid_id) -> Bid:
    """The bid an action is about, with the visibility of ``bid_get`` but nothing loaded: the services lock
    and load what they need (this is on the path of every deposit at a deadline)."""
    if not user.is_authenticated:
        raise Http404
    return get_or_404(_visible_bids(user).only("id", "tender_id", "company_id", "status"), id=bid_id)


def content_readable(user, bid: Bid) -> bool:
    """May this person read the bid's prices and documents now?"""
    if bid.company_id in own_company_ids(user):
        return True
    return (
        is_staff_member(user)
        and bid.tender.opened_at is not None
        and bid.status not in (BidStatus.DRAFT, BidStatus.LATE, BidStatus.WITHDRAWN)
    )


def deposit_register(tender: Tender) -> QuerySet[Bid]:
    """Every deposit, late and withdrawn ones included: company, time of receipt, state. No content."""
    return (
        tender.bids.filter(status__in=DEPOSITED_STATES)
        .select_related("company", "submitted_by", "replaced_by")
        .order_by("submitted_at", "id")
    )


def opened_bids(tender: Tender) -> QuerySet[Bid]:
    """After the opening: the bids that were opened, with their documents (their content is unsealed)."""
    if tender.opened_at is None:
        return Bid.objects.none()
    return (
        tender.bids.exclude(status__in=[BidStatus.DRAFT, BidStatus.LATE, BidStatus.WITHDRAWN])
        .select_related("company", "tender", "submitted_by")
        .prefetch_related("documents")
        .order_by("total_price", "submitted_at")
    )


def bid_document_get(*, user, document_id) -> BidDocument:
    document = get_or_404(BidDocument.objects.select_related("bid", "bid__tender", "bid__company"), id=document_id)
    if not content_readable(user, document.bid):
        raise Http404("document introuvable")
    return document


# --- the console dashboard -------------------------------------------------------------------------------


def tender_counts() -> dict[str, int]:
    rows = Tender.objects.values("status").annotate(n=Count("id"))
    counts = {status: 0 for status in TenderStatus.values}
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


def tenders_to_open() -> QuerySet[Tender]:
    """Tenders whose deadline has passed and whose bids wait for the opening."""
    return Tender.objects.filter(
        Q(status=TenderStatus.CLOSED) | Q(status=TenderStatus.PUBLISHED, bid_deadline__lte=timezone.now())
    ).select_related("category").order_by("bid_deadline")


def questions_waiting() -> QuerySet[Question]:
    return Question.objects.filter(answered_at__isnull=True, tender__status=TenderStatus.PUBLISHED).select_related(
        "tender", "company").order_by("asked_at")
