"""Sealed bids: preparing, submitting (receipt, replacement, exact deadline, late bids), withdrawing, opening."""

import datetime as dt
import hashlib

import pytest
import time_machine
from django.http import Http404
from django.utils import timezone

from procurement.audit import history
from procurement.errors import InvalidTransition, NotAllowed, NotFound, ValidationFailed
from suppliers.models import Membership
from tenders import selectors, services
from tenders.models import Bid, BidStatus, TenderStatus
from tests.factories import (
    PRICED_LINES,
    PRICED_TOTAL,
    StaffFactory,
    UserFactory,
    draft_bid,
    pdf_file,
    published_tender,
    submitted_bid,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    tender, invited = published_tender(suppliers=2)
    return tender, invited


def test_a_draft_keeps_its_content_sealed_and_readable_by_its_company(world):
    tender, [(company, user), _] = world
    bid = draft_bid(tender, user)

    assert bid.status == BidStatus.DRAFT
    assert bid.total_price is None and bid.lines is None  # nothing in the clear
    content = services.bid_content(Bid.objects.get(pk=bid.pk))
    assert content["total_price"] == PRICED_TOTAL
    assert [line["ref"] for line in content["lines"]] == ["1.1", "2.1", "2.2"]
    assert selectors.content_readable(user, bid)


def test_only_invited_companies_may_bid(world):
    tender, _ = world
    outsider = UserFactory()
    from tests.factories import CompanyFactory

    CompanyFactory(owner=outsider)
    with pytest.raises(NotFound):  # a domain error: the pages and the API make it a 404
        draft_bid(tender, outsider)


def test_unknown_or_duplicate_lines_are_refused(world):
    tender, [(_, user), _] = world
    with pytest.raises(ValidationFailed) as caught:
        draft_bid(tender, user, lines=[{"ref": "9.9", "unit_price": "1"}, {"ref": "1.1", "unit_price": "x"}])
    assert set(caught.value.errors) == {"lines[0].ref", "lines[1].unit_price"}


def test_the_receipt_has_every_item_the_law_asks_for(world, django_capture_on_commit_callbacks, mailoutbox):
    tender, [(company, user), _] = world
    bid = draft_bid(tender, user)
    services.bid_document_upload(actor=user, bid=bid, kind="technical_memo",
                                 uploaded_file=pdf_file("memoire-technique.pdf"))
    mailoutbox.clear()
    moment = timezone.now().replace(microsecond=123456)

    with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
        bid = services.bid_submit(actor=user, bid=bid)

    receipt = services.receipt(bid)
    assert receipt["received_at"] == moment
    assert receipt["depositor"]["company"] == company.name
    assert receipt["depositor"]["identifier"] == company.siret
    assert receipt["buyer"]
    assert receipt["tender"]["title"] == tender.title and receipt["tender"]["object"] == tender.description
    from tests.factories import TINY_PDF

    assert receipt["documents"] == [{"name": "memoire-technique.pdf", "sha256": hashlib.sha256(TINY_PDF).hexdigest(),
                                     "size": len(TINY_PDF)}]
    assert len(receipt["sha256"]) == 64
    # The receipt mail at once, then the signed PDF receipt as an attachment once generated.
    text, pdf = mailoutbox
    assert text.to == pdf.to == [user.email] and not text.attachments and len(pdf.attachments) == 1
    assert receipt["sha256"] in text.body and hashlib.sha256(TINY_PDF).hexdigest() in text.body
    assert PRICED_TOTAL not in text.body and PRICED_TOTAL not in pdf.body
    assert [e.action for e in history("bid", bid.id)] == ["add-document", "submit"]


def test_a_total_that_is_not_the_sum_of_the_lines_cannot_be_submitted(world):
    tender, [(_, user), _] = world
    bid = draft_bid(tender, user, total_price="166000.00")
    with pytest.raises(ValidationFailed) as caught:
        services.bid_submit(actor=user, bid=bid)
    message = caught.value.errors["total_price"][0]
    assert "1.1, 2.1, 2.2" in message and "1" in message
    assert Bid.objects.get(pk=bid.pk).status == BidStatus.DRAFT


def test_every_unpriced_line_is_named(world):
    tender, [(_, user), _] = world
    bid = draft_bid(tender, user, lines=[PRICED_LINES[0]])
    with pytest.raises(ValidationFailed) as caught:
        services.bid_submit(actor=user, bid=bid)
    assert {"lines.2.1", "lines.2.2"} <= set(caught.value.errors)
    assert "Isolant PSE graphité" in caught.value.errors["lines.2.1"][0]


def test_a_later_submission_replaces_the_earlier_one(world):
    tender, [(company, user), _] = world
    first = submitted_bid(tender, user)
    second = submitted_bid(tender, user, total_price="167000.00", notes="Version 2")

    first.refresh_from_db()
    assert first.status == BidStatus.WITHDRAWN and first.replaced_by_id == second.id
    assert second.status == BidStatus.SUBMITTED
    assert tender.bids.filter(company=company, status=BidStatus.SUBMITTED).count() == 1
    assert [e.action for e in history("bid", first.id)] == ["submit", "replace"]


def test_a_new_version_starts_from_the_submitted_one_with_its_documents(world):
    tender, [(_, user), _] = world
    first = draft_bid(tender, user)
    services.bid_document_upload(actor=user, bid=first, kind="schedule", uploaded_file=pdf_file("planning.pdf"))
    services.bid_submit(actor=user, bid=first)

    copy = services.bid_create(actor=user, tender=tender, copy_from=first)

    assert services.bid_content(copy)["total_price"] == PRICED_TOTAL
    assert [services.document_name(d) for d in copy.documents.all()] == ["planning.pdf"]
    assert services.bid_content(copy)["salt"] != services.bid_content(first)["salt"]


def test_a_bid_can_be_withdrawn_before_the_deadline_and_submitted_again(world):
    tender, [(_, user), _] = world
    bid = submitted_bid(tender, user)
    bid = services.bid_withdraw(actor=user, bid=bid)
    assert bid.status == BidStatus.WITHDRAWN
    bid = services.bid_submit(actor=user, bid=bid)
    assert bid.status == BidStatus.SUBMITTED


def test_withdrawal_is_refused_after_the_deadline(world):
    tender, [(_, user), _] = world
    bid = submitted_bid(tender, user)
    with time_machine.travel(tender.bid_deadline, tick=False), pytest.raises(InvalidTransition):
        services.bid_withdraw(actor=user, bid=bid)


def test_another_company_cannot_touch_a_bid(world):
    tender, [(_, user), (_, other)] = world
    bid = draft_bid(tender, user)
    with pytest.raises(NotAllowed):
        services.bid_submit(actor=other, bid=bid)
    with pytest.raises(NotAllowed):
        services.bid_update(actor=other, bid=bid, data={"total_price": "1"})
    with pytest.raises(Http404):
        selectors.bid_get(user=other, bid_id=bid.id)


# --- the exact deadline ----------------------------------------------------------------------------------


def test_a_bid_received_one_microsecond_before_the_deadline_is_accepted(world):
    tender, [(_, user), _] = world
    bid = draft_bid(tender, user)
    with time_machine.travel(tender.bid_deadline - dt.timedelta(microseconds=1), tick=False):
        assert services.bid_submit(actor=user, bid=bid).status == BidStatus.SUBMITTED


def test_a_bid_received_at_the_deadline_is_kept_as_late_and_the_bidder_told(world):
    tender, [(_, user), _] = world
    bid = draft_bid(tender, user)
    with time_machine.travel(tender.bid_deadline, tick=False), pytest.raises(services.LateBid) as caught:
        services.bid_submit(actor=user, bid=bid)

    assert caught.value.status == 409 and caught.value.state == BidStatus.LATE
    assert "R2151-5" in caught.value.detail
    bid.refresh_from_db()
    assert bid.status == BidStatus.LATE and bid.submitted_at == tender.bid_deadline
    assert [e.action for e in history("bid", bid.id)] == ["mark-late"]


def test_a_late_bid_is_refused_even_if_the_tender_was_never_closed_by_the_scheduler(world):
    tender, [(_, user), _] = world
    bid = draft_bid(tender, user)
    with time_machine.travel(tender.bid_deadline + dt.timedelta(hours=3), tick=False):
        assert tender.__class__.objects.get(pk=tender.pk).status == TenderStatus.PUBLISHED
        with pytest.raises(services.LateBid):
            services.bid_submit(actor=user, bid=bid)


def test_the_scheduled_job_closes_tenders_at_their_deadline(world):
    tender, _ = world
    with time_machine.travel(tender.bid_deadline - dt.timedelta(seconds=1), tick=False):
        assert services.tenders_close_expired() == 0
    with time_machine.travel(tender.bid_deadline, tick=False):
        assert services.tenders_close_expired() == 1
    tender.refresh_from_db()
    assert tender.status == TenderStatus.CLOSED
    assert history("tender", tender.id)[-1].actor is None


# --- opening ---------------------------------------------------------------------------------------------


def test_opening_before_the_deadline_is_refused(world):
    tender, _ = world
    with pytest.raises(InvalidTransition) as caught:
        services.tender_open(actor=tender.dps.created_by, tender=tender)
    assert caught.value.state == TenderStatus.PUBLISHED


def test_only_a_buyer_opens(world):
    tender, _ = world
    with time_machine.travel(tender.bid_deadline + dt.timedelta(minutes=1)), pytest.raises(NotAllowed):
        services.tender_open(actor=StaffFactory(roles=["evaluator"]), tender=tender)


def test_opening_records_who_and_when_and_unseals_only_the_bids_that_count(world):
    tender, [(_, user), (_, other)] = world
    kept = submitted_bid(tender, user)
    withdrawn = services.bid_withdraw(actor=other, bid=submitted_bid(tender, other))
    late = draft_bid(tender, other)
    buyer = tender.dps.created_by
    staff = StaffFactory(roles=["evaluator"])

    with pytest.raises(Http404):
        selectors.bid_get(user=staff, bid_id=kept.id)
    assert not selectors.content_readable(staff, kept)

    with time_machine.travel(tender.bid_deadline + dt.timedelta(minutes=5), tick=False):
        with pytest.raises(services.LateBid):
            services.bid_submit(actor=other, bid=late)
        tender = services.tender_open(actor=buyer, tender=tender)

    assert tender.status == TenderStatus.OPENED and tender.opened_by == buyer
    assert tender.opened_at == tender.bid_deadline + dt.timedelta(minutes=5)
    assert [e.action for e in history("tender", tender.id)][-2:] == ["close", "open"]
    kept.refresh_from_db()
    assert kept.status == BidStatus.OPENED and str(kept.total_price) == PRICED_TOTAL and kept.duration_weeks == 14
    assert selectors.bid_get(user=staff, bid_id=kept.id) == kept
    for bid, state in ((withdrawn, BidStatus.WITHDRAWN), (late, BidStatus.LATE)):
        bid.refresh_from_db()
        assert bid.status == state and bid.total_price is None
        with pytest.raises(Http404):
            selectors.bid_get(user=staff, bid_id=bid.id)
    register = list(selectors.deposit_register(tender))
    assert {(b.company_id, b.status) for b in register} >= {(kept.company_id, "opened"), (late.company_id, "late"),
                                                            (withdrawn.company_id, "withdrawn")}


def test_a_member_added_later_to_the_bidding_company_reads_its_bid(world):
    tender, [(company, user), _] = world
    bid = draft_bid(tender, user)
    colleague = UserFactory()
    Membership.objects.create(user=colleague, company=company)
    assert selectors.bid_get(user=colleague, bid_id=bid.id) == bid


def test_a_bid_withdrawn_and_deposited_again_gets_a_new_receipt(world, django_capture_on_commit_callbacks,
                                                                 mailoutbox):
    tender, [(_, user), _] = world
    bid = draft_bid(tender, user)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        bid = services.bid_submit(actor=user, bid=bid)
    first = bid.fingerprint
    services.bid_withdraw(actor=user, bid=bid)
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=3)), \
            django_capture_on_commit_callbacks(execute=True):
        bid = services.bid_submit(actor=user, bid=bid)

    receipts = [m for m in mailoutbox if "Accusé de réception de votre offre" in m.subject]
    assert len(receipts) == 2
    assert first in receipts[0].body and bid.fingerprint in receipts[1].body and first != bid.fingerprint
