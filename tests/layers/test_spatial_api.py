"""The planners' spatial queries over HTTP: /api/v1/layers/ (features, aggregates), and `datetime`
on the OGC API items. Known counts, areas and lengths (pyproj geodesics), permissions, refusals."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from geo_services.core.roles import Role
from layers.registry import Attribute, Layer, registry
from tests.factories import UserFactory
from tests.layers.planning_data import (
    AREA_ACROSS,
    AREA_INSIDE_WEST,
    LINE_ACROSS,
    LINE_INSIDE_EAST,
    Town,
    build_town,
    geodesic_area,
    geodesic_length,
    rectangle,
    shape_layers,
)


@pytest.fixture
def town(db: None) -> Town:
    return build_town()


@pytest.fixture
def shapes(db: None) -> Iterator[dict[str, Layer]]:
    with shape_layers() as layers:
        yield layers


@pytest.fixture
def planners_venues() -> Iterator[Layer]:
    """The venues under another id that only planners may read, unregistered after the test."""
    venues = registry.get("venues")
    assert venues is not None
    layer = registry.register(
        Layer(
            id="planners-venues",
            title_ar="مرافق للتخطيط",
            title_en="Planners' venues",
            description_ar="",
            description_en="",
            table=venues.table,
            id_column="id",
            geometry_column=venues.geometry_column,
            geometry_type="Point",
            attributes=(Attribute("code", "code", "string", "code"),),
            public_condition="active",
            readers=frozenset({Role.PLANNER}),
        )
    )
    yield layer
    registry.unregister(layer.id)


def signed_in(*roles: str) -> Client:
    client = Client()
    client.force_login(UserFactory.create(roles=list(roles)))
    return client


def features(client: Client, layer: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/layers/{layer}/features/", params)
    assert response.status_code == 200, response.content[:400]
    assert response["Content-Type"] == "application/geo+json"
    return response.json()


def codes(collection: dict[str, Any]) -> list[str]:
    return sorted(feature["properties"]["code"] for feature in collection["features"])


def aggregate(client: Client, layer: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/v1/layers/{layer}/aggregate/", params)
    assert response.status_code == 200, response.content[:400]
    return response.json()


def by_code(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["code"]: row for row in document["districts"]}


def post_json(client: Client, url: str, body: object, **headers: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


EN: dict[str, Any] = {"HTTP_ACCEPT_LANGUAGE": "en"}


class TestLayerList:
    def test_anyone_sees_the_public_layers_with_their_attributes(self, client, db, planners_venues):
        response = client.get("/api/v1/layers/")
        assert response.status_code == 200
        layers = {layer["id"]: layer for layer in response.json()["layers"]}
        assert {"districts", "venues"} <= set(layers)
        assert "planners-venues" not in layers
        venues = layers["venues"]
        attributes = {attribute["name"]: attribute["type"] for attribute in venues["attributes"]}
        assert attributes["capacity"] == "integer"
        assert attributes["kind"] == "string"
        assert venues["geometry_type"] == "Point"
        assert venues["temporal"] is False
        assert venues["links"]["export"].endswith("/api/v1/layers/venues/export/")
        assert venues["links"]["features"].endswith("/api/v1/layers/venues/features/")

    def test_a_planner_also_sees_the_layers_of_the_role(self, db, planners_venues):
        layers = [layer["id"] for layer in signed_in("planner").get("/api/v1/layers/").json()["layers"]]
        assert "planners-venues" in layers

    def test_the_schema_documents_the_endpoints(self, client, db):
        schema = client.get("/api/schema/", {"format": "json"}).content.decode()
        assert "/api/v1/layers/{layer_id}/features/" in schema
        assert "/api/v1/layers/{layer_id}/aggregate/" in schema


class TestFeatures:
    def test_a_district_and_an_attribute(self, client, town):
        found = features(client, "venues", district="west", kind="park")
        assert codes(found) == ["w-park-1", "w-park-2"]
        assert found["numberMatched"] == 2
        assert found["numberReturned"] == 2
        feature = found["features"][0]
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"

    def test_paging(self, client, town):
        first = features(client, "venues", district="west", limit=2)
        second = features(client, "venues", district="west", limit=2, offset=2)
        assert first["numberMatched"] == second["numberMatched"] == 3
        assert (first["numberReturned"], second["numberReturned"]) == (2, 1)
        assert sorted(codes(first) + codes(second)) == ["w-hall", "w-park-1", "w-park-2"]

    def test_a_drawn_polygon_sent_as_a_body_equals_the_query_string(self, client, town):
        polygon = {"type": "Polygon", "coordinates": [rectangle(35.904, 31.904, 35.926, 31.911)]}
        posted = post_json(client, "/api/v1/layers/venues/features/", {"intersects": polygon, "limit": 10})
        assert posted.status_code == 200, posted.content
        from_url = features(client, "venues", intersects=json.dumps(polygon))
        assert codes(posted.json()) == codes(from_url) == ["e-park", "w-hall", "w-park-1"]

    def test_within_a_distance(self, client, town):
        found = features(client, "venues", within="POINT(35.910 31.910)", distance="700")
        assert codes(found) == ["w-hall"]

    def test_answers_in_two_queries(self, client, town, django_assert_num_queries):
        # One to find the district by its code, one for the features and their count.
        with django_assert_num_queries(2):
            client.get("/api/v1/layers/venues/features/", {"district": "west", "kind": "park"})


class TestAggregates:
    def test_points_count_and_sum_per_district_and_in_total(self, client, town):
        document = aggregate(client, "venues", by="district", sum="capacity")
        rows = by_code(document)
        assert set(rows) == {"west", "east"}
        assert rows["west"] == {
            "district_id": town.west.pk,
            "code": "west",
            "name_ar": "الغرب",
            "name_en": "West",
            "jurisdiction": "testtown",
            "count": 3,
            "sum": 450,
        }
        assert (rows["east"]["count"], rows["east"]["sum"]) == (2, 60)
        # The total counts the venue outside every district too, but never the inactive one.
        assert document["total"] == {"count": 6, "sum": 520}

    def test_the_aggregate_follows_the_selection(self, client, town):
        document = aggregate(client, "venues", kind="park", district="east")
        assert [(row["code"], row["count"]) for row in document["districts"]] == [("east", 1)]
        assert document["total"] == {"count": 1}

    def test_polygon_areas_in_square_metres_clipped_to_each_district(self, client, shapes, town):
        document = aggregate(client, "test-areas", sum="amount")
        rows = by_code(document)
        west_part = geodesic_area(rectangle(35.915, 31.910, 35.920, 31.915))
        east_part = geodesic_area(rectangle(35.920, 31.910, 35.925, 31.915))
        assert rows["west"]["count"] == 2
        assert rows["west"]["area_m2"] == pytest.approx(geodesic_area(AREA_INSIDE_WEST) + west_part, rel=1e-6)
        assert rows["west"]["sum"] == pytest.approx(12.5)
        assert rows["east"]["count"] == 1
        assert rows["east"]["area_m2"] == pytest.approx(east_part, rel=1e-6)
        assert "length_m" not in rows["east"]
        whole = geodesic_area(AREA_INSIDE_WEST) + geodesic_area(AREA_ACROSS)
        assert document["total"]["area_m2"] == pytest.approx(whole, rel=1e-6)
        assert document["total"]["count"] == 2

    def test_the_area_of_a_square_district(self, client, town):
        document = aggregate(client, "districts", district="west")
        rows = by_code(document)
        assert rows["west"]["area_m2"] == pytest.approx(
            geodesic_area(rectangle(35.90, 31.90, 35.92, 31.92)), rel=1e-6
        )
        # East touches west along their border, so it is selected too (with no area inside west).
        assert rows["east"]["area_m2"] == pytest.approx(
            geodesic_area(rectangle(35.92, 31.90, 35.94, 31.92)), rel=1e-6
        )
        assert document["total"]["count"] == 2

    def test_line_lengths_in_metres_clipped_to_each_district(self, client, shapes, town):
        document = aggregate(client, "test-lines")
        rows = by_code(document)
        border = (35.92, LINE_ACROSS[0][1])
        assert rows["west"]["length_m"] == pytest.approx(geodesic_length(LINE_ACROSS[0], border), rel=1e-6)
        assert rows["east"]["length_m"] == pytest.approx(
            geodesic_length(*LINE_INSIDE_EAST) + geodesic_length(border, LINE_ACROSS[1]), rel=1e-6
        )
        assert rows["east"]["count"] == 2
        total = geodesic_length(*LINE_INSIDE_EAST) + geodesic_length(*LINE_ACROSS)
        assert document["total"] == {"count": 2, "length_m": pytest.approx(total, rel=1e-6)}
        assert "area_m2" not in document["total"]

    def test_a_post_body_gives_the_same_aggregate(self, client, town):
        posted = post_json(client, "/api/v1/layers/venues/aggregate/", {"by": "district", "sum": "capacity"})
        assert posted.status_code == 200, posted.content
        assert posted.json() == aggregate(client, "venues", by="district", sum="capacity")

    def test_a_selection_too_heavy_for_the_time_limit_asks_to_be_narrowed(self, client, town):
        venues = registry.get("venues")
        assert venues is not None
        # A layer whose every row takes 20 ms, under a 100 ms limit: the aggregate cannot finish.
        slow = dataclasses.replace(venues, id="slow-venues", public_condition="pg_sleep(0.02) IS NOT NULL")
        registry.register(slow)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL statement_timeout = 100")
            response = client.get("/api/v1/layers/slow-venues/aggregate/", **EN)
        finally:
            registry.unregister(slow.id)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "query_too_long"
        assert "Narrow it" in response.json()["error"]["message"]


class TestPermissions:
    @pytest.mark.parametrize("roles", [(), ("citizen",), ("inspector",), ("dispatcher",)])
    def test_an_unreadable_layer_is_unknown(self, town, planners_venues, roles):
        client = signed_in(*roles) if roles else Client()
        for endpoint in ("features", "aggregate"):
            response = client.get(f"/api/v1/layers/planners-venues/{endpoint}/")
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "unknown_layer"
            # Named once, as asked for; never among the layers offered instead.
            assert response.json()["error"]["message"].count("planners-venues") == 1

    def test_a_planner_reads_it(self, town, planners_venues):
        client = signed_in("planner")
        assert features(client, "planners-venues", district="east")["numberMatched"] == 2
        assert aggregate(client, "planners-venues")["total"]["count"] == 6

    def test_an_unknown_layer_is_a_404(self, client, db):
        response = client.get("/api/v1/layers/no-such-layer/features/")
        assert response.status_code == 404
        assert "venues" in response.json()["error"]["message"]


SELF_INTERSECTING = [[35.9, 31.9], [35.91, 31.91], [35.91, 31.9], [35.9, 31.91], [35.9, 31.9]]
UNCLOSED = [[35.9, 31.9], [35.91, 31.9], [35.91, 31.91], [35.9, 31.91]]


class TestBadInput:
    @pytest.mark.parametrize(
        ("params", "code", "words"),
        [
            ({"bbox": "35.95,31.9,35.90,31.92"}, "invalid_bbox", "order"),
            ({"district": "atlantis"}, "unknown_district", "atlantis"),
            ({"within": "POINT(35.9 31.9)", "distance": "-5"}, "invalid_distance", "metres"),
            ({"within": "POINT(35.9 31.9)", "distance": "1000000"}, "invalid_distance", "100000"),
            ({"within": "POINT(35.9 31.9)", "distance": "NaN"}, "invalid_input", "finite"),
            ({"intersects": "SRID=32636;POINT(770000 3540000)"}, "unknown_srid", "4326"),
            ({"intersects": "POINT(Infinity 31.9)"}, "invalid_geometry", "intersects"),
            ({"sum": "colour"}, "unknown_attribute", "capacity"),
            ({"sum": "kind"}, "unknown_attribute", "capacity"),
            ({"by": "street"}, "invalid_grouping", "district"),
            ({"limit": "5"}, "unknown_parameter", "limit"),
            ({"capacity": "lots"}, "not_an_integer", "capacity"),
        ],
    )
    def test_aggregate_query_strings(self, client, town, params, code, words):
        response = client.get("/api/v1/layers/venues/aggregate/", params, **EN)
        assert response.status_code == 400, response.content
        error = response.json()["error"]
        assert error["code"] == code
        assert words in error["message"]

    @pytest.mark.parametrize(
        ("body", "code", "words"),
        [
            (
                {"intersects": {"type": "Polygon", "coordinates": [SELF_INTERSECTING]}},
                "invalid_geometry",
                "Self-intersection",
            ),
            ({"intersects": {"type": "Polygon", "coordinates": [UNCLOSED]}}, "invalid_geometry", "closed"),
            (
                {
                    "intersects": {
                        "type": "Point",
                        "coordinates": [770000, 3540000],
                        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::32636"}},
                    }
                },
                "unknown_srid",
                "unknown SRID",
            ),
            (
                {"intersects": {"type": "Point", "coordinates": ["35.9", "31.9"]}},
                "invalid_geometry",
                "finite numbers",
            ),
            ({"bbox": "35.9,31.9,35.95,31.92", "distance": 5}, "incomplete_distance_search", "within"),
            ({"within": "POINT(35.9 31.9)", "distance": "far"}, "invalid_input", "distance"),
            ({"within": "POINT(35.9 31.9)", "distance": [5]}, "wrong_type", "distance"),
            ({"bbox": {"west": 35.9}}, "wrong_type", "bbox"),
            ({"limit": 0}, "out_of_range", "limit"),
            ({"limit": "ten"}, "not_an_integer", "limit"),
            ({"colour": "red"}, "unknown_parameter", "colour"),
            ({"district": ["west", "atlantis"]}, "unknown_district", "atlantis"),
        ],
    )
    def test_feature_bodies(self, client, town, body, code, words):
        response = post_json(client, "/api/v1/layers/venues/features/", body, **EN)
        assert response.status_code == 400, response.content
        error = response.json()["error"]
        assert error["code"] == code
        assert words in error["message"]

    def test_more_vertices_than_the_setting_allows(self, client, town, settings):
        settings.AMANAH_QUERY_MAX_VERTICES = 100
        ring = [[35.9 + i * 0.0001, 31.9] for i in range(120)] + [[35.9, 31.95], [35.9, 31.9]]
        response = post_json(
            client,
            "/api/v1/layers/venues/features/",
            {"intersects": {"type": "Polygon", "coordinates": [ring]}},
            **EN,
        )
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "too_many_vertices"
        assert "100 vertices" in response.json()["error"]["message"]

    @pytest.mark.parametrize(
        "raw",
        [
            '{"intersects": ',
            '{"intersects": {"type": "Point", "coordinates": [NaN, 31.9]}}',
            '{"distance": Infinity}',
        ],
    )
    def test_malformed_json(self, client, town, raw):
        response = client.post("/api/v1/layers/venues/features/", raw, content_type="application/json", **EN)
        assert response.status_code == 400
        assert "not valid JSON" in response.json()["error"]["message"]

    def test_messages_are_arabic_unless_english_is_asked_for(self, client, town):
        params = {"bbox": "35.95,31.9,35.90,31.92"}
        arabic = client.get("/api/v1/layers/venues/features/", params).json()["error"]["message"]
        english = client.get("/api/v1/layers/venues/features/", params, **EN).json()["error"]["message"]
        assert "bbox" in arabic
        assert "order" not in arabic
        assert "order" in english

    def test_json_nested_too_deeply(self, client, town):
        response = client.post(
            "/api/v1/layers/venues/features/", "[" * 50_000, content_type="application/json"
        )
        assert response.status_code == 400
        deep = '{"type": "Point", "coordinates": ' + "[" * 5000 + "]" * 5000 + "}"
        response = client.get("/api/v1/layers/venues/features/", {"intersects": deep})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_geometry"

    def test_a_body_that_is_not_an_object(self, client, town):
        response = post_json(client, "/api/v1/layers/venues/aggregate/", [1, 2])
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_body"

    def test_a_post_with_parameters_in_the_url(self, client, town):
        response = post_json(client, "/api/v1/layers/venues/features/?kind=park", {})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "unknown_parameter"


class TestOgcDatetime:
    def items(self, client: Client, layer: str, **params: Any) -> Any:
        return client.get(f"/ogc/collections/{layer}/items", {"f": "json", **params}, **EN)

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("2026-03-10T12:00:00Z", [302]),
            ("2026-03-10T15:00:00+03:00", [302]),
            ("2026-03-01T08:00:00Z/2026-03-10T12:00:00Z", [301, 302]),
            ("../2026-03-10T11:59:59Z", [301]),
            ("2026-03-01T08:00:01Z/..", [302, 303]),
            ("2027-01-01T00:00:00Z/..", []),
        ],
    )
    def test_instants_and_intervals(self, client, shapes, value, expected):
        response = self.items(client, "test-events", datetime=value)
        assert response.status_code == 200, response.content
        document = response.json()
        assert sorted(feature["id"] for feature in document["features"]) == expected
        assert document["numberMatched"] == len(expected)

    def test_the_next_link_keeps_the_datetime(self, client, shapes):
        document = self.items(client, "test-events", datetime="2026-01-01T00:00:00Z/..", limit=1).json()
        next_link = next(link["href"] for link in document["links"] if link["rel"] == "next")
        assert "datetime=2026-01-01T00%3A00%3A00Z%2F.." in next_link

    def test_a_layer_without_time_refuses_datetime(self, client, town):
        response = self.items(client, "venues", datetime="2026-03-10T12:00:00Z")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "not_temporal"
        assert "venues has no time attribute" in response.json()["error"]["message"]

    @pytest.mark.parametrize("value", ["2026-03-10", "2026-13-10T12:00:00Z", "2026-03-10T12:00:00", "now/.."])
    def test_malformed_datetime(self, client, shapes, value):
        response = self.items(client, "test-events", datetime=value)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_datetime"
        assert (
            "RFC 3339" in response.json()["error"]["message"]
            or "real date" in response.json()["error"]["message"]
        )

    def test_the_openapi_definition_lists_datetime_for_temporal_layers_only(self, client, shapes):
        paths = client.get("/ogc/api", {"f": "json"}).json()["paths"]
        names = {
            layer: [p["name"] for p in paths[f"/collections/{layer}/items"]["get"]["parameters"]]
            for layer in ("test-events", "venues")
        }
        assert "datetime" in names["test-events"]
        assert "datetime" not in names["venues"]
