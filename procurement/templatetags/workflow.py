"""Templates ask the model which actions a state allows: ``{% if "suspend" in admission|allowed_actions %}``."""

from __future__ import annotations

from django import template

from procurement import workflow

register = template.Library()


@register.filter
def allowed_actions(obj) -> list[str]:
    """The actions (``suspend``, ``reinstate``…) the object's state machine allows now."""
    return workflow.allowed_actions(obj)
