"""The spatial query API's inputs, parsed once: the query string of a GET, or the JSON object of a POST.

Both carry the same names (the selection's, the layer's attributes, and each endpoint's own), so a
query too long for a URL (a detailed polygon) is the same query sent as a body.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework.request import Request

from geo_services.core.errors import InvalidInput
from layers.ogc.parsing import check_parameters
from layers.registry import Attribute, Layer
from layers.selection import Selection, parse_int, parse_selection_values, selection_parameter_names

FEATURES_PARAMETERS = ("limit", "offset")
AGGREGATE_PARAMETERS = ("by", "sum")
AGGREGATE_GROUPINGS = ("district",)


@dataclass(frozen=True)
class FeaturesRequest:
    selection: Selection
    limit: int
    offset: int


@dataclass(frozen=True)
class AggregateRequest:
    selection: Selection
    by: str
    sum_attribute: Attribute | None


def request_values(request: Request, layer: Layer, own_parameters: Collection[str]) -> Mapping[str, Any]:
    """The parameters of a GET (query string) or a POST (JSON object), unknown names refused."""
    allowed = (*own_parameters, *selection_parameter_names(layer))
    if request.method == "POST":
        if request.query_params:
            raise InvalidInput(
                _("Send a POST query's parameters in its JSON body, not in the URL."),
                code="unknown_parameter",
            )
        body = request.data
        if not isinstance(body, dict) or isinstance(body, QueryDict):
            raise InvalidInput(
                _("The request body must be a JSON object of query parameters."), code="invalid_body"
            )
        unknown = sorted(name for name in body if name not in allowed)
        if unknown:
            raise InvalidInput(
                _("Unknown query parameter %(names)s. Allowed here: %(allowed)s.")
                % {"names": ", ".join(unknown), "allowed": ", ".join(allowed)},
                code="unknown_parameter",
            )
        return body
    check_parameters(request.query_params, allowed)
    return {name: request.query_params[name] for name in request.query_params}


def _bounded_int(raw: object, *, name: str, default: int, minimum: int, maximum: int) -> int:
    if raw is None:
        return default
    value = parse_int(raw, name=name)
    if not minimum <= value <= maximum:
        raise InvalidInput(
            _("%(name)s must be between %(minimum)s and %(maximum)s, got %(value)s.")
            % {"name": name, "minimum": minimum, "maximum": maximum, "value": value},
            code="out_of_range",
        )
    return value


def parse_features_request(layer: Layer, values: Mapping[str, Any]) -> FeaturesRequest:
    maximum = settings.AMANAH_OGC_MAX_LIMIT
    return FeaturesRequest(
        selection=parse_selection_values(layer, values),
        limit=_bounded_int(
            values.get("limit"),
            name="limit",
            default=min(settings.AMANAH_OGC_DEFAULT_LIMIT, maximum),
            minimum=1,
            maximum=maximum,
        ),
        offset=_bounded_int(values.get("offset"), name="offset", default=0, minimum=0, maximum=10**12),
    )


def parse_aggregate_request(layer: Layer, values: Mapping[str, Any]) -> AggregateRequest:
    by = values.get("by", "district")
    if by not in AGGREGATE_GROUPINGS:
        raise InvalidInput(
            _("by must be one of %(allowed)s, not %(value)r.")
            % {"allowed": ", ".join(AGGREGATE_GROUPINGS), "value": str(by)[:30]},
            code="invalid_grouping",
        )
    return AggregateRequest(
        selection=parse_selection_values(layer, values),
        by=by,
        sum_attribute=_parse_sum_attribute(layer, values.get("sum")),
    )


def _parse_sum_attribute(layer: Layer, raw: object) -> Attribute | None:
    if raw is None:
        return None
    numeric = [a.name for a in layer.attributes if a.type in ("integer", "number")]
    attribute = layer.attribute_by_name.get(raw) if isinstance(raw, str) else None
    if attribute is None or attribute.name not in numeric:
        raise InvalidInput(
            _("sum must name a numeric attribute of the layer %(layer)s (%(numeric)s), not %(value)r.")
            % {"layer": layer.id, "numeric": ", ".join(numeric) or "-", "value": str(raw)[:40]},
            code="unknown_attribute",
        )
    return attribute
