"""Language choice: Arabic first.

Pages are Arabic unless the person chose English with the language switch (Django's set_language
view stores the choice in a cookie): a browser's Accept-Language does not switch a page, because
many residents use English-language browsers yet expect the municipality's pages in Arabic.
API clients (programs, QGIS, notebooks) may ask for English with Accept-Language.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

API_PREFIXES = ("/api/", "/open311/", "/ogc/", "/tiles/", "/healthz")


class ArabicFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        language = self._chosen_language(request)
        if language is None:
            if request.path.startswith(API_PREFIXES):
                language = translation.get_language_from_request(request)
            else:
                language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    @staticmethod
    def _chosen_language(request: HttpRequest) -> str | None:
        cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if not cookie:
            return None
        try:
            return translation.get_supported_language_variant(cookie)
        except LookupError:
            return None
