"""Django's error pages, in the API's own format for API paths (so programs get one error shape)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views import defaults

from geo_services.core.middleware import error_response, wants_json


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        message = _("There is no endpoint at %(path)s. The API is described at /api/docs/.") % {
            "path": request.path
        }
        return error_response(request, status=404, code="not_found", message=message)
    return defaults.page_not_found(request, exception or Exception())


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        message = _("The request could not be understood.")
        return error_response(request, status=400, code="bad_request", message=message)
    return defaults.bad_request(request, exception or Exception())


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        message = _("Something went wrong on our side; nothing was changed. Please try again later.")
        return error_response(request, status=500, code="server_error", message=message)
    return defaults.server_error(request)
