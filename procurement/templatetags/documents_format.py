"""Template filters of the generated documents: ``{% load documents_format %}``, then ``{{ x|amount }}``."""

from django import template

from procurement.documents import formatting

register = template.Library()

register.filter("amount", formatting.amount)
register.filter("moment", formatting.moment)
register.filter("short_moment", formatting.short_moment)
register.filter("fr_date", formatting.date)
register.filter("fr_size", formatting.size)
register.filter("fr_number", formatting.number)
register.filter("fr_percent", formatting.percent)


@register.filter
def short_sha(value) -> str:
    """The first 16 hex digits of a SHA-256, grouped by four, for footers."""
    text = str(value or "")[:16]
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))
