"""Checks on an uploaded evidence file: its real type from its bytes (never its name), size, fingerprint."""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass

from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

ACCEPTED = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
# The extensions a file of each type may keep.
EXTENSIONS = {"application/pdf": {".pdf"}, "image/jpeg": {".jpg", ".jpeg"}, "image/png": {".png"}}


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    size: int
    sha256: str


def sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def _image_is_sound(data: bytes) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
        return True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return _("%(size)s Mo") % {"size": f"{size / (1024 * 1024):.0f}"}
    return _("%(size)s ko") % {"size": f"{size / 1024:.0f}"}


def check_upload(uploaded_file, *, max_bytes: int) -> CheckedFile:
    """Raise ValueError with a message for the person uploading; return what to record otherwise."""
    if uploaded_file is None:
        raise ValueError(_("Choisissez un fichier à déposer."))
    size = uploaded_file.size
    if size == 0:
        raise ValueError(_("Le fichier est vide."))
    if size > max_bytes:
        raise ValueError(
            _("Le fichier pèse %(size)s : la taille maximale est de %(max)s.")
            % {"size": human_size(size), "max": human_size(max_bytes)}
        )
    uploaded_file.seek(0)
    head = uploaded_file.read(16)
    content_type = sniff(head)
    if content_type is None:
        raise ValueError(_("Seuls les fichiers PDF, JPEG et PNG sont acceptés (le contenu du fichier ne correspond "
                           "à aucun de ces formats)."))
    digest = hashlib.sha256()
    uploaded_file.seek(0)
    for chunk in uploaded_file.chunks():
        digest.update(chunk)
    if content_type != "application/pdf":
        uploaded_file.seek(0)
        if not _image_is_sound(uploaded_file.read()):
            raise ValueError(_("L'image est illisible ou endommagée."))
    else:
        uploaded_file.seek(max(0, size - 2048))
        if b"%%EOF" not in uploaded_file.read():
            raise ValueError(_("Le PDF est incomplet ou endommagé (fin de fichier introuvable)."))
    uploaded_file.seek(0)
    return CheckedFile(filename=safe_filename(uploaded_file.name, content_type), content_type=content_type, size=size,
                       sha256=digest.hexdigest())


def safe_filename(name: str | None, content_type: str) -> str:
    """The name a file is kept and served under: the uploaded name, cleaned, with the extension of the type read
    from its bytes (``poly.html`` holding a PDF is kept as ``poly.pdf``, ``x.svg`` holding a PNG as ``x.png``): a
    downloaded copy never opens as a page or a program."""
    stem, ext = os.path.splitext(os.path.basename((name or "").replace("\\", "/")) or "document")
    if ext.lower() not in EXTENSIONS[content_type]:
        ext = ACCEPTED[content_type]
    return (get_valid_filename(stem) or "document")[:200] + ext.lower()

