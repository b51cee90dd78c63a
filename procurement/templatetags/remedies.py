"""``{% load remedies %}{% remedies "rejection" %}``: the remedies sentence of ``procurement.remedies``."""

from django import template

from procurement import remedies as rules

register = template.Library()


@register.simple_tag(name="remedies")
def remedies(moment: str) -> str:
    return rules.remedies(moment)
