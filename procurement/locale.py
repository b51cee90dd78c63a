"""Language choice: French unless the person chose otherwise.

Pages follow the language cookie set by the switcher (``/i18n/setlang/``) and otherwise stay in French,
whatever the browser's Accept-Language says: the users are French, and a French buyer on an
English-configured laptop should not get English letters and labels by surprise. The API, used by
programs, honours Accept-Language.
"""

import re

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class FrenchFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        if request.path.startswith("/api/"):
            return super().process_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _ in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


# --- French elision before a name ---------------------------------------------------------------------------

# "de", "que", "le" lose their vowel before a word that starts with a vowel sound: "l'offre d'Isol'Nord", "de
# Boulonnais". Names starting with "h" are left alone: "h" is silent in "Habitat" but aspirated in "Hauts",
# and "de Hauts-de-France" is right where "d'Hauts-de-France" would not be; digits are read as numbers
# ("de 3F").
_VOWELS = set("aeiouàâäéèêëîïôöùûüœæ")
_ELIDED = {"de": "d'", "De": "D'", "que": "qu'", "Que": "Qu'", "le": "l'", "Le": "L'"}


def elides(name: str) -> bool:
    """Whether French elides the word before ``name``: a vowel, or a "y" sounding as one ("Yvelines")."""
    word = (name or "").strip().lower()
    if not word:
        return False
    if word[0] in _VOWELS:
        return True
    return word[0] == "y" and len(word) > 1 and word[1] not in _VOWELS


def de(name) -> str:
    """``"Isol'Nord"`` → ``"d'Isol'Nord"``; ``"Boulonnais Rénovation"`` → ``"de Boulonnais Rénovation"``."""
    name = str(name)
    return f"d'{name}" if elides(name) else f"de {name}"


def elide(text: str, name) -> str:
    """In a French sentence already written, "de Isol'Nord" (or "que", "le" before the name) becomes
    "d'Isol'Nord". Only before ``name`` itself, and only when French is the active language, so that a
    translated sentence is never touched. A sentence built from a translation keeps its message id (and its
    English translation) as it is: the elision is the sentence's French spelling, not its wording."""
    name = str(name or "")
    if not text or not elides(name) or not (translation.get_language() or "").startswith("fr"):
        return text
    pattern = re.compile(rf"(?<![\w'’-])({'|'.join(_ELIDED)})[ \u00a0]({re.escape(name)})")
    return pattern.sub(lambda m: _ELIDED[m.group(1)] + m.group(2), str(text))
