"""What every API endpoint shares: pagination, the problem+json error format, the schema's error responses,
and the parsing of a request's body and query parameters (the body parsers themselves are in
``procurement.api_parsers``, which DRF's settings load before this module can be)."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.db.backends.base.operations import BaseDatabaseOperations
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler

from . import listcache
from .api_parsers import body_too_large
from .errors import Conflict, DomainError, InvalidTransition, ValidationFailed
from .serializers import ProblemSerializer


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        """``page_size`` absent or empty: the default; above the maximum: the maximum; anything but a whole
        number of at least 1 (``0``, ``-5``, ``null``) is a 400 on ``page_size``, never silently replaced."""
        raw = request.query_params.get(self.page_size_query_param, "").strip()
        if not raw:
            return self.page_size
        try:
            size = int(raw)
            if size < 1:
                raise ValueError
        except ValueError:
            raise ValidationFailed({self.page_size_query_param: [
                _("Nombre entier entre 1 et %(max)s attendu.") % {"max": self.max_page_size}]})
        return min(size, self.max_page_size)


# --- the schema: errors every endpoint may answer, the id in the path -----------------------------------

_ERROR_TEXT = {
    400: "Données invalides (détail par champ dans `errors`).",
    401: "Authentification requise.",
    403: "Action non autorisée pour cet utilisateur.",
    404: "Objet introuvable (ou invisible pour cet utilisateur).",
    409: "État incompatible (`state`, `allowed_transitions`) ou conflit.",
    413: "Corps de requête trop volumineux.",
    429: "Trop de tentatives : réessayer après `Retry-After` secondes.",
}


def responses(ok: dict, *codes: int) -> dict:
    """An ``extend_schema`` responses mapping: the success response(s) plus problem+json errors."""
    out = dict(ok)
    for code in codes:
        out[code] = OpenApiResponse(ProblemSerializer, description=_ERROR_TEXT[code])
    return out


PROBLEM_JSON = "application/problem+json"
_UNSAFE = {"post", "put", "patch", "delete"}


def problem_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: every error response is ``application/problem+json`` with the
    Problem shape, and every operation documents the errors any request may get: 400 (a malformed parameter
    or body), 401 (a wrong or expired token, even where no login is needed), 403, 404 (an object unknown or
    invisible to the caller), 409 on the operations that change something (a wrong state), 413 on those
    that take a body (over the size limit)."""
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            answers = operation.setdefault("responses", {})
            for code, answer in answers.items():
                if int(code) >= 400:
                    answer["content"] = {PROBLEM_JSON: problem}
            codes = [400, 401, 403, 404] + ([409] if method in _UNSAFE else []) + \
                ([413] if "requestBody" in operation else [])
            for code in codes:
                answers.setdefault(str(code), {"description": _ERROR_TEXT[code], "content": {PROBLEM_JSON: problem}})
            operation["responses"] = dict(sorted(answers.items()))
    return result


# The types an uploaded file can have: every upload is sniffed as one of them (suppliers.evidence_files).
UPLOADED_FILE_TYPES = ("application/pdf", "image/jpeg", "image/png")


def uploaded_file_download(description: str) -> dict:
    """The 200 responses of a download of an uploaded file: served with its own type, one of those above."""
    return {(200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=description)
            for media_type in UPLOADED_FILE_TYPES}


ID_PARAM = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Identifiant (UUID).")


# --- the request: its body and its query parameters --------------------------------------------------------


def column_range(model, field_name: str) -> tuple[int, int]:
    """The values an integer column holds on every supported database (SQLite stores more than PostgreSQL
    accepts: an input field is bounded to the narrower range)."""
    field = model._meta.get_field(field_name)
    return BaseDatabaseOperations.integer_field_ranges[field.get_internal_type()]


