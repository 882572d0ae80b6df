"""The OpenAPI schema's view of errors: every operation documents the errors it can answer.

The exception handler (core.api.errors) answers every error in one shape, whatever the view; this
schema class documents that shape once for each status an operation can meet, so that clients (and
the API fuzzing tests) know every answer in advance. A view's own `extend_schema(responses=…)`
still wins: it can describe an error more precisely.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny

from geo_services.core.api.serializers import ErrorSerializer

_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_JSON = ["application/json"]

ERROR_DESCRIPTIONS = {
    "400": "The input is not valid; `error.message` says which parameter or field, and why.",
    "401": "Credentials are missing or not valid (send `Authorization: Token …`).",
    "403": "The person is signed in but may not do this (role, jurisdiction or department).",
    "404": "No such object, or one outside the person's scope.",
    "409": "The change conflicts with the object's current state (taken, already decided, …).",
    "413": "The request body, form or file is larger than the limits allow.",
    "415": "The request body's Content-Type is not one this operation reads.",
    "429": "Too many of these requests from this person or address (or too many failed sign-ins); "
    "wait the seconds in the Retry-After header.",
}


class AmanahAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, plus the error responses of the project's exception handler."""

    def _error_statuses(self) -> list[str]:
        statuses: list[str] = []
        has_path_parameters = "{" in self.path
        has_input = bool(self._get_parameters()) or self.method in _UNSAFE
        if has_input:
            statuses.append("400")
        if self.view.get_authenticators():
            # A wrong token is refused even where no sign-in is needed.
            statuses.append("401")
        open_to_all = all(isinstance(p, AllowAny) for p in self.view.get_permissions())
        if not open_to_all or self.method in _UNSAFE:
            # Roles and scopes, and the CSRF check of a session's writes.
            statuses.append("403")
        if has_path_parameters:
            statuses.append("404")
        if self.method in _UNSAFE:
            statuses += ["409", "413", "415"]
        handler = getattr(self.view, self.method.lower(), None)
        if getattr(handler, "rate_limit_group", None):
            statuses.append("429")
        return statuses

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for status in self._error_statuses():
            documented = responses.get(status)
            if documented is None or "content" not in documented:
                description = (documented or {}).get("description") or ERROR_DESCRIPTIONS[status]
                responses[status] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description), status, _JSON, direction
                )
        return dict(sorted(responses.items()))


# A JSON array of objects, for `extend_schema(responses=…)` of views that answer a plain list.
LIST_OF_OBJECTS: dict[str, Any] = {"type": "array", "items": {"type": "object", "additionalProperties": {}}}
