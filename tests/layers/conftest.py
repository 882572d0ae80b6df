from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from geo_services.core.roles import Role
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
