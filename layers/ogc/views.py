"""OGC API - Features, Part 1 (Core) over the layer registry, as plain Django views.

Each resource answers JSON (GeoJSON for features) or a small HTML page (`f=json` / `f=html`; a
browser's Accept header picks HTML when `f` is absent). A layer the person may not read answers 404
exactly like a layer that does not exist, so the names of restricted layers are not revealed.
Errors come in the project's one shape, {"error": {"code", "message"}}, which OGC clients show as is.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from geo_services.core.api.errors import error_body
from geo_services.core.errors import DomainError, as_domain_error
from layers import provider
from layers.ogc import openapi
from layers.ogc.parsing import (
    Format,
    check_parameters,
    parse_feature_id,
    parse_items_query,
    response_format,
    unknown_feature,
)
from layers.registry import Layer, registry

JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
]

View = Callable[..., HttpResponseBase]


def ogc_endpoint(view: View) -> View:
    """GET/HEAD only; a DomainError anywhere below becomes the project's error response."""

    @require_safe
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            try:
                return view(request, *args, **kwargs)
            except OperationalError as failure:
                # A statement stopped by the database's time limit gets an answer, not a 500.
                domain_error = as_domain_error(failure)
                if domain_error is None:
                    raise
                raise domain_error from failure
        except DomainError as exc:
            return JsonResponse(
                error_body(exc.code, exc.message, exc.details),
                status=exc.status,
                json_dumps_params={"ensure_ascii": False},
            )

    return wrapper


def _json(data: Any, content_type: str = JSON) -> HttpResponse:
    return HttpResponse(json.dumps(data, ensure_ascii=False), content_type=content_type)


def _url(request: HttpRequest, name: str, *args: str, **query: Any) -> str:
    path = reverse(name, args=args)
    query = {key: value for key, value in query.items() if value is not None}
    return request.build_absolute_uri(path + (f"?{urlencode(query)}" if query else ""))


def _link(href: str, rel: str, media_type: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media_type, "title": title}


def _self_links(
    request: HttpRequest, name: str, *args: str, fmt: Format, json_type: str = JSON
) -> list[dict[str, str]]:
    """The self link in the format answered, and the other format as `alternate`."""
    as_json = _link(_url(request, name, *args, f="json"), "self", json_type, _("This document as JSON"))
    as_html = _link(_url(request, name, *args, f="html"), "self", HTML, _("This document as HTML"))
    if fmt == "json":
        as_html["rel"] = "alternate"
        return [as_json, as_html]
    as_json["rel"] = "alternate"
    return [as_html, as_json]


@ogc_endpoint
def landing(request: HttpRequest) -> HttpResponse:
    check_parameters(request.GET, ("f",))
    fmt = response_format(request)
    document = {
        "title": _("Amanah spatial layers"),
        "description": _(
            "The municipality's public spatial layers (districts, venues and more) as OGC API - Features."
        ),
        "links": [
            *_self_links(request, "ogc:landing", fmt=fmt),
            _link(_url(request, "ogc:api"), "service-desc", OPENAPI, _("The API definition (OpenAPI 3.0)")),
            _link(_url(request, "ogc:api", f="html"), "service-doc", HTML, _("The API documentation")),
            _link(_url(request, "ogc:conformance"), "conformance", JSON, _("Conformance classes")),
            _link(_url(request, "ogc:collections"), "data", JSON, _("The collections")),
        ],
    }
    if fmt == "html":
        return render(request, "layers/ogc/landing.html", {"document": document})
    return _json(document)


@ogc_endpoint
def conformance(request: HttpRequest) -> HttpResponse:
    check_parameters(request.GET, ("f",))
    document = {"conformsTo": CONFORMANCE}
    if response_format(request) == "html":
        return render(request, "layers/ogc/conformance.html", {"document": document})
    return _json(document)


@ogc_endpoint
def api_definition(request: HttpRequest) -> HttpResponse:
    check_parameters(request.GET, ("f",))
    layers = registry.readable_by(request.user)
    document = openapi.definition(request.build_absolute_uri(reverse("ogc:landing")), layers)
    if response_format(request) == "html":
        return render(request, "layers/ogc/api.html", {"document": document, "layers": layers})
    return _json(document, OPENAPI)


def _collection(request: HttpRequest, layer: Layer, fmt: Format) -> dict[str, Any]:
    extent = provider.extent(layer)
    document: dict[str, Any] = {
        "id": layer.id,
        "title": layer.title,
        "description": layer.description,
        "itemType": "feature",
        "crs": [CRS84],
        "links": [
            *_self_links(request, "ogc:collection", layer.id, fmt=fmt),
            _link(
                _url(request, "ogc:items", layer.id, f="json"), "items", GEOJSON, _("The features as GeoJSON")
            ),
            _link(_url(request, "ogc:items", layer.id, f="html"), "items", HTML, _("The features as HTML")),
        ],
    }
    if extent.bbox is not None:
        document["extent"] = {"spatial": {"bbox": [list(extent.bbox)], "crs": CRS84}}
        if extent.interval is not None:
            document["extent"]["temporal"] = {"interval": [list(extent.interval)]}
    return document


@ogc_endpoint
def collections(request: HttpRequest) -> HttpResponse:
    check_parameters(request.GET, ("f",))
    fmt = response_format(request)
    document = {
        "links": _self_links(request, "ogc:collections", fmt=fmt),
        "collections": [_collection(request, layer, "json") for layer in registry.readable_by(request.user)],
    }
    if fmt == "html":
        return render(request, "layers/ogc/collections.html", {"document": document})
    return _json(document)


