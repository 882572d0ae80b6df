"""The one place where errors become Open311 error responses.

Every Open311 view is wrapped by `open311_endpoint`, which checks the HTTP method and turns any
DomainError (and Django's own refusals of a malformed body) into the specification's error
document, in the format the client asked for:

    JSON  [{"code": 400, "description": "…"}]
    XML   <errors><error><code>400</code><description>…</description></error></errors>

The HTTP status is the DomainError's, except where the GeoReport v2 specification names another
one for the same case (see `_SPEC_STATUS`). Views hold no try/except of their own.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, HttpResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from geo_services.core.errors import DomainError
from geo_services.service_requests.open311.formats import FORMATS, render_error

logger = logging.getLogger(__name__)

View = Callable[..., HttpResponse]

# Where the specification asks for another status than the domain error carries:
# "404 - service_code or jurisdiction_id provided was not found", and 404 only "for resources that
# don't exist" (a location outside the city is a request that cannot be fulfilled: 400).
_SPEC_STATUS = {
    "unknown_jurisdiction": 404,
    "unknown_service_code": 404,
    "outside_districts": 400,
}


class MethodNotAllowed(DomainError):
    status = 405
    code = "method_not_allowed"


def response_format(request: HttpRequest, kwargs: dict[str, Any]) -> str:
    """The format the client asked for: the URL's suffix; JSON when there is none to go by."""
    fmt = kwargs.get("fmt")
    if fmt in FORMATS:
        return str(fmt)
    return "xml" if request.path.endswith(".xml") else "json"


def domain_error_response(exc: DomainError, *, fmt: str) -> HttpResponse:
    status = _SPEC_STATUS.get(exc.code, exc.status)
    response = render_error(fmt=fmt, status=status, description=exc.message)
    for header, value in exc.response_headers().items():
        response[header] = value
    return response


def _edge_error(exc: Exception) -> tuple[int, str] | None:
    """Django's refusals of a body it cannot read, as (status, description); None for anything else."""
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent | TooManyFilesSent):
        return 413, _(
            "The form is too large (limits: %(limit)s bytes of fields, %(fields)s fields, %(files)s files)."
        ) % {
            "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
            "fields": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
            "files": settings.DATA_UPLOAD_MAX_NUMBER_FILES,
        }
    if isinstance(exc, MultiPartParserError | UnreadablePostError | SuspiciousOperation):
        return 400, _("The form data cannot be read (%(reason)s); send it as a valid form.") % {
            "reason": str(exc)[:100] or exc.__class__.__name__
        }
    return None


def open311_endpoint(*methods: str) -> Callable[[View], View]:
    """Allow only `methods` (HEAD with GET; any method when none is named) and answer every error
    in the Open311 format."""
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            fmt = response_format(request, kwargs)
            try:
                if allowed and request.method not in allowed:
                    raise MethodNotAllowed(
                        _("%(method)s is not allowed here; use %(allowed)s.")
                        % {"method": request.method, "allowed": ", ".join(methods)}
                    )
                return view(request, *args, **kwargs)
            except DomainError as exc:
                response = domain_error_response(exc, fmt=fmt)
                if isinstance(exc, MethodNotAllowed):
                    response["Allow"] = ", ".join(sorted(allowed))
                return response
            except Exception as exc:
                edge = _edge_error(exc)
                if edge is None:
                    # A fault of ours, not of the input: logged with its traceback, answered in the
                    # client's format. Writes happen in one transaction, so nothing was changed.
                    logger.exception("Open311 %s %s failed", request.method, request.path)
                    edge = (
                        500,
                        _("Something went wrong on our side; nothing was changed. Please try again later."),
                    )
                status, description = edge
                return render_error(fmt=fmt, status=status, description=description)

        if allowed and allowed <= {"GET", "HEAD"}:
            # Nothing to protect from cross-site forgery in a read: without the exemption, a POST or
            # PUT got Django's CSRF page (403, HTML) instead of the 405 above.
            return csrf_exempt(wrapper)
        return wrapper

    return decorator


def render_open311_error(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    """For the project's middleware: an error met before any Open311 view ran, in Open311's format."""
    return render_error(fmt=response_format(request, {}), status=status, description=message)
