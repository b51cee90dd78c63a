"""The one door through which a django-fsm state changes: transition, save, audit, in one go.

Services call ``apply_transition`` inside their transaction; a wrong-state call becomes
``InvalidTransition`` (409 in the API, a message on pages) carrying the current state and the actions
that are allowed from it.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed, can_proceed

from . import audit
from .errors import InvalidTransition


def action_name(method_name: str) -> str:
    return method_name.replace("_", "-")


def allowed_actions(obj, field: str = "status") -> list[str]:
    available = getattr(obj, f"get_available_{field}_transitions")()
    return sorted({action_name(t.name) for t in available})


def check_allowed(obj, method_name: str, *, field: str = "status", refusal: str | None = None) -> None:
    """Raise InvalidTransition now if ``method_name`` cannot run from the current state."""
    if not can_proceed(getattr(obj, method_name)):
        state = getattr(obj, field)
        raise InvalidTransition(
            refusal or _("Action « %(action)s » impossible : l'objet est à l'état « %(state)s ».")
            % {"action": action_name(method_name), "state": state},
            state=state,
            allowed_transitions=allowed_actions(obj, field),
        )


def apply_transition(obj, method_name: str, *, actor, object_type: str, reason="", field: str = "status",
                     action: str | None = None, refusal: str | None = None, **kwargs):
    method = getattr(obj, method_name)
    from_state = getattr(obj, field)
    check_allowed(obj, method_name, field=field, refusal=refusal)
    try:
        result = method(**kwargs)
    except TransitionNotAllowed:
        raise InvalidTransition(
            refusal or _("Action « %(action)s » impossible depuis l'état « %(state)s ».")
            % {"action": action_name(method_name), "state": from_state},
            state=from_state,
            allowed_transitions=allowed_actions(obj, field),
        )
    obj.save()
    audit.record(
        obj=obj,
        object_type=object_type,
        action=action or action_name(method_name),
        actor=actor,
        from_state=from_state,
        to_state=getattr(obj, field),
        reason=reason,
    )
    return result
