"""Language choice: Arabic first.

Pages are Arabic unless the person chose English with the language switch (Django's set_language
view stores the choice in a cookie): a browser's Accept-Language does not switch a page, because
many residents use English-language browsers yet expect the municipality's pages in Arabic.
API clients (programs, QGIS, notebooks) may ask for English with Accept-Language.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
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


_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class TextInputMiddleware:
    """Refuse, at the edge, text that no field can hold: a NUL character (PostgreSQL cannot store or
    compare it) in the path, the query string or a form field, and a query string or urlencoded form
    that is not UTF-8. A form too large for Django's limits (DATA_UPLOAD_MAX_*) or unreadable is
    refused here too, with a message, for pages as well as APIs. JSON bodies are checked by the
    API's JSON parser (core.api.parsers).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = self._problem(request)
        if problem is not None:
            status, code, message = problem
            return error_response(request, status=status, code=code, message=message)
        return self.get_response(request)

    @staticmethod
    def _problem(request: HttpRequest) -> tuple[int, str, str] | None:
        if "\x00" in request.path:
            return 400, "invalid_character", _("The address contains a NUL character.")
        raw_query = unquote_to_bytes(request.META.get("QUERY_STRING", "").replace("+", " "))
        if b"\x00" in raw_query:
            return 400, "invalid_character", _("The query string contains a NUL character.")
        if not _is_utf8(raw_query):
            return 400, "invalid_encoding", _("The query string is not valid UTF-8 text.")
        if request.method != "POST" or request.content_type not in _FORM_TYPES:
            return None
        try:
            if request.content_type == _FORM_TYPES[0] and not _is_utf8(unquote_to_bytes(request.body)):
                return 400, "invalid_encoding", _("The form data is not valid UTF-8 text.")
            fields = request.POST
        except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent):
            return (
                413,
                "request_too_large",
                _(
                    "The form is too large (limits: %(limit)s bytes of fields, %(fields)s fields, %(files)s files)."
                )
                % {
                    "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
                    "fields": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
                    "files": settings.DATA_UPLOAD_MAX_NUMBER_FILES,
                },
            )
        except (MultiPartParserError, UnreadablePostError, SuspiciousOperation) as exc:
            return (
                400,
                "unreadable_form",
                _("The form data cannot be read (%(reason)s); send it as a valid form.")
                % {"reason": str(exc)[:100] or exc.__class__.__name__},
            )
        for name, values in fields.lists():
            if "\x00" in name or any("\x00" in value for value in values):
                return (
                    400,
                    "invalid_character",
                    _("%(name)s contains a NUL character, which no field may hold.")
                    % {"name": name.replace("\x00", "\\0")[:50]},
                )
        return None


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


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
