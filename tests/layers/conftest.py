from __future__ import annotations

from collections.abc import Iterator

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


@pytest.fixture
def planners_only_layer() -> Iterator[Layer]:
    """A layer only planners may read (the districts table under another id)."""
    layer = registry.register(
        Layer(
            id="planning-districts",
            title_ar="مناطق التخطيط",
            title_en="Planning districts",
            description_ar="",
            description_en="",
            table="core_district",
            id_column="id",
            geometry_column="geom",
            geometry_type="MultiPolygon",
            attributes=(Attribute("code", "code", "string", "code"),),
            readers=frozenset({Role.PLANNER}),
        )
    )
    yield layer
    registry.unregister(layer.id)


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
