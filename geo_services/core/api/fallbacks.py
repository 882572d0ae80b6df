"""Django's error pages, in JSON for API paths (so programs get the same error shape everywhere)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

from geo_services.core.middleware import wants_json


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        message = _("There is no endpoint at %(path)s. The API is described at /api/docs/.") % {
            "path": request.path
        }
        return JsonResponse({"error": {"code": "not_found", "message": message}}, status=404)
    return defaults.page_not_found(request, exception or Exception())


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if wants_json(request):
        message = _("The request could not be understood.")
        return JsonResponse({"error": {"code": "bad_request", "message": message}}, status=400)
    return defaults.bad_request(request, exception or Exception())


def server_error(request: HttpRequest) -> HttpResponse:
    if wants_json(request):
        message = _("Something went wrong on our side; nothing was changed. Please try again later.")
        return JsonResponse({"error": {"code": "server_error", "message": message}}, status=500)
    return defaults.server_error(request)
