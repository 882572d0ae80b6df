"""Language choice: Arabic first.

Pages are Arabic unless the person chose English with the language switch (Django's set_language
view stores the choice in a cookie): a browser's Accept-Language does not switch a page, because
many residents use English-language browsers yet expect the municipality's pages in Arabic.
API clients (programs, QGIS, notebooks) may ask for English with Accept-Language.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation import gettext as _

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


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is larger than AMANAH_MAX_REQUEST_BYTES, before reading it.

    Django limits form and JSON bodies (DATA_UPLOAD_MAX_MEMORY_SIZE) but not uploaded files, which it
    streams to disk; this caps every request with a 413 and a message saying the limit.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.AMANAH_MAX_REQUEST_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return request_too_large_response(request, declared=declared, limit=limit)
        return self.get_response(request)


def wants_json(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIXES)


# Error renderers of APIs with an error format of their own (Open311), by path prefix; apps
# register theirs in AppConfig.ready. Arguments: request, HTTP status, code, message.
ErrorRenderer = Callable[[HttpRequest, int, str, str], HttpResponse]
_ERROR_RENDERERS: dict[str, ErrorRenderer] = {}


def register_error_renderer(prefix: str, renderer: ErrorRenderer) -> None:
    _ERROR_RENDERERS[prefix] = renderer


def error_response(request: HttpRequest, *, status: int, code: str, message: str) -> HttpResponse:
    """An error in the format of the API the path belongs to: its own, JSON, or plain text for pages."""
    for prefix, renderer in _ERROR_RENDERERS.items():
        if request.path.startswith(prefix):
            return renderer(request, status, code, message)
    if wants_json(request):
        return JsonResponse({"error": {"code": code, "message": message}}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def request_too_large_response(request: HttpRequest, *, declared: int | None, limit: int) -> HttpResponse:
    if declared is not None:
        message = _("The request body is %(size)s bytes; the limit is %(limit)s bytes.") % {
            "size": declared,
            "limit": limit,
        }
    else:
        message = _("The request body is larger than the limit of %(limit)s bytes.") % {"limit": limit}
    return error_response(request, status=413, code="request_too_large", message=message)
