"""Domain errors raised by services; pages show them, the API turns them into problem+json."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    title = _("Requête refusée")  # lazy: read in the language of each request

    def __init__(self, detail: str = "", **extra):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class ValidationFailed(DomainError):
    """Input or business rules are not met; ``errors`` maps a field (or item) to messages."""

    status = 400
    title = _("Données invalides")

    def __init__(self, errors: dict[str, list[str]], detail: str = ""):
        self.errors = {key: list(msgs) for key, msgs in errors.items()}
        super().__init__(detail or " ".join(m for msgs in self.errors.values() for m in msgs))

    @property
    def messages(self) -> list[str]:
        return [m for msgs in self.errors.values() for m in msgs]


class InvalidTransition(DomainError):
    """The object is not in a state that allows this action (409 with state and allowed actions)."""

    status = 409
    title = _("Action impossible dans l'état actuel")

    def __init__(self, detail: str, *, state: str, allowed_transitions: list[str]):
        super().__init__(detail)
        self.state = state
        self.allowed_transitions = allowed_transitions


class Conflict(DomainError):
    status = 409
    title = _("Conflit")

    def __init__(self, detail: str, *, state: str | None = None, allowed_transitions: list[str] | None = None):
        super().__init__(detail)
        self.state = state
        self.allowed_transitions = allowed_transitions or []


class NotFound(DomainError):
    """The object does not exist for this caller (another company's, or not invited): 404 in the API, the
    "not found" page on the site (``procurement.web``)."""

    status = 404
    title = _("Introuvable")


class NotAllowed(DomainError):
    status = 403
    title = _("Action non autorisée")


class TooManyAttempts(DomainError):
    """Too many attempts from one address or one network address: wait ``retry_after`` seconds (429)."""

    status = 429
    title = _("Trop de tentatives")

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail)
        self.retry_after = retry_after
