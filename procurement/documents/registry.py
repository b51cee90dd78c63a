"""The kinds of generated documents and how each is built.

An app registers a kind once, at start-up (its ``AppConfig.ready``)::

    register("receipt", builder=build_receipt, template="documents/receipt.html",
             sealer=ReceiptSealer())

- ``builder(document) -> dict``: the document's structured data, JSON-serialisable (strings, numbers, lists,
  dicts). It is rendered by the template and embedded in the PDF as ``data.json``. It runs in the worker,
  from the ids in ``document.object_id`` / ``document.params``.
- ``template``: a template extending ``documents/base.html``; it gets ``data`` and ``document``.
- ``sealer`` (optional): an object with ``seal(document, raw, *, part) -> bytes`` and
  ``unseal(document, blob, *, part) -> bytes``, for documents that must not be stored in the clear (a receipt
  names the documents of a bid that is still sealed). The stored file and the ``data`` column are then
  encrypted by it.
- ``delivery`` (optional): ``delivery(document) -> Delivery | None`` for documents addressed to someone; once
  the PDF is ready it is mailed to ``Delivery.to`` (attached, or linked when too large for a mail), with
  ``about`` in the subject and ``url`` where it can be downloaded again.
- ``signatures`` (optional): ``signatures(document, data) -> list[Signature]`` for a document that carries
  more than the platform's one seal (a contract: the holder's acceptance, then the buyer's signature). Each
  is applied in turn as an incremental update, its widget over the template's block of id ``anchor``;
  an empty list, or no callable, means the one seal over ``signature-space``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from procurement.models import DocumentKind


class Sealer(Protocol):
    """``part`` is "file" (the PDF bytes) or "data" (the JSON of the data column)."""

    def seal(self, document, raw: bytes, *, part: str) -> bytes: ...

    def unseal(self, document, blob: bytes, *, part: str) -> bytes: ...


@dataclass(frozen=True)
class Delivery:
    to: list[str]
    about: str
    url: str


@dataclass(frozen=True)
class Signature:
    """One PAdES signature by the platform's seal: its field, the block it lies over, who it signs for."""

    field: str
    anchor: str
    reason: str
    contact: str = ""


@dataclass(frozen=True)
class Kind:
    name: str
    builder: Callable[[object], dict]
    template: str
    sealer: Sealer | None = None
    delivery: Callable[[object], Delivery | None] | None = None
    signatures: Callable[[object, dict], list[Signature]] | None = None


_KINDS: dict[str, Kind] = {}


class UnknownKind(LookupError):
    pass


def register(kind: str, *, builder: Callable[[object], dict], template: str, sealer: Sealer | None = None,
             delivery: Callable[[object], Delivery | None] | None = None,
             signatures: Callable[[object, dict], list[Signature]] | None = None) -> Kind:
    if kind not in DocumentKind.values:
        raise ValueError(f"Unknown document kind {kind!r}; add it to procurement.models.DocumentKind first.")
    entry = Kind(name=kind, builder=builder, template=template, sealer=sealer, delivery=delivery,
                 signatures=signatures)
    _KINDS[kind] = entry
    return entry


def get(kind: str) -> Kind:
    try:
        return _KINDS[kind]
    except KeyError:
        raise UnknownKind(f"No builder registered for the document kind {kind!r}.") from None


def registered() -> list[str]:
    return sorted(_KINDS)