def validated(serializer_class, request, *, partial: bool = False, **kwargs):
    """Check the shape of the request body; a malformed body is a 400 with ``errors`` per field."""
    serializer = serializer_class(data=request.data, partial=partial, context={"request": request}, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer


def referenced(lookup, field: str, message: str):
    """An object named in the request body: unknown (or invisible) is a 400 on that field."""
    try:
        return lookup()
    except Http404:
        raise ValidationFailed({field: [message]})


def query_flag(request, name: str) -> bool:
    return request.query_params.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def state_or_none(params, choices, name: str = "status") -> str | None:
    """A state filter (``status`` unless named otherwise) must name a known state: a typo is a 400, not an
    empty list."""
    value = params.get(name)
    if not value:
        return None
    if value not in choices.values:
        raise ValidationFailed({name: [_("État inconnu : %(value)s. États possibles : %(states)s.")
                                       % {"value": value, "states": ", ".join(choices.values)}]})
    return value


def uuid_or_none(params, name):
    """An identifier in the query string: absent is None, malformed is a 400 on that parameter."""
    value = params.get(name)
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed({name: [_("Identifiant invalide.")]})


# --- problem+json ----------------------------------------------------------------------------------------

# Titles of the errors whose DRF message is a template with a placeholder.
_TEMPLATED_TITLES = {
    405: gettext_lazy("Méthode non autorisée"),
    406: gettext_lazy("Format de réponse non disponible"),
    415: gettext_lazy("Type de contenu non pris en charge"),
    429: gettext_lazy("Trop de requêtes"),
}


def problem(status_code: int, title: str, detail: str = "", **extra) -> Response:
    body = {"type": "about:blank", "title": str(title), "status": status_code, "detail": str(detail), **extra}
    return Response(body, status=status_code, content_type="application/problem+json")


def _flatten(data) -> dict[str, list[str]]:
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if isinstance(value, dict):
                for sub, msgs in _flatten(value).items():
                    out[f"{key}.{sub}"] = msgs
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for index, item in enumerate(value):
                    for sub, msgs in _flatten(item).items():
                        out[f"{key}[{index}].{sub}"] = msgs
            else:
                out[key] = [str(v) for v in (value if isinstance(value, list) else [value])]
        return out
    return {"non_field_errors": [str(v) for v in (data if isinstance(data, list) else [data])]}


def problem_exception_handler(exc, context):
    if isinstance(exc, ValidationFailed):
        return problem(exc.status, exc.title, exc.detail, errors=exc.errors)
    if isinstance(exc, InvalidTransition | Conflict):
        extra = {}
        if getattr(exc, "state", None) is not None:
            extra = {"state": exc.state, "allowed_transitions": exc.allowed_transitions}
        return problem(exc.status, exc.title, exc.detail, **extra)
    if isinstance(exc, DomainError):
        response = problem(exc.status, exc.title, exc.detail)
        if getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(response.data)
        return problem(status.HTTP_400_BAD_REQUEST, _("Données invalides"),
                       " ".join(m for msgs in errors.values() for m in msgs), errors=errors)
    detail = response.data.get("detail", "") if isinstance(response.data, dict) else str(response.data)
    title = str(getattr(exc, "default_detail", "") or _("Erreur"))
    if "{" in title:  # a message template ("Méthode « {method} » non autorisée."): the detail fills it in
        title = str(_TEMPLATED_TITLES.get(response.status_code) or _("Erreur"))
    # Every 400 carries ``errors`` (the contract's shape for a refused request): a body that cannot be read
    # (malformed JSON, a wrong media type's content) is one error on the request as a whole.
    extra = {"errors": {"non_field_errors": [str(detail)]}} if response.status_code == 400 else {}
    result = problem(response.status_code, title, str(detail), **extra)
    for header in ("WWW-Authenticate", "Retry-After"):
        if header in response:
            result[header] = response[header]
    return result


# --- Django's own error views: under /api/ they answer problem+json too ----------------------------------


def _api_problem(request, status_code: int, title: str, detail: str, **extra):
    body = {"type": "about:blank", "title": str(title), "status": status_code, "detail": str(detail), **extra}
    return JsonResponse(body, status=status_code, content_type="application/problem+json",
                        json_dumps_params={"ensure_ascii": False})


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception=None):
    """handler400: under /api/, a request Django refuses before any view (a body or a form over the size
    limit, too many fields, a forged host) answers problem+json too."""
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            error = body_too_large()
            return _api_problem(request, error.status, error.title, error.detail)
        detail = _("La requête ne peut pas être traitée.")
        return _api_problem(request, 400, _("Requête invalide"), detail, errors={"non_field_errors": [str(detail)]})
    return defaults.bad_request(request, exception)


def nul_in_query(request) -> dict[str, list[str]]:
    """The query parameters holding a NUL character (no database text column accepts one)."""
    return {name: [_("Caractère nul (\\0) interdit dans un paramètre.")]
            for name, values in request.GET.lists() if "\x00" in name or any("\x00" in v for v in values)}


def reject_nul_in_query(get_response):
    """Middleware: a NUL character in a query parameter is a 400 naming the parameter (problem+json under
    /api/, the error page elsewhere), before any view hands it to the database."""

    def middleware(request):
        errors = nul_in_query(request)
        if errors:
            if _is_api(request):
                return _api_problem(request, 400, _("Données invalides"), " ".join(m for v in errors.values()
                                                                                      for m in v), errors=errors)
            return defaults.bad_request(request, None)
        return get_response(request)

    return middleware


def page_not_found(request, exception=None):
    """handler404: an unknown path under /api/ (no such endpoint) is a problem+json 404."""
    if _is_api(request):
        return _api_problem(request, 404, _("Introuvable"), _("Aucune ressource à cette adresse."))
    return defaults.page_not_found(request, exception)


def server_error(request):
    """handler500: an unexpected error under /api/ still answers problem+json (the traceback goes to the log)."""
    if _is_api(request):
        return _api_problem(request, 500, _("Erreur interne"),
                            _("Une erreur inattendue s'est produite ; elle a été enregistrée."))
    return defaults.server_error(request)


# --- cached lists ------------------------------------------------------------------------------------------


class CachedListMixin:
    """A ``ListAPIView`` whose JSON answer is kept in the cache for the caller, page and query string, and
    carries an ETag (``procurement.listcache``). ``cache_name`` names the list in the cache keys."""

    cache_name = ""

    def list(self, request, *args, **kwargs):
        def build() -> bytes:
            response = super(CachedListMixin, self).list(request, *args, **kwargs)
            return request.accepted_renderer.render(response.data, request.accepted_media_type,
                                                    self.get_renderer_context())

        return listcache.api_response(request, self.cache_name or type(self).__name__, build)
