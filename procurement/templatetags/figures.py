"""The number filter of every page (a built-in library: no ``{% load %}`` needed).

``{{ amount|number }}`` → ``1 450,50``; ``{{ quantity|number:"-3" }}`` → up to three decimals, trailing
zeros dropped (``2 350,5``); ``{{ count|number:0 }}`` → ``450 000``. Written the page's way by
``procurement.numbers.format``; nothing (``""``) for a value that is not a number.
"""

from django import template

from procurement import numbers

register = template.Library()


@register.filter
def number(value, places=2) -> str:
    try:
        places = int(places)
    except (TypeError, ValueError):
        return ""
    if value is None or value == "":
        return ""
    return numbers.format(value, abs(places), trim=places < 0)
