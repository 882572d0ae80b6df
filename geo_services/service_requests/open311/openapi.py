"""The Open311 GeoReport v2 endpoints in the project's OpenAPI schema (/api/schema/).

The Open311 views are plain Django views (their formats and errors follow the GeoReport v2
specification, not the REST API's), so drf-spectacular cannot see them; this postprocessing hook adds
them, so that the published schema describes every endpoint a program can call. Each resource is
listed twice, with its `.json` and its `.xml` suffix, because the two answer different media types.
The shapes mirror formats.py (the documents) and errors.py (the statuses); the API fuzzing tests
check every answer against them.
"""

from __future__ import annotations

from typing import Any

from geo_services.service_requests.models import AttributeType

PREFIX = "/open311/v2"
TAG = "open311"
MEDIA_TYPES = {"json": "application/json", "xml": "text/xml"}

_STR: dict[str, Any] = {"type": "string"}
_NULL: dict[str, Any] = {"type": "string", "nullable": True, "enum": [None]}


def _object(properties: dict[str, Any], *, xml_name: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
    }
    if xml_name:
        schema["xml"] = {"name": xml_name}
    return schema


def _list(item: dict[str, Any], *, root: str) -> dict[str, Any]:
    return {"type": "array", "items": item, "xml": {"name": root, "wrapped": True}}


ERRORS = _list(_object({"code": {"type": "integer"}, "description": _STR}, xml_name="error"), root="errors")
# A body over AMANAH_MAX_REQUEST_BYTES is refused by the project's middleware before any view runs,
# in the project's general error format.
PROJECT_ERROR = {"$ref": "#/components/schemas/Error"}

SERVICES = _list(
    _object(
        {
            "service_code": _STR,
            "service_name": _STR,
            "description": _STR,
            "metadata": {"type": "boolean"},
            "type": {"type": "string", "enum": ["realtime"]},
            "keywords": _STR,
            "group": _STR,
        },
        xml_name="service",
    ),
    root="services",
)

SERVICE_DEFINITION = _object(
    {
        "service_code": _STR,
        "attributes": _list(
            _object(
                {
                    "variable": {"type": "boolean"},
                    "code": _STR,
                    "datatype": {"type": "string", "enum": list(AttributeType.values)},
                    "required": {"type": "boolean"},
                    "datatype_description": _STR,
                    "order": {"type": "integer", "minimum": 1},
                    "description": _STR,
                    "values": _list(_object({"key": _STR, "name": _STR}, xml_name="value"), root="values"),
                },
                xml_name="attribute",
            ),
            root="attributes",
        ),
    },
    xml_name="service_definition",
)

_DATETIME = {"type": "string", "format": "date-time"}
REQUESTS = _list(
    _object(
        {
            "service_request_id": _STR,
            "status": {"type": "string", "enum": ["open", "closed"]},
            "status_notes": _STR,
            "service_name": _STR,
            "service_code": _STR,
            "description": _STR,
            "agency_responsible": _STR,
            "service_notice": _STR,
            "requested_datetime": _DATETIME,
            "updated_datetime": _DATETIME,
            "expected_datetime": {**_DATETIME, "nullable": True},
            "address": _STR,
            "address_id": _NULL,
            "zipcode": _NULL,
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "long": {"type": "number", "minimum": -180, "maximum": 180},
            "media_url": _STR,
        },
        xml_name="request",
    ),
    root="service_requests",
)

CREATED = _list(
    _object(
        {"service_request_id": _STR, "token": _STR, "service_notice": _STR, "account_id": _NULL},
        xml_name="request",
    ),
    root="service_requests",
)

TOKENS = _list(
    _object({"service_request_id": _STR, "token": _STR}, xml_name="request"), root="service_requests"
)

DISCOVERY = _object(
    {
        "changeset": _STR,
        "contact": _STR,
        "key_service": _STR,
        "endpoints": _list(
            _object(
                {
                    "specification": _STR,
                    "url": _STR,
                    "changeset": _STR,
                    "type": _STR,
                    "formats": _list({**_STR, "xml": {"name": "format"}}, root="formats"),
                },
                xml_name="endpoint",
            ),
            root="endpoints",
        ),
    },
    xml_name="discovery",
)

_JURISDICTION = {
    "name": "jurisdiction_id",
    "in": "query",
    "schema": _STR,
    "description": "A jurisdiction code such as `amman`; AMANAH_DEFAULT_JURISDICTION when omitted.",
}


