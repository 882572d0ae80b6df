"""The one place where errors become HTTP responses for the REST API.

Every error answer has the same shape: {"error": {"code": …, "message": …, "details": …}}.
Domain errors carry their own status; DRF's own errors (bad JSON, failed authentication,
validation) are put into the same shape so clients handle one format.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf_exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from geo_services.core.errors import DomainError, as_domain_error


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return {"error": body}


def _drf_message(exc: drf_exceptions.APIException) -> str:
    detail = exc.detail
    if isinstance(detail, dict):
        parts = []
        for field_name, messages in detail.items():
            text = " ".join(str(m) for m in messages) if isinstance(messages, list) else str(messages)
            parts.append(text if field_name == "non_field_errors" else f"{field_name}: {text}")
        return " ".join(parts)
    if isinstance(detail, list):
        return " ".join(str(m) for m in detail)
    return str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = as_domain_error(exc) or exc
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.message, exc.details), status=exc.status, headers=exc.response_headers()
        )
    if isinstance(exc, RequestDataTooBig | TooManyFieldsSent):
        # A body or form over Django's in-memory limits (DATA_UPLOAD_MAX_*): say which limit.
        message = _("The request body or form is too large (limit %(limit)s bytes, %(fields)s fields).") % {
            "limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
            "fields": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        }
        return Response(error_body("request_too_large", message), status=413)
    if isinstance(exc, Http404):
        exc = drf_exceptions.NotFound(_("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf_exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, drf_exceptions.APIException):
        return response
    if isinstance(exc, drf_exceptions.ParseError):
        message = _("The request body is not valid JSON or form data: %(reason)s") % {"reason": exc.detail}
        details = None
    else:
        message = _drf_message(exc)
        details = exc.detail if isinstance(exc.detail, dict | list) else None
    code = exc.get_codes()
    response.data = error_body(code if isinstance(code, str) else exc.default_code, message, details)
    return response
