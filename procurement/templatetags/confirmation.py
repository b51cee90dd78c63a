"""Forms ask the register of irreversible actions for their question (``procurement/confirmation.py``).

``<form method="post" action="{% url 'ns:name' obj.id %}" {% confirm_attrs 'ns:name' obj.id %}>``: the same
URL name and arguments as ``{% url %}`` (or a URL already built). On a button that posts elsewhere
(``formaction``) or that alone takes the decision, the posted data that makes it irreversible follows as
keywords: ``{% confirm_attrs 'tenders_portal:bid' bid.id action="submit" %}``. Nothing is written when the
post is not irreversible.
"""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html

from procurement import confirmation

register = template.Library()


@register.simple_tag
def confirm_attrs(name_or_url, *args, **data):
    url = str(name_or_url)
    if "/" not in url:
        url = reverse(url, args=args)
    action = confirmation.action_for_url(url, data)
    if action is None:
        return ""
    return format_html(' data-confirm="{}" data-confirm-details="{}"', action.question, action.consequences)
