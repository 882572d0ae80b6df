"""The initiatives API over HTTP: planning, the public map, changing, who may do what, and bad input
answered with a 400 that says what is wrong while nothing is written."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from django.contrib.gis.geos import LineString
from django.utils import translation
from rest_framework.test import APIClient

from geo_services.core.models import StaffMember
from geo_services.initiatives.models import Initiative, InitiativeDistrictShare
from tests.initiatives.conftest import row_counts
from tests.initiatives.factories import BORDER_LON, InitiativeFactory, geojson_box, sidewalk

LIST = "/api/v1/initiatives/"


def detail(initiative_id: int) -> str:
    return f"/api/v1/initiatives/{initiative_id}/"


def park_body(city: Any, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "jurisdiction": city.jurisdiction.code,
        "kind": "green_space",
        "feature_type": "park",
        "name_ar": "حديقة الحي",
        "name_en": "Neighbourhood park",
        "planned_start": "2026-03-01",
        "planned_end": "2026-10-31",
        "department": "parks",
        "budget": "150000.500",
        "geometry": geojson_box(46.62, 24.62, 46.63, 24.63),
    }
    body.update(overrides)
    return body


def client_for(user: Any) -> APIClient:
    # API clients choose their language with Accept-Language (pages stay Arabic first).
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


class TestPlanAndRead:
    def test_a_planner_plans_a_park_and_the_public_sees_it_without_the_budget(self, city, people):
        response = client_for(people.planner).post(LIST, park_body(city), format="json")
        assert response.status_code == 201, response.content
        feature = response.json()
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Polygon"
        properties = feature["properties"]
        assert properties["status"] == "planned"
        assert properties["district"]["code"] == city.west.code
        assert properties["area_m2"] > 1_000_000
        assert properties["budget"] == "150000.500"
        assert properties["currency"] == "SAR"

        public = APIClient().get(detail(feature["id"]))
        assert public.status_code == 200
        assert "budget" not in public.json()["properties"]
        assert public.json()["properties"]["name_en"] == "Neighbourhood park"

    def test_the_code_is_made_when_none_is_given_and_a_duplicate_is_a_conflict(self, city, people):
        client = client_for(people.planner)
        made = client.post(LIST, park_body(city), format="json").json()
        assert made["properties"]["code"].startswith("park-")
        client.post(LIST, park_body(city, code="central-park"), format="json")
        before = row_counts()
        again = client.post(LIST, park_body(city, code="central-park"), format="json")
        assert again.status_code == 409
        assert again.json()["error"]["code"] == "duplicate_code"
        assert row_counts() == before

    def test_a_sidewalk_with_its_width_surface_and_ramps(self, city, people):
        body = park_body(
            city,
            kind="model_sidewalk",
            feature_type="sidewalk_segment",
            department="roads",
            geometry={"type": "LineString", "coordinates": [[46.61, 24.61], [46.62, 24.615]]},
            width_m=2.5,
            surface="interlocking_tiles",
            ramps_count=3,
        )
        response = client_for(people.planner).post(LIST, body, format="json")
        assert response.status_code == 201, response.content
        properties = response.json()["properties"]
        assert (properties["width_m"], properties["surface"], properties["ramps_count"]) == (
            2.5,
            "interlocking_tiles",
            3,
        )
        assert properties["length_m"] > 1000

    def test_the_map_is_a_feature_collection_filtered_by_kind_status_and_district(self, city, people):
        park = InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks)
        crossing = sidewalk(
            city, LineString((BORDER_LON - 0.01, 24.65), (BORDER_LON + 0.05, 24.65), srid=4326)
        )
        client = APIClient()
        everything = client.get(LIST, {"jurisdiction": city.jurisdiction.code})
        assert everything.status_code == 200
        assert everything["Content-Type"] == "application/geo+json"
        document = json.loads(everything.content)
        assert document["type"] == "FeatureCollection"
        assert {f["id"] for f in document["features"]} == {park.pk, crossing.pk}
        assert "budget" not in document["features"][0]["properties"]

        def ids(**params: str) -> set[int]:
            answer = client.get(LIST, {"jurisdiction": city.jurisdiction.code, **params})
            assert answer.status_code == 200, answer.content
            return {f["id"] for f in json.loads(answer.content)["features"]}

        assert ids(kind="model_sidewalk") == {crossing.pk}
        assert ids(status="planned") == {park.pk, crossing.pk}
        assert ids(status="done") == set()
        # The sidewalk has a share in the west district although most of it lies east.
        assert ids(district=city.west.code) == {park.pk, crossing.pk}
        assert ids(district=city.east.code) == {crossing.pk}

    def test_an_unknown_filter_value_is_a_400(self, city, db):
        with translation.override("en"):
            response = APIClient(HTTP_ACCEPT_LANGUAGE="en").get(
                LIST, {"jurisdiction": city.jurisdiction.code, "status": "finished"}
            )
        assert response.status_code == 400
        assert "status" in response.json()["error"]["message"]

    def test_a_planner_changes_the_shape_and_the_shares_follow(self, city, people):
        park = InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks)
        response = client_for(people.planner).patch(
            detail(park.pk),
            {"geometry": geojson_box(46.75, 24.62, 46.76, 24.63), "name_en": "Moved park"},
            format="json",
        )
        assert response.status_code == 200, response.content
        properties = response.json()["properties"]
        assert properties["district"]["code"] == city.east.code
        assert [s["district"] for s in properties["district_shares"]] == [city.east.code]
        assert properties["name_en"] == "Moved park"

    def test_progress_and_status_are_not_edited_directly(self, city, people):
        park = InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks)
        with translation.override("en"):
            response = client_for(people.planner).patch(detail(park.pk), {"status": "done"}, format="json")
        assert response.status_code == 400
        assert "progress updates" in response.json()["error"]["message"]
        park.refresh_from_db()
        assert park.status == "planned"


class TestWhoMay:
    @pytest.mark.parametrize(
        ("who", "department", "allowed"),
        [
            ("planner", "parks", True),
            ("admin", "roads", True),
            ("parks_dispatcher", "parks", True),
            ("parks_dispatcher", "roads", False),
            ("inspector", "parks", False),
            ("citizen", "parks", False),
            ("outside_planner", "parks", False),
        ],
    )
    def test_who_may_plan(self, city, people, who, department, allowed):
        before = row_counts()
        response = client_for(getattr(people, who)).post(
            LIST, park_body(city, department=department), format="json"
        )
        assert response.status_code == (201 if allowed else 403), response.content
        if not allowed:
            assert row_counts() == before
            assert response.json()["error"]["message"]

    def test_anonymous_may_read_but_not_plan(self, city, db):
        before = row_counts()
        response = APIClient().post(LIST, park_body(city), format="json")
        assert response.status_code in (401, 403)
        assert row_counts() == before

    def test_a_dispatcher_changes_only_the_initiatives_of_their_department(self, city, people):
        park = InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks)
        refused = client_for(people.roads_dispatcher).patch(
            detail(park.pk), {"name_en": "Mine"}, format="json"
        )
        assert refused.status_code == 403
        accepted = client_for(people.parks_dispatcher).patch(
            detail(park.pk), {"name_en": "Ours"}, format="json"
        )
        assert accepted.status_code == 200
        # …and cannot hand it to another department.
        handed = client_for(people.parks_dispatcher).patch(
            detail(park.pk), {"department": "roads"}, format="json"
        )
        assert handed.status_code == 403
        park.refresh_from_db()
        assert (park.name_en, park.department_id) == ("Ours", city.parks.pk)


def _ring_with(vertices: int) -> dict[str, Any]:
    """A valid polygon (points on a small circle) with `vertices` positions and the closing one."""
    ring = [
        [
            46.65 + 0.01 * math.cos(2 * math.pi * i / vertices),
            24.65 + 0.01 * math.sin(2 * math.pi * i / vertices),
        ]
        for i in range(vertices)
    ]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[46.62, 24.62], [46.63, 24.63], [46.63, 24.62], [46.62, 24.63], [46.62, 24.62]]],
}


class TestBadInput:
    @pytest.mark.parametrize(
        ("overrides", "code", "words"),
        [
            ({"geometry": BOW_TIE}, "invalid_geometry", "Self-intersection"),
            (
                {
                    "kind": "model_sidewalk",
                    "feature_type": "sidewalk_segment",
                    "department": "roads",
                    "width_m": 2,
                    "geometry": {"type": "LineString", "coordinates": [[46.62, 24.62], [46.62, 24.62]]},
                },
                "zero_length",
                "zero length",
            ),
            (
                {"geometry": geojson_box(10.0, 10.0, 10.1, 10.1)},
                "outside_jurisdiction",
                "outside the districts",
            ),
            (
                {"geometry": geojson_box(BORDER_LON + 0.05, 24.65, BORDER_LON + 0.15, 24.66)},
                "outside_jurisdiction",
                "50.0 %",
            ),
            (
                {
                    "geometry": {
                        **geojson_box(46.62, 24.62, 46.63, 24.63),
                        "crs": {"type": "name", "properties": {"name": "EPSG:3857"}},
                    }
                },
                "unknown_srid",
                "EPSG:3857",
            ),
            ({"geometry": _ring_with(30)}, "too_many_vertices", "more than 20 vertices"),
            (
                {"geometry": {"type": "Point", "coordinates": [46.65, 24.65]}},
                "wrong_geometry_type",
                "Polygon",
            ),
            (
                {"geometry": "POLYGON((46.62 24.62, 46.63 24.62, 46.62 24.63, 46.62 24.62))"},
                "invalid_geometry",
                "GeoJSON",
            ),
            (
                {"geometry": {"type": "Point", "coordinates": [200, 24.65]}},
                "invalid_geometry",
                "longitude comes first",
            ),
            ({"name_en": 42}, "invalid_input", "name_en must be text"),
            ({"budget": "a lot"}, "invalid_input", "budget must be a number"),
            ({"budget": -5}, "out_of_range", "budget"),
            ({"planned_end": "2026-01-01"}, "dates_out_of_order", "planned end"),
            ({"planned_start": "1 March"}, "invalid_date", "planned_start"),
            ({"feature_type": "sidewalk_segment"}, "wrong_feature_type", "green_space"),
            ({"department": "finance"}, "unknown_department", "finance"),
            ({"partners": [999999]}, "unknown_partner", "999999"),
            ({"width_m": 3}, "not_a_sidewalk", "sidewalk"),
        ],
    )
    def test_bad_plans_are_400_and_write_nothing(self, city, people, settings, overrides, code, words):
        settings.AMANAH_INITIATIVE_MAX_VERTICES = 20
        before = row_counts()
        with translation.override("en"):
            response = client_for(people.planner).post(LIST, park_body(city, **overrides), format="json")
        assert response.status_code == 400, response.content
        error = response.json()["error"]
        assert error["code"] == code
        assert words in error["message"]
        assert row_counts() == before

    def test_malformed_json_is_a_400(self, city, people):
        before = row_counts()
        response = client_for(people.planner).post(
            LIST, '{"kind": "green_space", ', content_type="application/json"
        )
        assert response.status_code == 400
        assert response.json()["error"]["message"]
        assert row_counts() == before

    def test_a_body_that_is_not_an_object_is_a_400(self, city, people):
        response = client_for(people.planner).post(LIST, [1, 2], format="json")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_body"

    def test_a_self_intersecting_change_is_refused_and_the_shape_kept(self, city, people):
        park = InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks)
        shape_before = Initiative.objects.get(pk=park.pk).geom
        shares_before = list(InitiativeDistrictShare.objects.values_list("district_id", "share"))
        response = client_for(people.planner).patch(detail(park.pk), {"geometry": BOW_TIE}, format="json")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_geometry"
        assert Initiative.objects.get(pk=park.pk).geom.equals_exact(shape_before)
        assert list(InitiativeDistrictShare.objects.values_list("district_id", "share")) == shares_before


def test_the_map_is_read_in_two_queries_whatever_its_size(city, django_assert_num_queries):
    for i in range(5):
        InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks, code=f"park-{i}")
    client = APIClient()
    # The jurisdiction, then the whole FeatureCollection built by PostGIS.
    with django_assert_num_queries(2):
        response = client.get(LIST, {"jurisdiction": city.jurisdiction.code, "kind": "green_space"})
    assert len(json.loads(response.content)["features"]) == 5


def test_a_dispatcher_of_some_districts_plans_only_there(city, people):
    StaffMember.objects.get(user=people.parks_dispatcher).districts.set([city.east])
    client = client_for(people.parks_dispatcher)
    before = row_counts()
    west = client.post(LIST, park_body(city), format="json")
    assert west.status_code == 403
    assert west.json()["error"]["code"] == "outside_your_scope"
    assert row_counts() == before
    east = client.post(LIST, park_body(city, geometry=geojson_box(46.75, 24.62, 46.76, 24.63)), format="json")
    assert east.status_code == 201