@ogc_endpoint
def collection(request: HttpRequest, collection_id: str) -> HttpResponse:
    layer = registry.readable(collection_id, request.user, noun="collection")
    check_parameters(request.GET, ("f",))
    fmt = response_format(request)
    document = _collection(request, layer, fmt)
    if fmt == "html":
        return render(request, "layers/ogc/collection.html", {"document": document, "layer": layer})
    return _json(document)


@ogc_endpoint
def items(request: HttpRequest, collection_id: str) -> HttpResponseBase:
    layer = registry.readable(collection_id, request.user, noun="collection")
    query = parse_items_query(layer, request.GET)
    fmt = response_format(request)
    # A large GeoJSON page is streamed from a server-side cursor (memory bounded by one batch);
    # the count comes first, from its own capped query, so the links can be written up front.
    streamed = fmt == "json" and query.limit > settings.AMANAH_OGC_STREAM_ABOVE
    if streamed:
        page = None
        matched = provider.matched_count(layer, query)
        returned = None if matched is None else max(0, min(query.limit, matched - query.offset))
    else:
        page = provider.items(layer, query)
        matched, returned = page.number_matched, page.number_returned

    def page_url(offset: int, f: Format) -> str:
        params = {name: request.GET[name] for name in request.GET if name not in ("f", "offset", "limit")}
        return _url(request, "ogc:items", layer.id, **params, limit=query.limit, offset=offset or None, f=f)

    link_type = GEOJSON if fmt == "json" else HTML
    links = [
        _link(page_url(query.offset, fmt), "self", link_type, _("This page")),
        _link(
            page_url(query.offset, "html" if fmt == "json" else "json"),
            "alternate",
            HTML if fmt == "json" else GEOJSON,
            _("This page as HTML") if fmt == "json" else _("This page as GeoJSON"),
        ),
        _link(_url(request, "ogc:collection", layer.id, f="json"), "collection", JSON, _("The collection")),
    ]
    if matched is not None and returned is not None:
        has_next = query.offset + returned < matched
    else:
        # Above the count cap: a next link while the page is full (or, streamed, not yet known to
        # be short); a client reaching the end gets an empty page without a next link.
        has_next = returned is None or returned == query.limit
    if has_next:
        links.append(_link(page_url(query.offset + query.limit, fmt), "next", link_type, _("Next page")))
    if query.offset > 0:
        links.append(
            _link(page_url(max(query.offset - query.limit, 0), fmt), "prev", link_type, _("Previous page"))
        )
    head: dict[str, Any] = {
        "type": "FeatureCollection",
        "timeStamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if returned is not None:
        head["numberReturned"] = returned
    if matched is not None:
        head["numberMatched"] = matched
    head["links"] = links
    if page is None:
        members = {key: value for key, value in head.items() if key != "type"}
        count_member = "numberReturned" if returned is None else None
        return StreamingHttpResponse(
            provider.stream_items(layer, query, members, count_member), content_type=GEOJSON
        )
    if fmt == "html":
        context = {
            "layer": layer,
            "head": head,
            "links": {link["rel"]: link["href"] for link in links},
            "offset": query.offset,
            **_features_context(layer, json.loads(page.features_json)),
        }
        return render(request, "layers/ogc/items.html", context)
    # The features array comes from PostGIS as text and is spliced in without being parsed again.
    body = json.dumps(head, ensure_ascii=False)[:-1] + ', "features": ' + page.features_json + "}"
    return HttpResponse(body, content_type=GEOJSON)


@ogc_endpoint
def item(request: HttpRequest, collection_id: str, feature_id: str) -> HttpResponse:
    layer = registry.readable(collection_id, request.user, noun="collection")
    check_parameters(request.GET, ("f",))
    fmt = response_format(request)
    feature_json = provider.item(layer, parse_feature_id(layer, feature_id))
    if feature_json is None:
        raise unknown_feature(layer, feature_id)
    links = [
        *_self_links(request, "ogc:item", layer.id, feature_id, fmt=fmt, json_type=GEOJSON),
        _link(_url(request, "ogc:collection", layer.id, f="json"), "collection", JSON, _("The collection")),
    ]
    if fmt == "html":
        feature = json.loads(feature_json)
        context = {"layer": layer, "feature": feature, "links": links, **_features_context(layer, [feature])}
        return render(request, "layers/ogc/item.html", context)
    body = feature_json[:-1] + ', "links": ' + json.dumps(links, ensure_ascii=False) + "}"
    return HttpResponse(body, content_type=GEOJSON)


def _features_context(layer: Layer, features: list[dict[str, Any]]) -> dict[str, Any]:
    """A table (one row per feature, one column per public attribute) and the map's data.

    Only for HTML pages, which show one page of features (at most the limit)."""
    return {
        "columns": [attribute.title for attribute in layer.attributes],
        "rows": [
            (feature["id"], [feature["properties"].get(attribute.name) for attribute in layer.attributes])
            for feature in features
        ],
        "map_data": {
            "features": {"type": "FeatureCollection", "features": features},
            "basemap": {"url": settings.BASEMAP_TILE_URL, "attribution": settings.BASEMAP_ATTRIBUTION},
        },
    }