def _path_parameter(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": _STR, "description": description}


def _query(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "schema": _STR, "description": description}


_SEARCH = [
    _query(
        "service_request_id", "Ids separated by commas (at most 1000); the other filters are then ignored."
    ),
    _query("service_code", "Service codes separated by commas."),
    _query("start_date", "W3C date and time, e.g. 2026-05-01T00:00:00Z."),
    _query("end_date", "W3C date and time; at most 90 days after start_date."),
    _query("status", "open, closed or open,closed."),
]

_NUMBER = {"type": "number"}
_SUBMISSION_FIELDS: dict[str, Any] = {
    "api_key": {**_STR, "description": "Issued per client application (create_open311_key)."},
    "service_code": _STR,
    "lat": _NUMBER,
    "long": _NUMBER,
    "address_string": _STR,
    "address_id": _STR,
    "description": {"type": "string", "maxLength": 4000},
    "email": _STR,
    "first_name": _STR,
    "last_name": _STR,
    "phone": _STR,
    "device_id": _STR,
    "account_id": _STR,
    "media_url": _STR,
}


def _submission(fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": fields,
        "required": ["api_key", "service_code"],
        "description": "Answers to the service's questions go in `attribute[CODE]` fields.",
    }


_SUBMISSION = _submission(_SUBMISSION_FIELDS)
_SUBMISSION_WITH_PHOTO = _submission({**_SUBMISSION_FIELDS, "media": {"type": "string", "format": "binary"}})

_ERROR_STATUSES = {
    "400": "The input cannot be fulfilled; the description says which and why.",
    "403": "api_key missing, wrong, withdrawn or of another jurisdiction.",
    "404": "Unknown jurisdiction_id, service_code, request id or token.",
    "413": "A photo or form over the limits (a body over AMANAH_MAX_REQUEST_BYTES: project format).",
    "429": "Too many reports from this address or account lately; wait the seconds in Retry-After.",
}


def _operation(
    *,
    fmt: str,
    operation_id: str,
    summary: str,
    document: dict[str, Any],
    errors: tuple[str, ...],
    parameters: list[dict[str, Any]],
    body: bool = False,
) -> dict[str, Any]:
    media_type = MEDIA_TYPES[fmt]
    responses: dict[str, Any] = {
        "200": {"description": summary, "content": {media_type: {"schema": document}}}
    }
    for status in errors:
        schema = ERRORS
        if status == "413":
            schema = {"oneOf": [ERRORS, PROJECT_ERROR]} if fmt == "json" else ERRORS
        content = {media_type: {"schema": schema}}
        if status == "413" and fmt == "xml":
            content["application/json"] = {"schema": PROJECT_ERROR}
        responses[status] = {"description": _ERROR_STATUSES[status], "content": content}
    operation: dict[str, Any] = {
        "operationId": f"{operation_id}_{fmt}",
        "summary": summary,
        "tags": [TAG],
        "parameters": [_JURISDICTION, *parameters],
        "responses": responses,
        "security": [{}],
    }
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": _SUBMISSION},
                "multipart/form-data": {"schema": _SUBMISSION_WITH_PHOTO},
            },
        }
    return operation


def open311_paths() -> dict[str, dict[str, Any]]:
    paths: dict[str, dict[str, Any]] = {}
    code = _path_parameter("service_code", "A service code from services.json.")
    request_id = _path_parameter("service_request_id", "A request id.")
    token = _path_parameter("token", "A request's token, as POST requests answered it.")
    for fmt in MEDIA_TYPES:
        paths[f"{PREFIX}/discovery.{fmt}"] = {
            "get": _operation(
                fmt=fmt,
                operation_id="open311_discovery",
                summary="Where this API is, its formats and how to get a key.",
                document=DISCOVERY,
                errors=("400", "404"),
                parameters=[],
            )
        }
        paths[f"{PREFIX}/services.{fmt}"] = {
            "get": _operation(
                fmt=fmt,
                operation_id="open311_services",
                summary="The kinds of problem that can be reported.",
                document=SERVICES,
                errors=("400", "404"),
                parameters=[],
            )
        }
        paths[f"{PREFIX}/services/{{service_code}}.{fmt}"] = {
            "get": _operation(
                fmt=fmt,
                operation_id="open311_service_definition",
                summary="A service's questions (attributes).",
                document=SERVICE_DEFINITION,
                errors=("400", "404"),
                parameters=[code],
            )
        }
        paths[f"{PREFIX}/requests.{fmt}"] = {
            "get": _operation(
                fmt=fmt,
                operation_id="open311_requests",
                summary="Search reports, newest first (no personal data).",
                document=REQUESTS,
                errors=("400", "404"),
                parameters=_SEARCH,
            ),
            "post": _operation(
                fmt=fmt,
                operation_id="open311_submit",
                summary="Submit a report (holders of an api_key).",
                document=CREATED,
                errors=("400", "403", "404", "413", "429"),
                parameters=[],
                body=True,
            ),
        }
        paths[f"{PREFIX}/requests/{{service_request_id}}.{fmt}"] = {
            "get": _operation(
                fmt=fmt,
                operation_id="open311_request",
                summary="One report, as a list of one (no personal data).",
                document=REQUESTS,
                errors=("400", "404"),
                parameters=[request_id],
            )
        }
        paths[f"{PREFIX}/tokens/{{token}}.{fmt}"] = {
            "get": _operation(
                fmt=fmt,
                operation_id="open311_token",
                summary="The report id a token stands for.",
                document=TOKENS,
                errors=("400", "404"),
                parameters=[token],
            )
        }
    return paths


def add_open311_paths(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: the Open311 paths and their tag."""
    result.setdefault("paths", {}).update(open311_paths())
    tags = result.setdefault("tags", [])
    if not any(tag.get("name") == TAG for tag in tags):
        tags.append(
            {"name": TAG, "description": "Open311 GeoReport v2 (docs/open311.md): JSON or XML by suffix."}
        )
    return result
