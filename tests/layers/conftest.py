from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.gis.geos import Point
from django.core.cache import cache

from geo_services.core.models import District
from geo_services.core.roles import Role
from geo_services.venues.models import Venue, VenueKind
from layers.registry import Attribute, Layer, registry

# Inspection jobs for the staff-only inspections layer, made as the inspections tests make them.
from tests.inspections.conftest import (  # noqa: F401 - fixtures, used by name
    checklist,
    dispatcher,
    inspector,
    make_job,
    roads,
)


@pytest.fixture(autouse=True)
def _fresh_extents() -> Iterator[None]:
    # Layer extents are cached between requests; every test builds its own data.
    cache.clear()
    yield
    cache.clear()


@contextmanager
def district_layer(layer_id: str, **declaration: Any) -> Iterator[Layer]:
    """A throwaway layer over the districts table, registered for the block and removed after;
    `declaration` overrides the Layer's fields (readers, public_condition…)."""
    layer = registry.register(
        Layer(
            **{
                "id": layer_id,
                "title_ar": layer_id,
                "title_en": layer_id,
                "description_ar": "",
                "description_en": "",
                "table": "core_district",
                "id_column": "id",
                "geometry_column": "geom",
                "geometry_type": "MultiPolygon",
                "attributes": (Attribute("code", "code", "string", "code"),),
                **declaration,
            }
        )
    )
    try:
        yield layer
    finally:
        registry.unregister(layer.id)


@pytest.fixture
def planners_only_layer() -> Iterator[Layer]:
    """A layer only planners may read (the districts table under another id)."""
    with district_layer("planning-districts", readers=frozenset({Role.PLANNER})) as layer:
        yield layer


@pytest.fixture
def venues(amman) -> list[Venue]:
    """The demo's 12 active venues and one taken off the map (never published)."""
    district = District.objects.filter(jurisdiction=amman)[0]
    Venue.objects.create(
        jurisdiction=amman,
        district=district,
        kind=VenueKind.PARK,
        code="closed-park",
        name_ar="حديقة مغلقة",
        name_en="Closed park",
        location=Point(35.9, 31.95, srid=4326),
        active=False,
    )
    return list(Venue.objects.filter(active=True).order_by("id"))
