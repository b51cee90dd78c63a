"""The append-only, hash-chained record of every legally significant event.

Transitions (through ``procurement.workflow.apply_transition``) and the events that change no state but
matter as much: documents uploaded or deleted, company details edited, members invited and joining,
staff roles granted and revoked, each category of an application admitted or rejected, questions
answered. Each entry says who (``actor``), when (``at``), what (``object_type``/``object_id``,
``action``, ``details``) and why (``reason``).

Nothing sealed ever enters the chain (R2132-9): a bid's prices, notes, document names and contents stay
in ``tenders.sealing``'s envelopes; a bid document is recorded by its kind, size and fingerprint only.

Each entry stores the SHA-256 of its own content plus the previous entry's hash, so editing or deleting
any record breaks the chain from that point: ``verify()`` finds the first broken entry.

A reason the platform writes itself (a deadline passed, a contract created…) is a ``message()``: its French
text is what ``reason`` keeps, and its message id and parameters go to ``details["reason_message"]`` so that
``reason_text()`` shows it in the reader's language. A reason a person typed is a plain string, shown as typed.

``record()`` must run inside the transaction that makes the change, so the change and its record
commit or roll back together. Appends are serialised (a PostgreSQL advisory lock held until commit;
SQLite transactions already take the write lock at BEGIN) so that the chain order is the commit order.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import formats, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext

from .models import AuditEntry

GENESIS = "0" * 64
_ADVISORY_LOCK_KEY = 0x5AD_A0D17

REDACTED = "redacted"
REASON_MESSAGE = "reason_message"

log = logging.getLogger(__name__)

# What an entry may be about: the API's ``object_type`` filter accepts exactly these.
OBJECT_TYPES = ("dps", "application", "admission", "renewal", "tender", "bid", "contract", "company", "user")


def _digest(entry: AuditEntry) -> str:
    payload = json.dumps(
        [
            entry.at.isoformat(),
            str(entry.actor_id or ""),
            entry.actor_label,
            entry.object_type,
            entry.object_id,
            entry.action,
            entry.from_state,
            entry.to_state,
            entry.reason,
            entry.prev_hash,
            # Appended only when present, so that entries written before ``details`` existed keep their hash.
            *([entry.details] if entry.details else []),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


# --- generated reasons, shown in the reader's language ------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """A reason written by the platform: a French message id (marked with ``gettext_noop``) and its
    parameters, already encoded as JSON (see ``message()``)."""

    text: str
    params: dict = dataclass_field(default_factory=dict)

    def as_json(self) -> dict:
        return {"text": self.text, "params": self.params}


def message(text: str, **params) -> Message:
    """``message(gettext_noop("Reçue le %(at)s."), at=moment)``. A parameter may be text (kept as it is: a
    company name, a reason typed by someone), a number, a ``Decimal`` (an amount or a score), a date or a
    moment (each shown in the reader's format), or a lazy translation (a state or kind label, translated)."""
    return Message(text, {name: _encode(value) for name, value in params.items()})


def _encode(value):
    if isinstance(value, Promise):
        with translation.override(settings.LANGUAGE_CODE):
            return {"translate": str(value)}
    if isinstance(value, dt.datetime):
        return {"moment": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"number": str(value)}
    if value is None or isinstance(value, (str, int, float)):
        return value
    return str(value)


def _decode(value):
    if not isinstance(value, dict):
        return value
    if "translate" in value:
        return gettext(value["translate"])
    if "moment" in value:
        return formats.date_format(timezone.localtime(dt.datetime.fromisoformat(value["moment"])), "DATETIME_FORMAT")
    if "date" in value:
        return formats.date_format(dt.date.fromisoformat(value["date"]), "SHORT_DATE_FORMAT")
    if "number" in value:
        return formats.number_format(Decimal(value["number"]), use_l10n=True, force_grouping=True)
    return str(value)


def _render(parts: list) -> str:
    return " ".join(gettext(part["text"]) % {k: _decode(v) for k, v in part.get("params", {}).items()}
                    for part in parts)


def _reason_parts(reason) -> list[Message] | None:
    if isinstance(reason, Message):
        return [reason]
    if isinstance(reason, (list, tuple)) and reason and all(isinstance(r, Message) for r in reason):
        return list(reason)
    return None


def reason_text(entry: AuditEntry) -> str:
    """The entry's reason in the active language when the platform wrote it, as typed otherwise."""
    parts = (entry.details or {}).get(REASON_MESSAGE)
    if not parts:
        return entry.reason
    try:
        return _render(parts)
    except (KeyError, TypeError, ValueError, AttributeError):  # a malformed record: its stored text still reads
        log.warning("Audit entry %s: reason message not rendered", entry.id)
        return entry.reason


def record(*, obj=None, object_type: str, object_id=None, action: str, actor=None, from_state: str = "",
           to_state: str = "", reason: str | Message | list[Message] = "", details: dict | None = None) -> AuditEntry:
    """Append one entry. ``details`` must be JSON values (str, numbers, bools, lists, dicts) and never hold
    sealed content. ``reason`` is typed text, or one or several ``message()`` written by the platform."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction that changes the state")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
    last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    actor = actor if getattr(actor, "is_authenticated", False) else None
    details = dict(details or {})
    parts = _reason_parts(reason)
    if parts:
        details[REASON_MESSAGE] = [part.as_json() for part in parts]
        with translation.override(settings.LANGUAGE_CODE):
            reason = _render(details[REASON_MESSAGE])  # the record itself says it in French
    entry = AuditEntry(
        at=timezone.now(),  # when the entry is written: the chain's own time, not the business clock
        actor=actor,
        actor_label=(actor.email if actor else "système"),
        object_type=object_type,
        object_id=str(object_id if object_id is not None else obj.pk),
        action=action,
        from_state=from_state or "",
        to_state=to_state or "",
        reason=reason or "",
        details=_json_round_trip(details),
        prev_hash=last or GENESIS,
    )
    entry.hash = _digest(entry)
    entry.save()
    return entry


def _json_round_trip(details: dict) -> dict:
    # The hash is computed on what the database will give back: JSON types only, no tuples nor dates.
    return json.loads(json.dumps(details, ensure_ascii=False, default=str))


def changes(before: dict, after: dict, *, redacted=()) -> dict:
    """``{field: [old, new]}`` for each field whose value differs; a field in ``redacted`` (figures that the
    chain, kept forever and shown to every staff member, need not repeat) is recorded as ``"redacted"``:
    that it changed, not from what to what."""
    out = {}
    for field in sorted(set(before) | set(after)):
        old, new = before.get(field), after.get(field)
        if old != new:
            out[field] = REDACTED if field in redacted else [old, new]
    return out


@dataclass
class ChainReport:
    valid: bool
    entries: int
    first_broken: int | None = None
    head: str = GENESIS
    anchor_found: bool | None = None


def verify(*, anchor: str | None = None, batch_size: int = 5000) -> ChainReport:
    """Walk the whole chain in id order; report the first entry whose hash or link is wrong.

    A chain checks itself, except at its end: entries deleted from the tail leave a shorter, valid chain.
    ``head`` (the last hash) is therefore worth copying outside the database from time to time; passing
    such a copy back as ``anchor`` checks that the entry it names is still in the chain.
    """
    prev = GENESIS
    count = 0
    anchor_found = False
    with transaction.atomic():
        for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=batch_size):
            count += 1
            if entry.prev_hash != prev or _digest(entry) != entry.hash:
                return ChainReport(valid=False, entries=AuditEntry.objects.count(), first_broken=entry.id,
                                   head=prev, anchor_found=anchor_found if anchor else None)
            anchor_found = anchor_found or entry.hash == anchor
            prev = entry.hash
    if anchor:
        return ChainReport(valid=anchor_found, entries=count, head=prev, anchor_found=anchor_found)
    return ChainReport(valid=True, entries=count, head=prev)


def history(object_type: str, object_id) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type=object_type, object_id=str(object_id))
        .select_related("actor")
        .order_by("id")
    )
