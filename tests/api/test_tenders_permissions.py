"""Who may call what on tenders and bids: every endpoint × six personas, with the expected status.

Personas: anonymous, the three staff roles, ``invited`` (member of a company invited to the tender, owner of
the bids) and ``outsider`` (member of a company that was not invited). A tender, a question or a bid the
caller may not know about answers 404, never 403; a known object with a forbidden action answers 403.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tenders.models import Tender
from tenders.services import (
    bid_document_upload,
    question_ask,
    tender_document_upload,
    tenders_close_expired,
)
from tests.factories import (
    PRICED_LINES,
    PRICED_TOTAL,
    TINY_PDF,
    draft_bid,
    draft_tender,
    submitted_bid,
    tender_data,
)

from .test_tenders import build_world

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "buyer", "evaluator", "approver", "invited", "outsider")
A, B, E, P, I, O = PERSONAS  # noqa: E741


def pdf(name="piece.pdf"):
    return SimpleUploadedFile(name, TINY_PDF, content_type="application/pdf")


def _expect(anonymous=401, buyer=200, evaluator=200, approver=200, invited=200, outsider=404):
    return {A: anonymous, B: buyer, E: evaluator, P: approver, I: invited, O: outsider}


def _tender_url(w, tail=""):
    return f"/api/v1/tenders/{w.tender.id}/{tail}"


def _draft(w):
    return draft_tender(w.tender.category, actor=w.buyer, title="Menuiseries extérieures")


def _past_deadline(w, *, close=False):
    """The world's tender, its deadline moved into the past (as if the time had come)."""
    now = timezone.now()
    Tender.objects.filter(pk=w.tender.pk).update(questions_deadline=now - dt.timedelta(days=2),
                                                 bid_deadline=now - dt.timedelta(minutes=1))
    if close:
        tenders_close_expired()


def _tender_document(w):
    return tender_document_upload(actor=w.buyer, tender=w.tender, kind="rules", uploaded_file=pdf("rc.pdf"))


def _bid_document(w):
    bid = draft_bid(w.tender, w.invited)
    return bid_document_upload(actor=w.invited, bid=bid, kind="technical_memo", uploaded_file=pdf())


def _patch_draft_case(w):
    return "patch", f"/api/v1/tenders/{_draft(w).id}/", {"works_duration_weeks": 20}


def _publish_case(w):
    return "post", f"/api/v1/tenders/{_draft(w).id}/publish/", {}


def _answer_case(w):
    question = question_ask(actor=w.invited, tender=w.tender, text="Les plans des façades sont-ils disponibles ?")
    return "post", f"/api/v1/questions/{question.id}/answer/", {"text": "Oui, en pièce jointe."}


def _open_case(w):
    _past_deadline(w)
    return "post", _tender_url(w, "open/"), {}


def _unsuccessful_case(w):
    _past_deadline(w, close=True)
    return "post", _tender_url(w, "declare-unsuccessful/"), {"reason": "Aucune offre reçue"}


def _bid_case(tail, body=None, method="post"):
    def build(w):
        bid = draft_bid(w.tender, w.invited)
        return method, f"/api/v1/bids/{bid.id}/{tail}", body
    return build


def _withdraw_case(w):
    bid = submitted_bid(w.tender, w.invited)
    return "post", f"/api/v1/bids/{bid.id}/withdraw/", {"reason": "Erreur de chiffrage"}


def _bid_upload_case(w):
    bid = draft_bid(w.tender, w.invited)
    return "multipart", f"/api/v1/bids/{bid.id}/documents/", {"kind": "schedule", "file": pdf("planning.pdf")}


