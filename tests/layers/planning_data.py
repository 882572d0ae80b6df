"""A small hand-made town for the planners' selection, query API and page tests.

Two square districts side by side (west, east), seven venues (one inactive, one outside every
district), and a table of shapes (polygons, lines, dated points) published as throwaway layers.
Expected areas and lengths are computed here with pyproj's geodesics, independently of PostGIS.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.gis.geos import Point
from django.db import connection
from pyproj import Geod

from geo_services.core.models import District, Jurisdiction
from geo_services.venues.models import Venue, VenueKind
from layers.registry import Attribute, Layer, registry
from tests.factories import square

WGS84 = Geod(ellps="WGS84")
SHAPES_TABLE = "planning_test_shapes"


@dataclass(frozen=True)
class Town:
    jurisdiction: Jurisdiction
    west: District
    east: District
    venues: dict[str, Venue]  # by code


# code, kind, lon, lat, capacity, active, district ("west", "east"; "west" for the one outside)
VENUES = [
    ("w-park-1", VenueKind.PARK, 35.905, 31.905, 100, True),
    ("w-park-2", VenueKind.PARK, 35.915, 31.915, 50, True),
    ("w-hall", VenueKind.HALL, 35.910, 31.910, 300, True),
    ("e-park", VenueKind.PARK, 35.925, 31.905, 20, True),
    ("e-library", VenueKind.LIBRARY, 35.935, 31.915, 40, True),
    ("w-closed", VenueKind.PARK, 35.906, 31.906, 70, False),
    ("outside-hall", VenueKind.HALL, 35.980, 31.980, 10, True),
]


def build_town() -> Town:
    jurisdiction = Jurisdiction.objects.create(
        code="testtown", name_ar="بلدة الاختبار", name_en="Test town", time_zone="Asia/Amman"
    )
    west = District.objects.create(
        jurisdiction=jurisdiction,
        code="west",
        name_ar="الغرب",
        name_en="West",
        population=1000,
        geom=square(35.90, 31.90, 0.02),
    )
    east = District.objects.create(
        jurisdiction=jurisdiction,
        code="east",
        name_ar="الشرق",
        name_en="East",
        population=2000,
        geom=square(35.92, 31.90, 0.02),
    )
    venues = {}
    for code, kind, lon, lat, capacity, active in VENUES:
        venues[code] = Venue.objects.create(
            jurisdiction=jurisdiction,
            district=east if code.startswith("e-") else west,
            kind=kind,
            code=code,
            name_ar=f"مرفق {code}",
            name_en=f"Venue {code}",
            location=Point(lon, lat, srid=4326),
            capacity=capacity,
            active=active,
        )
    return Town(jurisdiction, west, east, venues)


def geodesic_area(ring: list[tuple[float, float]]) -> float:
    lons, lats = zip(*ring, strict=True)
    area, _perimeter = WGS84.polygon_area_perimeter(lons, lats)
    return abs(area)


def geodesic_length(start: tuple[float, float], end: tuple[float, float]) -> float:
    return WGS84.inv(start[0], start[1], end[0], end[1])[2]


def rectangle(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> list[tuple[float, float]]:
    return [
        (min_lon, min_lat),
        (max_lon, min_lat),
        (max_lon, max_lat),
        (min_lon, max_lat),
        (min_lon, min_lat),
    ]


# Areas: one inside west, one across the west/east border at 35.92 (half in each).
AREA_INSIDE_WEST = rectangle(35.901, 31.901, 35.906, 31.906)
AREA_ACROSS = rectangle(35.915, 31.910, 35.925, 31.915)
# Lines: one inside east, one across the border along latitude 31.918.
LINE_INSIDE_EAST = ((35.925, 31.910), (35.935, 31.910))
LINE_ACROSS = ((35.910, 31.918), (35.930, 31.918))
# Dated points (UTC), all in west.
EVENTS = [
    (301, "2026-03-01T08:00:00+00:00", (35.902, 31.902)),
    (302, "2026-03-10T12:00:00+00:00", (35.903, 31.903)),
    (303, "2026-04-01T00:00:00+00:00", (35.904, 31.904)),
]


def _wkt_polygon(ring: list[tuple[float, float]]) -> str:
    return "POLYGON((" + ", ".join(f"{x} {y}" for x, y in ring) + "))"


def _wkt_line(points: tuple[tuple[float, float], ...]) -> str:
    return "LINESTRING(" + ", ".join(f"{x} {y}" for x, y in points) + ")"


def _layer(layer_id: str, kind: str, geometry_type: str, *, temporal: bool = False) -> Layer:
    return Layer(
        id=layer_id,
        title_ar=f"اختبار {layer_id}",
        title_en=f"Test {layer_id}",
        description_ar="",
        description_en="",
        table=SHAPES_TABLE,
        id_column="id",
        geometry_column="geom",
        geometry_type=geometry_type,  # type: ignore[arg-type]
        attributes=(
            Attribute("name", "name", "string", "name"),
            Attribute("amount", "amount", "number", "amount"),
        ),
        public_condition=f"kind = '{kind}'",
        temporal_column="seen_at" if temporal else None,
    )


@contextmanager
def shape_layers() -> Iterator[dict[str, Layer]]:
    """The shapes table (inside the test's transaction) and its three layers, unregistered after."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {SHAPES_TABLE} (id integer PRIMARY KEY, kind text NOT NULL, name text NOT NULL,"
            " amount double precision, seen_at timestamptz, geom geometry(Geometry, 4326) NOT NULL)"
        )
        rows = [
            (101, "area", "inside-west", 5.0, None, _wkt_polygon(AREA_INSIDE_WEST)),
            (102, "area", "across", 7.5, None, _wkt_polygon(AREA_ACROSS)),
            (201, "line", "inside-east", 1.0, None, _wkt_line(LINE_INSIDE_EAST)),
            (202, "line", "across", 2.0, None, _wkt_line(LINE_ACROSS)),
            *((i, "event", f"event-{i}", None, at, f"POINT({x} {y})") for i, at, (x, y) in EVENTS),
        ]
        for row in rows:
            cursor.execute(
                f"INSERT INTO {SHAPES_TABLE} VALUES (%s, %s, %s, %s, %s, ST_GeomFromText(%s, 4326))",
                row,
            )
    layers = {
        "areas": _layer("test-areas", "area", "Polygon"),
        "lines": _layer("test-lines", "line", "LineString"),
        "events": _layer("test-events", "event", "Point", temporal=True),
    }
    for layer in layers.values():
        registry.register(layer)
    try:
        yield layers
    finally:
        for layer in layers.values():
            registry.unregister(layer.id)
