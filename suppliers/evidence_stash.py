"""An uploaded evidence file kept aside while its depositor confirms (a document already expired): the person
confirms without choosing the file again.

The file waits in the evidence storage under ``evidence/pending/<company>/`` with an unguessable name; the page
carries a signed token naming it, bound to the company and the person, valid ``MAX_AGE`` seconds. Confirmed,
the service stores it as any upload (checked again) and the stash is removed. One left unconfirmed is removed
when its company next puts a file aside, once ``MAX_AGE`` has passed.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.core import signing
from django.core.files.base import ContentFile

from procurement import clock

from .models import EvidenceDocument

SALT = "suppliers.evidence-stash"
MAX_AGE = 60 * 60  # seconds


def _storage():
    return EvidenceDocument._meta.get_field("file").storage


def _folder(company) -> str:
    return f"evidence/pending/{company.pk}/"


def put(*, company, user, uploaded_file) -> str:
    """Keep ``uploaded_file`` aside for ``user`` of ``company``; the token to give back to ``take``."""
    _discard_stale(company)
    uploaded_file.seek(0)
    name = _storage().save(f"{_folder(company)}{uuid.uuid4().hex}", uploaded_file)
    return signing.dumps(
        {"c": str(company.pk), "u": str(user.pk), "n": name, "f": uploaded_file.name}, salt=SALT
    )


def _read(token: str, *, company, user) -> dict | None:
    try:
        data = signing.loads(token or "", salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:  # tampered, or older than MAX_AGE (SignatureExpired)
        return None
    if (
        not isinstance(data, dict)
        or data.get("c") != str(company.pk)
        or data.get("u") != str(user.pk)
        or not str(data.get("n", "")).startswith(_folder(company))
    ):
        return None
    return data


def filename(token: str, *, company, user) -> str | None:
    """The original name of the file a token names (None: no such file for this person)."""
    data = _read(token, company=company, user=user)
    return data["f"] if data else None


def take(token: str, *, company, user) -> ContentFile | None:
    """The file a token names, under its original name; None when the token is not this person's, has
    expired, or its file is gone."""
    data = _read(token, company=company, user=user)
    if data is None or not _storage().exists(data["n"]):
        return None
    with _storage().open(data["n"], "rb") as stored:
        return ContentFile(stored.read(), name=data["f"])


def discard(token: str, *, company, user) -> None:
    data = _read(token, company=company, user=user)
    if data is not None:
        _storage().delete(data["n"])


def _discard_stale(company) -> None:
    storage, folder = _storage(), _folder(company)
    try:
        _dirs, files = storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return
    limit = clock.now() - dt.timedelta(seconds=MAX_AGE)
    for name in files:
        try:
            if storage.get_modified_time(folder + name) < limit:
                storage.delete(folder + name)
        except (FileNotFoundError, NotImplementedError):
            continue
