"""Language choice: French unless the person chose otherwise.

Pages follow the language cookie set by the switcher (``/i18n/setlang/``) and otherwise stay in French,
whatever the browser's Accept-Language says: the users are French, and a French buyer on an
English-configured laptop should not get English letters and labels by surprise. The API, used by
programs, honours Accept-Language.
"""

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
