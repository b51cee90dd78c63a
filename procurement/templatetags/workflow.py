"""Templates ask the model which actions a state allows: ``{% if "suspend" in admission|allowed_actions %}``."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from procurement import workflow

register = template.Library()


@register.filter
def allowed_actions(obj) -> list[str]:
    """The actions (``suspend``, ``reinstate``…) the object's state machine allows now."""
    return workflow.allowed_actions(obj)


# The colour of a state's badge (console/_status.html and the lists): one lookup, not a chain of tests per cell.
BADGE_CLASSES = {
    **dict.fromkeys(("admitted", "decided", "open", "valid", "answered"), " badge--success"),
    **dict.fromkeys(("submitted", "pending"), " badge--info"),
    **dict.fromkeys(("info_requested", "suspended", "expiring", "closed"), " badge--warning"),
    **dict.fromkeys(("excluded", "rejected", "expired", "terminated", "lapsed"), " badge--danger"),
}


@register.simple_tag
def status_badge(status, label=None):
    """``{% status_badge obj.status obj.get_status_display %}``: a state's badge (the label defaults to the state)."""
    return format_html('<span class="badge{}">{}</span>', BADGE_CLASSES.get(status, ""), label or status)