# endpoint name -> (case builder, {persona: expected status})
CASES = {
    "tenders GET": (lambda w: ("get", "/api/v1/tenders/", None), _expect(outsider=200)),
    "tenders POST": (lambda w: ("post", "/api/v1/tenders/", tender_data(w.tender.category)),
                     _expect(buyer=201, evaluator=403, approver=403, invited=403, outsider=403)),
    "tenders/{id} GET": (lambda w: ("get", _tender_url(w), None), _expect()),
    # A draft is unknown to suppliers.
    "tenders/{id} PATCH": (_patch_draft_case, _expect(evaluator=403, approver=403, invited=404)),
    "tenders/{id}/documents GET": (lambda w: ("get", _tender_url(w, "documents/"), None), _expect()),
    "tenders/{id}/documents POST": (
        lambda w: ("multipart", _tender_url(w, "documents/"), {"kind": "plans", "file": pdf("plans.pdf")}),
        _expect(buyer=201, evaluator=403, approver=403, invited=403)),
    "tender-documents/{id}/download": (
        lambda w: ("get", f"/api/v1/tender-documents/{_tender_document(w).id}/download/", None), _expect()),
    "tenders/{id}/publish": (_publish_case, _expect(evaluator=403, approver=403, invited=404)),
    "tenders/{id}/invitations": (lambda w: ("get", _tender_url(w, "invitations/"), None), _expect(invited=403)),
    "tenders/{id}/questions GET": (lambda w: ("get", _tender_url(w, "questions/"), None), _expect()),
    "tenders/{id}/questions POST": (
        lambda w: ("post", _tender_url(w, "questions/"), {"text": "Le lot comprend-il les garde-corps ?"}),
        _expect(buyer=403, evaluator=403, approver=403, invited=201)),
    "questions/{id}/answer": (_answer_case, _expect(evaluator=403, approver=403, invited=403)),
    "tenders/{id}/bids GET": (lambda w: ("get", _tender_url(w, "bids/"), None), _expect(invited=403)),
    "tenders/{id}/bids POST": (
        lambda w: ("post", _tender_url(w, "bids/"), {"total_price": PRICED_TOTAL, "duration_weeks": 12,
                                                     "lines": PRICED_LINES}),
        _expect(buyer=403, evaluator=403, approver=403, invited=201)),
    "tenders/{id}/open": (_open_case, _expect(evaluator=403, approver=403, invited=403)),
    "tenders/{id}/cancel": (lambda w: ("post", _tender_url(w, "cancel/"), {"reason": "Opération reportée"}),
                            _expect(evaluator=403, approver=403, invited=403)),
    "tenders/{id}/declare-unsuccessful": (_unsuccessful_case, _expect(evaluator=403, approver=403, invited=403)),
    "bids GET": (lambda w: ("get", "/api/v1/bids/", None), _expect(buyer=403, evaluator=403, approver=403,
                                                                   outsider=200)),
    # Staff never see a bid before the opening: 404, as for another company.
    "bids/{id} GET": (_bid_case("", method="get"), _expect(buyer=404, evaluator=404, approver=404)),
    "bids/{id} PATCH": (_bid_case("", {"notes": "Compagnons qualifiés RGE"}, method="patch"),
                        _expect(buyer=404, evaluator=404, approver=404)),
    "bids/{id}/documents": (_bid_upload_case, _expect(buyer=404, evaluator=404, approver=404, invited=201)),
    "bids/{id}/submit": (_bid_case("submit/", {}), _expect(buyer=404, evaluator=404, approver=404)),
    "bids/{id}/withdraw": (_withdraw_case, _expect(buyer=404, evaluator=404, approver=404)),
    "bid-documents/{id} DELETE": (lambda w: ("delete", f"/api/v1/bid-documents/{_bid_document(w).id}/", None),
                                  _expect(buyer=404, evaluator=404, approver=404, invited=204)),
    "bid-documents/{id}/download": (
        lambda w: ("get", f"/api/v1/bid-documents/{_bid_document(w).id}/download/", None),
        _expect(buyer=404, evaluator=404, approver=404)),
}

MATRIX = [(name, persona, expected[persona]) for name, (_, expected) in CASES.items() for persona in PERSONAS]


def call(client, method, url, body):
    if method in ("get", "delete"):
        return getattr(client, method)(url)
    if method == "multipart":
        return client.post(url, body, format="multipart")
    return getattr(client, method)(url, body if body is not None else {}, format="json")


@pytest.mark.parametrize(("endpoint", "persona", "expected"), MATRIX, ids=[f"{n}-{p}" for n, p, _ in MATRIX])
def test_permission_matrix(endpoint, persona, expected):
    world = build_world()
    build, _ = CASES[endpoint]
    method, url, body = build(world)
    response = call(world.client(persona), method, url, body)

    assert response.status_code == expected, (endpoint, persona, response.content[:500])
    if expected >= 400:
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["status"] == expected


def test_every_tender_endpoint_is_in_the_matrix():
    from procurement import api_urls

    covered = {name.split(" ")[0] for name in CASES}
    for pattern in api_urls.urlpatterns:
        if pattern.callback.__module__ != "tenders.api":
            continue
        route = str(pattern.pattern).rstrip("/").replace("<str:id>", "{id}")
        assert route in covered, f"{route} is missing from the permission matrix"


def test_every_method_of_the_tender_endpoints_is_in_the_matrix():
    from procurement import api_urls

    covered = {tuple(name.split(" ")) if " " in name else (name, None) for name in CASES}
    for pattern in api_urls.urlpatterns:
        if pattern.callback.__module__ != "tenders.api":
            continue
        route = str(pattern.pattern).rstrip("/").replace("<str:id>", "{id}")
        methods = [m.upper() for m in ("get", "post", "patch", "delete") if hasattr(pattern.callback.view_class, m)]
        if len(methods) > 1:
            for method in methods:
                assert (route, method) in covered, f"{method} {route} is missing from the permission matrix"
