"""Query parameters of the OGC API, parsed once into typed values; anything else is a 400 that says why."""

from __future__ import annotations

import re
from collections.abc import Collection
from typing import Literal

from django.conf import settings
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _

from geo_services.core.errors import InvalidInput, NotFound
from layers.provider import ItemsQuery
from layers.registry import Layer
from layers.selection import parse_selection

Format = Literal["json", "html"]
ITEMS_PARAMETERS = ("f", "bbox", "datetime", "limit", "offset")


def response_format(request: HttpRequest) -> Format:
    """`f` decides; without it a browser (asking for text/html) gets HTML and every other client JSON."""
    raw = request.GET.get("f")
    if raw is None:
        return "html" if "text/html" in request.META.get("HTTP_ACCEPT", "") else "json"
    if raw in ("json", "html"):
        return raw  # type: ignore[return-value]
    raise InvalidInput(
        _("Unknown format %(value)r: f must be json or html.") % {"value": raw[:30]}, code="unknown_format"
    )


def check_parameters(query: QueryDict, allowed: Collection[str]) -> None:
    """OGC API Features asks for a 400 on a parameter the API does not define (so typos are not ignored)."""
    unknown = sorted(name for name in query if name not in allowed)
    if unknown:
        raise InvalidInput(
            _("Unknown query parameter %(names)s. Allowed here: %(allowed)s.")
            % {"names": ", ".join(unknown), "allowed": ", ".join(allowed) or "-"},
            code="unknown_parameter",
        )
    repeated = sorted(name for name in query if len(query.getlist(name)) > 1)
    if repeated:
        raise InvalidInput(
            _("Give %(names)s only once.") % {"names": ", ".join(repeated)}, code="repeated_parameter"
        )


def _parse_int(raw: str, *, name: str) -> int:
    value = raw.strip()
    if not re.fullmatch(r"-?[0-9]{1,12}", value):
        raise InvalidInput(
            _("%(name)s must be a whole number, not %(value)r.") % {"name": name, "value": raw[:30]},
            code="not_an_integer",
        )
    return int(value)


def parse_limit(raw: str | None) -> int:
    maximum = settings.AMANAH_OGC_MAX_LIMIT
    if raw is None:
        return min(settings.AMANAH_OGC_DEFAULT_LIMIT, maximum)
    limit = _parse_int(raw, name="limit")
    if limit < 1:
        raise InvalidInput(
            _("limit must be at least 1, got %(value)s.") % {"value": limit}, code="out_of_range"
        )
    if limit > maximum:
        raise InvalidInput(
            _("limit must be at most %(maximum)s, got %(value)s. Follow the next links for more features.")
            % {"maximum": maximum, "value": limit},
            code="limit_too_large",
        )
    return limit


def parse_offset(raw: str | None) -> int:
    if raw is None:
        return 0
    offset = _parse_int(raw, name="offset")
    if offset < 0:
        raise InvalidInput(
            _("offset must be 0 or more, got %(value)s.") % {"value": offset}, code="out_of_range"
        )
    return offset


def parse_items_query(layer: Layer, query: QueryDict) -> ItemsQuery:
    """The OGC items parameters; the filters are the layer engine's one Selection."""
    check_parameters(query, (*ITEMS_PARAMETERS, *layer.attribute_by_name))
    return ItemsQuery(
        limit=parse_limit(query.get("limit")),
        offset=parse_offset(query.get("offset")),
        selection=parse_selection(layer, query),
    )


def parse_feature_id(layer: Layer, raw: str) -> int | str:
    if layer.id_type == "string":
        return raw
    if not raw.isdigit() or len(raw) > 18:
        raise unknown_feature(layer, raw)
    return int(raw)


def unknown_feature(layer: Layer, raw: str) -> NotFound:
    return NotFound(
        _("There is no feature %(feature)r in the collection %(collection)s.")
        % {"feature": raw[:40], "collection": layer.id},
        code="unknown_feature",
    )
