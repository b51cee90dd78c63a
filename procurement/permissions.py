"""Who may do what on the buyer's side. Roles are Django groups named buyer, evaluator, approver."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .errors import NotAllowed

BUYER, EVALUATOR, APPROVER = "buyer", "evaluator", "approver"

ROLE_LABELS = {BUYER: gettext_lazy("acheteur"), EVALUATOR: gettext_lazy("évaluateur"), APPROVER: gettext_lazy("approbateur")}


def is_staff_member(user) -> bool:
    return bool(user and user.is_authenticated and user.roles)


def has_role(user, role: str) -> bool:
    return bool(user and user.is_authenticated and role in user.roles)


def require_role(user, role: str) -> None:
    if not has_role(user, role):
        raise NotAllowed(_("Cette action est réservée au rôle « %(role)s ».") % {"role": ROLE_LABELS.get(role, role)})


def require_staff(user) -> None:
    if not is_staff_member(user):
        raise NotAllowed(_("Cette action est réservée aux agents de l'acheteur."))
