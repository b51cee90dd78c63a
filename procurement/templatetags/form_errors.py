"""The error summary of a form that failed (``_form_errors.html``): every error, each linked to its field."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def error_summary(form) -> list[dict]:
    """``[{"href", "label", "message"}]``: the form's own errors first (no link), then each field's in order."""
    if form is None or not getattr(form, "is_bound", False) or not form.errors:
        return []
    entries = [{"href": "", "label": "", "message": str(message)} for message in form.non_field_errors()]
    for field in form:
        if not field.errors:
            continue
        # A list of choices has no control of its own (its label is a legend): the link reaches its first choice.
        target = (
            "" if field.is_hidden else field.id_for_label or (f"{field.auto_id}_0" if field.auto_id else "")
        )
        for message in field.errors:
            entries.append(
                {
                    "href": f"#{target}" if target else "",
                    "label": str(field.label or ""),
                    "message": str(message),
                }
            )
    return entries
