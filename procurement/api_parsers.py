"""The API's body parsers: DRF's, with bounds. The size is checked before parsing, the nesting depth and the
characters right after, so that a hostile body is a 400 (or 413) naming the field, never a server error.

Kept apart from ``api_support``: DRF reads DEFAULT_PARSER_CLASSES while ``rest_framework.views`` loads."""

from __future__ import annotations

import json

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, parsers

from .errors import DomainError, ValidationFailed

# Deepest nesting of objects and arrays a body may have (the deepest real body, a tender, has 3 levels).
MAX_JSON_DEPTH = 32


class BodyTooLarge(DomainError):
    status = 413
    title = gettext_lazy("Requête trop volumineuse")


def body_too_large() -> BodyTooLarge:
    return BodyTooLarge(_("Le corps de la requête dépasse %(size)s octets.")
                        % {"size": settings.DATA_UPLOAD_MAX_MEMORY_SIZE})


def _path(parent: str, key) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]" if parent else f"[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def check_values(data, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse what no field may hold, wherever it is: a NUL character (no database text column accepts it)
    and nesting deeper than ``max_depth``. Iterative, so that no body can exhaust the stack."""
    errors: dict[str, list[str]] = {}
    stack = [("", data, 0)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= max_depth:
                errors.setdefault(path or "non_field_errors", []).append(
                    _("Imbrication trop profonde (%(max)s niveaux au plus).") % {"max": max_depth})
                continue
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and "\x00" in key:
                    errors.setdefault(path or "non_field_errors", []).append(
                        _("Nom de champ invalide : caractère nul."))
                    continue
                stack.append((_path(path, key), item, depth + 1))
        elif isinstance(value, str) and "\x00" in value:
            errors.setdefault(path or "non_field_errors", []).append(
                _("Caractère nul (\\0) interdit dans un texte."))
    if errors:
        raise ValidationFailed(errors)


def _read_body(stream) -> bytes:
    """The raw body, at most DATA_UPLOAD_MAX_MEMORY_SIZE bytes: anything longer is refused before parsing."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    data = stream.read(limit + 1) if limit is not None else stream.read()
    if limit is not None and len(data) > limit:
        raise body_too_large()
    return data


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser with bounds: the size is checked before parsing, the depth and the characters right
    after, so that a hostile body is a 400 (or 413) naming the field instead of a server error."""

    def parse(self, stream, media_type=None, parser_context=None):
        if stream is None:
            return {}
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = _read_body(stream)
        try:
            data = json.loads(raw.decode(encoding), parse_constant=_no_constant)
        except RecursionError:
            raise ValidationFailed({"non_field_errors": [
                _("Imbrication trop profonde (%(max)s niveaux au plus).") % {"max": MAX_JSON_DEPTH}]})
        except ValueError as exc:  # malformed JSON, bad encoding, a number of thousands of digits
            raise exceptions.ParseError(_("JSON invalide : %(error)s") % {"error": exc})
        check_values(data)
        return data


def _no_constant(name):
    raise ValueError(_("%(name)s n'est pas un nombre JSON.") % {"name": name})


def _check_form(result):
    data = result.data if isinstance(result, parsers.DataAndFiles) else result
    check_values({key: values[0] if len(values) == 1 else values for key, values in data.lists()})
    return result


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _check_form(super().parse(stream, media_type, parser_context))


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        return _check_form(super().parse(stream, media_type, parser_context))
