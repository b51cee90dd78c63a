"""API representations of the evaluation (API.md "Evaluation (after the opening)").

Input serializers describe the request bodies for the schema and check their simplest shape; the services
in ``tenders.services.evaluation`` apply every rule. Output is built by the ``*_data`` functions below from
what the selectors return (already filtered by who may see what); the serializers describe it.

Scores and totals are JSON numbers rounded to 2 decimals (computed exactly); money is a decimal string.
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from rest_framework import serializers

from procurement.serializers import Moment
from procurement.workflow import allowed_actions

from .models import CLASSIFIED_STATES, AbnormallyLowMethod, BidRequestKind, BidStatus, PriceMethod

CENT = Decimal("0.01")
_DATETIME = Moment()


def number(value) -> float | None:
    """A score or a total as a JSON number rounded to 2 decimals (half up); None stays None."""
    if value is None or value == "":
        return None
    return float(Decimal(str(value)).quantize(CENT))


def money(value) -> str | None:
    return None if value in (None, "") else str(Decimal(str(value)).quantize(CENT))


def moment(value) -> str | None:
    return None if value is None else _DATETIME.to_representation(value)


# --- input ---------------------------------------------------------------------------------------------------


class ClassifySerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[(s, s) for s in CLASSIFIED_STATES])
    reason = serializers.CharField(required=False, allow_blank=True, default="",
                                   help_text="Required except for admissible.")


class BidRequestInputSerializer(serializers.Serializer):
    message = serializers.CharField(allow_blank=True)
    due_at = serializers.CharField(help_text="ISO 8601 date-time with offset, or a date (due at the end of it).")


class RespondSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=True, required=False, default="")
    file = serializers.FileField(required=False, allow_null=True, allow_empty_file=True, use_url=False,
                                 help_text="PDF, JPEG or PNG, checked like evidence; may be repeated.")


class PanelInputSerializer(serializers.Serializer):
    evaluators = serializers.ListField(child=serializers.CharField(), allow_empty=True,
                                       help_text="User ids or e-mail addresses of staff with the evaluator role.")


class ImpartialitySerializer(serializers.Serializer):
    no_conflict = serializers.BooleanField()
    statement = serializers.CharField(required=False, allow_blank=True, default="")


class ScoreInputSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    score = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="0–10, in steps of 0.5.")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class ConsensusInputSerializer(serializers.Serializer):
    criterion = serializers.CharField()
    score = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="0–10.")
    rationale = serializers.CharField(allow_blank=True, required=False, default="")


# --- output --------------------------------------------------------------------------------------------------


class CompanyNameSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class RequestDocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    filename = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    uploaded_at = Moment()


class BidRequestSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    bid = serializers.UUIDField()
    bid_status = serializers.ChoiceField(choices=BidStatus.choices)
    kind = serializers.ChoiceField(choices=BidRequestKind.choices)
    message = serializers.CharField()
    due_at = Moment()
    requested_at = Moment()
    response = serializers.CharField()
    responded_at = Moment(allow_null=True)
    documents = RequestDocumentSerializer(many=True)


def request_data(request, *, bid_status: str) -> dict:
    return {
        "id": str(request.id), "bid": str(request.bid_id), "bid_status": bid_status, "kind": request.kind,
        "message": request.message, "due_at": moment(request.due_at), "requested_at": moment(request.requested_at),
        "response": request.response, "responded_at": moment(request.responded_at),
        "documents": [{"id": str(d.id), "filename": d.filename, "content_type": d.content_type, "size": d.size,
                       "sha256": d.sha256, "uploaded_at": moment(d.uploaded_at)} for d in request.documents.all()],
    }


class BidEvaluationSerializer(serializers.Serializer):
    """A bid in the evaluation: its state, its classification and the requests made to the bidder."""

    id = serializers.UUIDField()
    tender = serializers.UUIDField()
    company = CompanyNameSerializer()
    status = serializers.ChoiceField(choices=BidStatus.choices)
    total_price = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    classification_reason = serializers.CharField()
    classified_by = serializers.EmailField(allow_null=True)
    classified_at = Moment(allow_null=True)
    allowed_transitions = serializers.ListField(child=serializers.CharField())
    requests = BidRequestSerializer(many=True)


def bid_evaluation_data(bid, requests) -> dict:
    return {
        "id": str(bid.id), "tender": str(bid.tender_id),
        "company": {"id": str(bid.company_id), "name": bid.company.name}, "status": bid.status,
        "total_price": money(bid.total_price), "classification_reason": bid.classification_reason,
        "classified_by": bid.classified_by.email if bid.classified_by_id else None,
        "classified_at": moment(bid.classified_at), "allowed_transitions": allowed_actions(bid),
        "requests": [request_data(r, bid_status=bid.status) for r in requests],
    }


class RegularisationResultSerializer(serializers.Serializer):
    bids = BidEvaluationSerializer(many=True)


class PanelSeatSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The evaluator's user id.")
    email = serializers.EmailField()
    declared_at = Moment(allow_null=True)
    submitted_at = Moment(allow_null=True)


class PanelSerializer(serializers.Serializer):
    evaluators = PanelSeatSerializer(many=True)


def panel_data(members) -> dict:
    return {"evaluators": [{"id": str(m.evaluator_id), "email": m.evaluator.email,
                            "declared_at": moment(m.declared_at), "submitted_at": moment(m.submitted_at)}
                           for m in members if m.removed_at is None]}


class ImpartialityResultSerializer(serializers.Serializer):
    evaluator = serializers.UUIDField()
    email = serializers.EmailField()
    no_conflict = serializers.BooleanField()
    statement = serializers.CharField()
    declared_at = Moment()
    on_panel = serializers.BooleanField()


def impartiality_data(member) -> dict:
    return {"evaluator": str(member.evaluator_id), "email": member.evaluator.email,
            "no_conflict": bool(member.no_conflict), "statement": member.statement,
            "declared_at": moment(member.declared_at), "on_panel": member.removed_at is None}


class ScoreSerializer(serializers.Serializer):
    bid = serializers.UUIDField()
    company = serializers.CharField()
    criterion = serializers.CharField()
    evaluator = serializers.UUIDField()
    email = serializers.EmailField()
    score = serializers.FloatField()
    comment = serializers.CharField()
    updated_at = Moment()


def score_data(score) -> dict:
    return {"bid": str(score.bid_id), "company": score.bid.company.name, "criterion": score.criterion.code,
            "evaluator": str(score.evaluator_id), "email": score.evaluator.email, "score": number(score.score),
            "comment": score.comment, "updated_at": moment(score.updated_at)}


class SheetSerializer(serializers.Serializer):
    evaluator = serializers.UUIDField()
    email = serializers.EmailField()
    declared_at = Moment(allow_null=True)
    submitted_at = Moment(allow_null=True)
    sheet_sha256 = serializers.CharField()


def sheet_data(member) -> dict:
    return {"evaluator": str(member.evaluator_id), "email": member.evaluator.email,
            "declared_at": moment(member.declared_at), "submitted_at": moment(member.submitted_at),
            "sheet_sha256": member.sheet_sha256}


class ConsensusSerializer(serializers.Serializer):
    bid = serializers.UUIDField()
    criterion = serializers.CharField()
    score = serializers.FloatField()
    rationale = serializers.CharField()
    recorded_by = serializers.EmailField(allow_null=True, required=False)
    recorded_at = Moment(required=False)


def consensus_data(row) -> dict:
    return {"bid": str(row.bid_id), "criterion": row.criterion.code, "score": number(row.score),
            "rationale": row.rationale, "recorded_at": moment(row.recorded_at)}


class SpreadSerializer(serializers.Serializer):
    bid = serializers.UUIDField()
    criterion = serializers.CharField()
    scores = serializers.ListField(child=serializers.FloatField())
    min = serializers.FloatField()
    max = serializers.FloatField()
    flagged = serializers.BooleanField(help_text="The spread is above 3 points.")


class ScoresSerializer(serializers.Serializer):
    panel = SheetSerializer(many=True)
    scores = ScoreSerializer(many=True)
    consensus = ConsensusSerializer(many=True)
    spread = SpreadSerializer(many=True)


class AnomalyLineSerializer(serializers.Serializer):
    ref = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    median = serializers.FloatField(allow_null=True)
    gap = serializers.FloatField(allow_null=True, help_text="(unit price − median) / median, as a fraction.")


class AnomalyBidSerializer(serializers.Serializer):
    bid = serializers.UUIDField()
    company = serializers.CharField()
    status = serializers.ChoiceField(choices=BidStatus.choices)
    total_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    gap_to_mean = serializers.FloatField(allow_null=True)
    gap_to_estimate = serializers.FloatField(allow_null=True)
    suspected = serializers.BooleanField()
    lines = AnomalyLineSerializer(many=True)


class AnomaliesSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=AbnormallyLowMethod.choices)
    threshold = serializers.FloatField(allow_null=True)
    bids = AnomalyBidSerializer(many=True)


class RankingRowSerializer(serializers.Serializer):
    bid = serializers.UUIDField()
    company = serializers.CharField()
    total_price = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    price_score = serializers.FloatField(allow_null=True)
    scores = serializers.DictField(child=serializers.FloatField(allow_null=True))
    contributions = serializers.DictField(child=serializers.FloatField(allow_null=True))
    total = serializers.FloatField(allow_null=True, help_text="Σ weight × score / 10 (0–100).")
    rank = serializers.IntegerField(allow_null=True)
    decided_by = serializers.CharField(allow_null=True, help_text="The tie-break rule that decided this place.")
    tied_with = serializers.ListField(child=serializers.UUIDField())
    abnormally_low_suspected = serializers.BooleanField()
    status = serializers.ChoiceField(choices=BidStatus.choices)
    complete = serializers.BooleanField(help_text="Every criterion has its (consensus) score.")
    price_method = serializers.ChoiceField(choices=PriceMethod.choices)
    frozen = serializers.BooleanField()


def ranking_data(result: dict) -> list[dict]:
    return [{**row, "total_price": money(row["total_price"]), "price_score": number(row["price_score"]),
             "scores": {code: number(v) for code, v in row["scores"].items()},
             "contributions": {code: number(v) for code, v in row.get("contributions", {}).items()},
             "total": number(row["total"]), "price_method": result["price_method"], "frozen": result["frozen"]}
            for row in result["rows"]]


def document_url(document) -> str:
    return reverse("api:bid-request-document-download", args=[document.id])
