"""The one filter composition of the layer engine: parsing a Selection and the SQL it becomes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from django.contrib.gis.geos import Point
from django.db import connection
from django.http import QueryDict
from django.utils import translation

from geo_services.core.errors import InvalidInput
from layers.registry import Layer, registry
from layers.selection import (
    SELECTION_PARAMETERS,
    Selection,
    TimeInterval,
    parse_selection,
    parse_selection_values,
    selection_parameter_names,
    where_sql,
)
from tests.layers.planning_data import Town, build_town, shape_layers

VENUES = registry.require("venues")


@pytest.fixture
def town(db: None) -> Town:
    return build_town()


@pytest.fixture
def shapes(db: None) -> Iterator[dict[str, Layer]]:
    with shape_layers() as layers:
        yield layers


def venue_codes(selection: Selection) -> list[str]:
    """The codes of the venues the selection's SQL matches (the layer's public rows only)."""
    assert VENUES is not None
    params: dict[str, Any] = {}
    where = where_sql(VENUES, selection, params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT code FROM {VENUES.table} WHERE {where} ORDER BY code", params)
        return [row[0] for row in cursor.fetchall()]


def matching_ids(layer: Layer, selection: Selection) -> list[int]:
    params: dict[str, Any] = {}
    where = where_sql(layer, selection, params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM {layer.table} WHERE {where} ORDER BY id", params)
        return [row[0] for row in cursor.fetchall()]


def parse(layer: Layer | None, query: str) -> Selection:
    assert layer is not None
    return parse_selection(layer, QueryDict(query))


ALL_ACTIVE = ["e-library", "e-park", "outside-hall", "w-hall", "w-park-1", "w-park-2"]


class TestParameters:
    def test_the_parameter_names_are_the_selections_and_the_layers_attributes(self):
        assert VENUES is not None
        names = selection_parameter_names(VENUES)
        assert names[: len(SELECTION_PARAMETERS)] == SELECTION_PARAMETERS
        assert sorted(names) == sorted(
            {
                *SELECTION_PARAMETERS,
                "code",
                "kind",
                "name_ar",
                "name_en",
                "capacity",
                "district_code",
                "jurisdiction",
            }
        )

    def test_nothing_given_is_the_empty_selection_and_every_public_row(self, town):
        selection = parse(VENUES, "")
        assert selection == Selection()
        assert selection.is_empty
        assert venue_codes(selection) == ALL_ACTIVE  # the inactive venue is never published

    def test_other_parameters_are_left_to_the_caller(self, town):
        assert parse(VENUES, "limit=5&format=csv") == Selection()


class TestEachFilterAlone:
    def test_bbox(self, town):
        selection = parse(VENUES, "bbox=35.90,31.90,35.912,31.912")
        assert selection.bbox is not None
        assert selection.bbox.max_lon == 35.912
        assert venue_codes(selection) == ["w-hall", "w-park-1"]

    def test_attribute_equals_typed(self, town):
        selection = parse(VENUES, "kind=park&capacity=50")
        assert selection.equals == (("kind", "park"), ("capacity", 50))
        assert venue_codes(selection) == ["w-park-2"]

    def test_district_by_code_and_by_id(self, town):
        by_code = parse(VENUES, "district=east")
        assert by_code.district_ids == (town.east.pk,)
        assert venue_codes(by_code) == ["e-library", "e-park"]
        by_ids = parse(VENUES, f"district={town.west.pk},{town.east.pk}")
        assert venue_codes(by_ids) == ["e-library", "e-park", "w-hall", "w-park-1", "w-park-2"]

    def test_intersects_wkt_and_geojson(self, town):
        wkt = parse(
            VENUES,
            "intersects=POLYGON((35.904 31.904, 35.911 31.904, 35.911 31.911, 35.904 31.911, 35.904 31.904))",
        )
        assert wkt.intersects is not None
        assert wkt.intersects.srid == 4326
        assert venue_codes(wkt) == ["w-hall", "w-park-1"]
        polygon = {
            "type": "Polygon",
            "coordinates": [
                [[35.924, 31.904], [35.936, 31.904], [35.936, 31.916], [35.924, 31.916], [35.924, 31.904]]
            ],
        }
        geojson = parse(VENUES, urlencode({"intersects": json.dumps(polygon)}))
        assert venue_codes(geojson) == ["e-library", "e-park"]

    def test_within_a_distance_in_metres_of_a_point(self, town):
        # w-hall is at (35.910, 31.910); w-park-2 at (35.915, 31.915) is about 729 m away.
        near = parse(VENUES, "within=POINT(35.910 31.910)&distance=700")
        assert near.distance == 700.0
        assert venue_codes(near) == ["w-hall"]
        # w-park-1 lies as far on the other side.
        assert venue_codes(parse(VENUES, "within=POINT(35.910 31.910)&distance=750")) == [
            "w-hall",
            "w-park-1",
            "w-park-2",
        ]

    def test_within_a_distance_of_a_line(self, town):
        # A line along latitude 31.905 from w-park-1 to e-park: both lie on it, nothing else within 100 m.
        selection = parse(VENUES, "within=LINESTRING(35.905 31.905, 35.925 31.905)&distance=100")
        assert venue_codes(selection) == ["e-park", "w-park-1"]

    def test_datetime_on_a_temporal_layer(self, shapes):
        events = shapes["events"]
        instant = parse(events, "datetime=2026-03-10T12:00:00Z")
        at = datetime(2026, 3, 10, 12, tzinfo=UTC)
        assert instant.time_interval == TimeInterval(at, at)
        assert matching_ids(events, instant) == [302]
        assert matching_ids(events, parse(events, "datetime=2026-03-01T08:00:00Z/2026-03-10T12:00:00Z")) == [
            301,
            302,
        ]
        assert matching_ids(events, parse(events, "datetime=../2026-03-05T00:00:00%2B03:00")) == [301]
        assert matching_ids(events, parse(events, "datetime=2026-03-10T12:00:00.5Z/..")) == [303]
        assert matching_ids(events, parse(events, "datetime=2026-03-02T00:00:00Z/")) == [302, 303]


class TestCombined:
    def test_every_filter_must_hold(self, town):
        assert venue_codes(parse(VENUES, "district=west&kind=park")) == ["w-park-1", "w-park-2"]
        assert venue_codes(parse(VENUES, "district=west&kind=park&bbox=35.90,31.90,35.91,31.91")) == [
            "w-park-1"
        ]
        assert venue_codes(parse(VENUES, "district=west&within=POINT(35.925 31.905)&distance=1600")) == [
            "w-hall",
            "w-park-2",
        ]
        assert venue_codes(parse(VENUES, "district=east&kind=hall")) == []

    def test_a_json_object_gives_the_same_selection_as_the_query_string(self, town):
        assert VENUES is not None
        from_body = parse_selection_values(
            VENUES,
            {
                "bbox": [35.90, 31.90, 35.94, 31.92],
                "district": ["west", town.east.pk],
                "capacity": 100,
                "within": {"type": "Point", "coordinates": [35.905, 31.905]},
                "distance": 10,
            },
        )
        from_query = parse(
            VENUES,
            f"bbox=35.90,31.90,35.94,31.92&district=west,{town.east.pk}&capacity=100"
            "&within=POINT(35.905 31.905)&distance=10",
        )
        assert from_body.district_ids == from_query.district_ids == (town.west.pk, town.east.pk)
        assert from_body.within is not None
        assert from_query.within is not None
        assert from_body.within.equals(from_query.within)
        assert venue_codes(from_body) == venue_codes(from_query) == ["w-park-1"]

    def test_a_district_filter_uses_the_districts_of_the_layer_table_itself(self, town):
        # The districts layer's geometry column has the same name as the parts' (geom): the
        # condition must still compare the layer's row, not the part with itself.
        districts = registry.require("districts")
        assert districts is not None
        assert matching_ids(districts, parse(districts, "district=west")) == [town.west.pk, town.east.pk]
        assert matching_ids(districts, parse(districts, "intersects=POINT(35.91 31.91)")) == [town.west.pk]


def refused(layer: Layer | None, query: str | dict[str, Any]) -> InvalidInput:
    assert layer is not None
    values = {name: QueryDict(query)[name] for name in QueryDict(query)} if isinstance(query, str) else query
    with translation.override("en"), pytest.raises(InvalidInput) as caught:
        parse_selection_values(layer, values)
    return caught.value


class TestRefusals:
    @pytest.mark.parametrize(
        ("query", "code"),
        [
            ("bbox=35.95,31.9,35.90,31.92", "invalid_bbox"),
            ("bbox=35.9,31.9,35.95", "invalid_bbox"),
            ("bbox=35.9,nan,35.95,31.92", "invalid_input"),
            ("capacity=many", "not_an_integer"),
            ("district=nowhere", "unknown_district"),
            ("district=999999", "unknown_district"),
            ("within=POINT(35.9 31.9)", "incomplete_distance_search"),
            ("distance=100", "incomplete_distance_search"),
            ("within=POINT(35.9 31.9)&distance=-1", "invalid_distance"),
            ("within=POINT(35.9 31.9)&distance=100001", "invalid_distance"),
            ("within=POINT(35.9 31.9)&distance=Infinity", "invalid_input"),
            (
                "within=POLYGON((35.9 31.9, 35.91 31.9, 35.91 31.91, 35.9 31.9))&distance=5",
                "invalid_geometry",
            ),
            (
                "intersects=POLYGON((35.9 31.9, 35.91 31.91, 35.91 31.9, 35.9 31.91, 35.9 31.9))",
                "invalid_geometry",
            ),
            ("intersects=POLYGON((35.9 31.9, 35.91 31.9, 35.91 31.91, 35.9 31.91))", "invalid_geometry"),
            ("intersects=SRID=3857;POINT(4000000 3700000)", "unknown_srid"),
            ("intersects=POINT(3500000 31.9)", "invalid_geometry"),
            ("intersects=POINT(nan 31.9)", "invalid_geometry"),
            ("intersects=hello", "invalid_geometry"),
            ('intersects={"type": "Point", "coordinates": [NaN, 31.9]}', "invalid_geometry"),
            ('intersects={"type": "Point", "coordinates": ["35.9", 31.9]}', "invalid_geometry"),
            ('intersects={"type": "Feature", "coordinates": [35.9, 31.9]}', "invalid_geometry"),
            ('intersects={"type": "Point", "coordinates": [35.9, 31.9', "invalid_geometry"),
            ("datetime=2026-03-01T00:00:00Z", "not_temporal"),
            ("datetime=2026-03-01", "not_temporal"),
        ],
    )
    def test_bad_input_is_refused_with_a_reason(self, town, query, code):
        error = refused(VENUES, query)
        assert error.code == code
        assert error.status == 400
        assert error.message

    def test_a_geojson_crs_other_than_wgs84_is_an_unknown_srid(self, town):
        point = {
            "type": "Point",
            "coordinates": [4000000, 3700000],
            "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},
        }
        error = refused(VENUES, {"intersects": point})
        assert error.code == "unknown_srid"
        assert "EPSG:3857" in error.message
        wgs84 = {
            **point,
            "coordinates": [35.91, 31.91],
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        }
        assert venue_codes(parse_selection_values(VENUES, {"intersects": wgs84})) == ["w-hall"]

    def test_an_unclosed_geojson_ring_says_so(self, town):
        ring = [[35.9, 31.9], [35.91, 31.9], [35.91, 31.91], [35.9, 31.91]]
        error = refused(VENUES, {"intersects": {"type": "Polygon", "coordinates": [ring]}})
        assert error.code == "invalid_geometry"
        assert "closed" in error.message

    def test_a_self_intersecting_polygon_is_refused_with_the_reason(self, town):
        bow_tie = [[35.9, 31.9], [35.91, 31.91], [35.91, 31.9], [35.9, 31.91], [35.9, 31.9]]
        error = refused(VENUES, {"intersects": {"type": "Polygon", "coordinates": [bow_tie]}})
        assert error.code == "invalid_geometry"
        assert "Self-intersection" in error.message

    def test_wrong_json_types(self, town):
        assert refused(VENUES, {"bbox": {"a": 1}}).code == "wrong_type"
        assert refused(VENUES, {"distance": [1], "within": "POINT(35.9 31.9)"}).code == "wrong_type"
        assert refused(VENUES, {"intersects": 12}).code == "wrong_type"
        assert refused(VENUES, {"kind": 3}).code == "wrong_type"
        assert refused(VENUES, {"capacity": True}).code == "not_an_integer"
        assert refused(VENUES, {"district": [True]}).code == "invalid_district"

    def test_more_vertices_than_the_cap(self, town, settings):
        settings.AMANAH_QUERY_MAX_VERTICES = 50
        ring = [[35.9 + i * 0.0001, 31.9] for i in range(60)] + [[35.9, 31.95], [35.9, 31.9]]
        assert (
            refused(VENUES, {"intersects": {"type": "Polygon", "coordinates": [ring]}}).code
            == "too_many_vertices"
        )
        wkt = "LINESTRING(" + ", ".join(f"{35.9 + i * 0.0001} 31.9" for i in range(60)) + ")"
        assert refused(VENUES, {"intersects": wkt}).code == "too_many_vertices"
        # Just under the cap is accepted.
        small = "LINESTRING(" + ", ".join(f"{35.9 + i * 0.0001} 31.9" for i in range(50)) + ")"
        assert parse_selection_values(VENUES, {"intersects": small}).intersects is not None

    def test_a_district_code_used_in_two_municipalities_asks_for_the_id(self, town):
        from tests.factories import DistrictFactory

        DistrictFactory(code="west")
        assert refused(VENUES, "district=west").code == "ambiguous_district"
        assert parse(VENUES, f"district={town.west.pk}").district_ids == (town.west.pk,)

    @pytest.mark.parametrize(
        "raw",
        [
            "2026-03-01",
            "yesterday",
            "2026-03-01T08:00:00",
            "2026-02-30T08:00:00Z",
            "../..",
            "a/b/c",
            "2026-03-10T00:00:00Z/2026-03-01T00:00:00Z",
        ],
    )
    def test_malformed_datetimes(self, shapes, raw):
        assert refused(shapes["events"], {"datetime": raw}).code == "invalid_datetime"

    def test_a_point_has_no_degrees_shortcut(self, town):
        # The distance is measured in metres on the ellipsoid, not degrees: 0.001° of longitude at
        # latitude 31.9 is about 94.6 m, so 90 m misses and 100 m finds.
        point = Point(35.904, 31.905, srid=4326)
        assert venue_codes(Selection(within=point, distance=90.0)) == []
        assert venue_codes(Selection(within=point, distance=100.0)) == ["w-park-1"]
