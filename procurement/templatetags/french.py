"""French elision before a name in generated sentences (``procurement.locale``).

``{{ company|de }}`` writes "d'Isol'Nord" or "de Boulonnais" (documents written in French only);
``{% blocktranslate … asvar sentence %}{{ sentence|elide:company }}`` spells a translated sentence the
French way ("l'offre de Isol'Nord" → "l'offre d'Isol'Nord") and leaves other languages alone."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

from procurement import locale

register = template.Library()


@register.filter
def de(name) -> str:
    return locale.de(name)


@register.filter(is_safe=True)
def elide(text, name):
    """In an HTML page the sentence holds the escaped name ("Isol&#x27;Nord"): both spellings are looked for."""
    if isinstance(text, SafeData):
        # Safe text stays safe: only a space and two letters ("de " → "d'") are taken out of it.
        return mark_safe(locale.elide(locale.elide(text, name), conditional_escape(name)))  # noqa: S308
    return locale.elide(text, name)
