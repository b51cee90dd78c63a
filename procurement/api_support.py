"""What every API endpoint shares: pagination and the problem+json error format."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .errors import Conflict, DomainError, InvalidTransition, ValidationFailed


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


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
        return problem(exc.status, exc.title, exc.detail)
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
    result = problem(response.status_code, title, str(detail))
    for header in ("WWW-Authenticate", "Retry-After"):
        if header in response:
            result[header] = response[header]
    return result


# --- Django's own error views: under /api/ they answer problem+json too ----------------------------------


def _api_problem(request, status_code: int, title: str, detail: str):
    body = {"type": "about:blank", "title": title, "status": status_code, "detail": detail}
    return JsonResponse(body, status=status_code, content_type="application/problem+json",
                        json_dumps_params={"ensure_ascii": False})


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


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
