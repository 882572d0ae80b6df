"""The registry of spatial layers: what a domain app publishes, and to whom.

A domain app declares its layers in a `layers.py` module of its own (found at start-up by
`LayersConfig.ready`): the table, its id and geometry columns, the public attributes, a fixed SQL
condition for the rows that are public, and who may read the layer. The layer engine (OGC API
Features, later tiles and exports) reads nothing else: it never imports a domain app's models.

Every name here is written by the project, never by a user, and is checked to be a plain SQL
identifier when registered; queries still quote it. The public condition is a constant fragment
of the declaring app; user values reach SQL only as parameters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Model
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from geo_services.core.errors import NotFound
from geo_services.core.roles import Role, roles_of

AttributeType = Literal["string", "integer", "number", "boolean"]
GeometryType = Literal[
    "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon", "Geometry"
]

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
# Names the OGC API, the spatial queries and the exports use as query parameters: an attribute of
# that name could never be filtered on (`district` is the spatial district filter; a layer publishes
# its district's code as `district_code`).
RESERVED_NAMES = frozenset(
    {
        "f",
        "bbox",
        "bbox-crs",
        "limit",
        "offset",
        "datetime",
        "crs",
        "filter",
        "properties",
        "district",
        "intersects",
        "within",
        "distance",
        "sum",
        "by",
        "format",
    }
)


@dataclass(frozen=True)
class Attribute:
    """A public attribute: published under `name`, read from `column`."""

    name: str
    column: str
    type: AttributeType
    title: str | Promise


@dataclass(frozen=True)
class Layer:
    id: str
    title_ar: str
    title_en: str
    description_ar: str
    description_en: str
    table: str
    id_column: str
    geometry_column: str
    geometry_type: GeometryType
    attributes: tuple[Attribute, ...]
    # A constant SQL fragment over the table's columns (alias-free), e.g. "active"; None: every row.
    public_condition: str | None = None
    # None: anyone, signed in or not; otherwise the roles that may read the layer.
    readers: frozenset[Role] | None = None
    temporal_column: str | None = None
    id_type: Literal["integer", "string"] = "integer"
    # The Django model rows of this layer are written through (imports); None: the layer is read-only.
    # A layer over a view names the model of the table behind it.
    model: type[Model] | None = None
    attribute_by_name: Mapping[str, Attribute] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "attribute_by_name", {a.name: a for a in self.attributes})

    @property
    def title(self) -> str:
        return self.title_ar if _arabic() else self.title_en

    @property
    def description(self) -> str:
        return self.description_ar if _arabic() else self.description_en

    def readable_by(self, user: User | AnonymousUser) -> bool:
        if self.readers is None:
            return True
        return bool(roles_of(user) & self.readers)


def _arabic() -> bool:
    return (translation.get_language() or "ar").startswith("ar")


class LayerRegistry:
    def __init__(self) -> None:
        self._layers: dict[str, Layer] = {}

    def register(self, layer: Layer) -> Layer:
        _check(layer)
        if layer.id in self._layers and self._layers[layer.id] != layer:
            raise ValueError(f"Layer {layer.id!r} is registered twice with different definitions.")
        self._layers[layer.id] = layer
        return layer

    def unregister(self, layer_id: str) -> None:
        self._layers.pop(layer_id, None)

    def get(self, layer_id: str) -> Layer | None:
        return self._layers.get(layer_id)

    def require(self, layer_id: str) -> Layer:
        """A layer the caller knows is registered (code and tests, not user input)."""
        layer = self._layers.get(layer_id)
        if layer is None:
            raise KeyError(f"No layer {layer_id!r} is registered.")
        return layer

    def all(self) -> list[Layer]:
        return sorted(self._layers.values(), key=lambda layer: layer.id)

    def readable_by(self, user: User | AnonymousUser) -> list[Layer]:
        return [layer for layer in self.all() if layer.readable_by(user)]

    def readable(self, layer_id: str, user: User | AnonymousUser, *, noun: str = "layer") -> Layer:
        """The layer, if this person may read it. Otherwise NotFound, the same for a layer that
        exists but is not theirs as for one that does not, so restricted names are not revealed;
        the message lists the layers they may read. `noun` is "collection" in the OGC API."""
        layer = self._layers.get(layer_id)
        if layer is not None and layer.readable_by(user):
            return layer
        known = ", ".join(layer.id for layer in self.readable_by(user)) or "-"
        if noun == "collection":
            message = _("There is no collection %(collection)r. Collections: %(known)s.") % {
                "collection": layer_id[:40],
                "known": known,
            }
        else:
            message = _("There is no layer %(layer)r. Layers: %(known)s.") % {
                "layer": layer_id[:40],
                "known": known,
            }
        raise NotFound(message, code=f"unknown_{noun}")


def _check(layer: Layer) -> None:
    """Refuse a declaration that could put anything but plain identifiers into SQL."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", layer.id):
        raise ValueError(f"Layer id {layer.id!r} must be lower-case letters, digits, '-' or '_'.")
    names: Iterable[str] = [
        layer.table,
        layer.id_column,
        layer.geometry_column,
        *(a.column for a in layer.attributes),
        *([layer.temporal_column] if layer.temporal_column else []),
    ]
    for name in names:
        if not _IDENTIFIER.match(name):
            raise ValueError(f"Layer {layer.id!r}: {name!r} is not a plain SQL identifier.")
    for attribute in layer.attributes:
        if attribute.name in RESERVED_NAMES or not _IDENTIFIER.match(attribute.name):
            raise ValueError(f"Layer {layer.id!r}: attribute name {attribute.name!r} cannot be used.")
    if len(layer.attribute_by_name) != len(layer.attributes):
        raise ValueError(f"Layer {layer.id!r}: two attributes share a name.")
    if layer.public_condition is not None and ";" in layer.public_condition:
        raise ValueError(f"Layer {layer.id!r}: the public condition must be one SQL expression.")


registry = LayerRegistry()
register = registry.register
