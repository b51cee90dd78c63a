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

``record()`` must run inside the transaction that makes the change, so the change and its record
commit or roll back together. Appends are serialised (a PostgreSQL advisory lock held until commit;
SQLite transactions already take the write lock at BEGIN) so that the chain order is the commit order.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from .models import AuditEntry

GENESIS = "0" * 64
_ADVISORY_LOCK_KEY = 0x5AD_A0D17

REDACTED = "redacted"

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


def record(*, obj=None, object_type: str, object_id=None, action: str, actor=None, from_state: str = "",
           to_state: str = "", reason: str = "", details: dict | None = None) -> AuditEntry:
    """Append one entry. ``details`` must be JSON values (str, numbers, bools, lists, dicts) and never hold
    sealed content."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must run inside the transaction that changes the state")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])
    last = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first()
    actor = actor if getattr(actor, "is_authenticated", False) else None
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
        details=_json_round_trip(details or {}),
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
