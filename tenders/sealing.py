"""Sealed bids: envelope encryption of everything a bidder deposits (R2132-9).

Each tender has its own random 256-bit data key. It is stored only wrapped (AES-256-GCM) by a master key
that comes from the environment (``SEALING_MASTER_KEYS``) and never from the database, so a copy of the
database or of the storage bucket reveals no price and no document. Every ciphertext is bound to what it
belongs to (associated data: the tender, the bid, the document), so a sealed blob cannot be moved onto
another bid.

Layout of a sealed value: version byte, master key id (8 bytes, wrapped keys only), 12-byte nonce,
ciphertext with its 16-byte tag.

This module seals and unseals; *who* may read is decided by ``tenders.selectors`` (the bidder's own
company, or anybody allowed once the opening has been recorded).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

VERSION = b"\x01"
NONCE_BYTES = 12


class SealingError(Exception):
    """A sealed value cannot be read: wrong or missing master key, or tampered data."""


@lru_cache(maxsize=8)
def _master_keys(raw: tuple[str, ...]) -> dict[bytes, bytes]:
    keys = {}
    for item in raw:
        key = base64.b64decode(item)
        keys[hashlib.sha256(key).digest()[:8]] = key
    return keys


def _current_master() -> tuple[bytes, bytes]:
    raw = tuple(settings.SEALING_MASTER_KEYS)
    key = base64.b64decode(raw[0])
    return hashlib.sha256(key).digest()[:8], key


def new_wrapped_key(*, tender_id) -> bytes:
    """A fresh data key for a tender, wrapped by the current master key."""
    key_id, master = _current_master()
    nonce = os.urandom(NONCE_BYTES)
    wrapped = AESGCM(master).encrypt(nonce, AESGCM.generate_key(bit_length=256), _aad("tender-key", tender_id))
    return VERSION + key_id + nonce + wrapped


def _data_key(tender) -> bytes:
    blob = bytes(tender.wrapped_key)
    if not blob or blob[:1] != VERSION:
        raise SealingError("The tender has no sealing key.")
    key_id, nonce, wrapped = blob[1:9], blob[9:9 + NONCE_BYTES], blob[9 + NONCE_BYTES:]
    master = _master_keys(tuple(settings.SEALING_MASTER_KEYS)).get(key_id)
    if master is None:
        raise SealingError("The master key that sealed this tender is not configured (SEALING_MASTER_KEYS).")
    try:
        return AESGCM(master).decrypt(nonce, wrapped, _aad("tender-key", tender.id))
    except InvalidTag:
        raise SealingError("The tender's sealing key does not match its master key.") from None


def _aad(*parts) -> bytes:
    return ":".join(str(p) for p in parts).encode()


def seal(tender, data: bytes, *, purpose: str, object_id) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + nonce + AESGCM(_data_key(tender)).encrypt(nonce, data, _aad(purpose, tender.id, object_id))


def unseal(tender, blob, *, purpose: str, object_id) -> bytes:
    blob = bytes(blob)
    if blob[:1] != VERSION:
        raise SealingError("Unknown sealed format.")
    nonce, ciphertext = blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:]
    try:
        return AESGCM(_data_key(tender)).decrypt(nonce, ciphertext, _aad(purpose, tender.id, object_id))
    except InvalidTag:
        raise SealingError("The sealed data was altered or belongs to another object.") from None


def seal_json(tender, value, *, purpose: str, object_id) -> bytes:
    return seal(tender, json.dumps(value, sort_keys=True, separators=(",", ":")).encode(), purpose=purpose,
                object_id=object_id)


def unseal_json(tender, blob, *, purpose: str, object_id):
    return json.loads(unseal(tender, blob, purpose=purpose, object_id=object_id))
