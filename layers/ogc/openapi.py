"""The OpenAPI 3.0 definition of the OGC API (the landing page's service-desc).

Built from the registry for the person asking, one path per collection, so a client (GDAL's OAPIF
driver, QGIS) learns each collection's filterable attributes and the limit's maximum from it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from layers.registry import Layer

_JSON_SCHEMA_TYPES = {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean"}


def _format_parameter() -> dict[str, Any]:
    return {
        "name": "f",
        "in": "query",
        "required": False,
        "description": "Response format: json (GeoJSON for features) or html.",
        "schema": {"type": "string", "enum": ["json", "html"]},
    }


def _get(
    summary: str, parameters: list[dict[str, Any]], media_type: str = "application/json"
) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": {
                "200": {"description": summary, "content": {media_type: {}, "text/html": {}}},
                "400": {"description": "A parameter is not valid; the message says which and why."},
                "404": {"description": "No such collection or feature."},
            },
        }
    }


def _datetime_parameter() -> dict[str, Any]:
    return {
        "name": "datetime",
        "in": "query",
        "required": False,
        "style": "form",
        "explode": False,
        "description": (
            "Features whose time lies at this RFC 3339 instant or in this interval: "
            "2026-03-01T08:00:00Z, 2026-03-01T00:00:00Z/2026-03-31T23:59:59Z, "
            "../2026-03-31T23:59:59Z or 2026-03-01T00:00:00Z/.. (both ends included)."
        ),
        "schema": {"type": "string"},
    }


def _items_parameters(layer: Layer) -> list[dict[str, Any]]:
    return [
        _format_parameter(),
        {
            "name": "bbox",
            "in": "query",
            "required": False,
            "style": "form",
            "explode": False,
            "description": "min longitude, min latitude, max longitude, max latitude (WGS84).",
            "schema": {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
        },
        *([_datetime_parameter()] if layer.temporal_column else []),
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": settings.AMANAH_OGC_MAX_LIMIT,
                "default": min(settings.AMANAH_OGC_DEFAULT_LIMIT, settings.AMANAH_OGC_MAX_LIMIT),
            },
        },
        {
            "name": "offset",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 0, "default": 0},
        },
        *(
            {
                "name": attribute.name,
                "in": "query",
                "required": False,
                "description": f"Features whose {attribute.name} equals this value.",
                "schema": {"type": _JSON_SCHEMA_TYPES[attribute.type]},
            }
            for attribute in layer.attributes
        ),
    ]


def definition(landing_url: str, layers: list[Layer]) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/": _get("Landing page", [_format_parameter()]),
        "/conformance": _get("Conformance classes", [_format_parameter()]),
        "/api": _get(
            "This API definition", [_format_parameter()], "application/vnd.oai.openapi+json;version=3.0"
        ),
        "/collections": _get("The collections", [_format_parameter()]),
    }
    for layer in layers:
        base = f"/collections/{layer.id}"
        paths[base] = _get(f"The collection {layer.id}", [_format_parameter()])
        paths[f"{base}/items"] = _get(
            f"Features of {layer.id}", _items_parameters(layer), "application/geo+json"
        )
        paths[f"{base}/items/{{featureId}}"] = _get(
            f"One feature of {layer.id}",
            [
                {"name": "featureId", "in": "path", "required": True, "schema": {"type": layer.id_type}},
                _format_parameter(),
            ],
            "application/geo+json",
        )
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Amanah spatial layers (OGC API - Features)",
            "version": "1.0",
            "description": 'The municipality\'s spatial layers. Errors: {"error": {"code", "message"}}.',
        },
        "servers": [{"url": landing_url.rstrip("/")}],
        "paths": paths,
    }
