"""Point -> district lookup: the rule every app routes by."""

from __future__ import annotations

import json

import pytest
import shapely
from django.db import connection
from django.utils.text import slugify
from shapely.geometry import shape

from tests.conftest import DEMO_DISTRICTS_FILE, LIWA_FILE

LOOKUP = "/api/v1/districts/lookup/"


def _features(path):
    return json.loads(path.read_text())["features"]


def _inside_point(feature) -> tuple[float, float]:
    """A point well inside a feature, computed independently of PostGIS (lat, lon)."""
    point = shape(feature["geometry"]).point_on_surface()
    return point.y, point.x


def assert_each_feature_found(api_client, features, *, jurisdiction: str, expected_code) -> None:
    """Looks up a point inside each feature and checks the answer names that feature."""
    for feature in features:
        lat, lon = _inside_point(feature)
        response = api_client.get(LOOKUP, {"lat": lat, "lon": lon, "jurisdiction": jurisdiction})
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["code"] == expected_code(feature)
        assert body["name_ar"] == feature["properties"]["name_ar"]
        assert body["jurisdiction"]["code"] == jurisdiction
        assert body["on_border_with"] == []


@pytest.mark.django_db
class TestDemoDistricts:
    def test_every_demo_district_is_found_at_a_point_inside_it(self, amman, api_client):
        features = _features(DEMO_DISTRICTS_FILE)
        assert len(features) == 22
        assert_each_feature_found(
            api_client, features, jurisdiction="amman", expected_code=lambda f: f["properties"]["code"]
        )
        response = api_client.get(LOOKUP, {"lat": 31.9516, "lon": 35.9393, "jurisdiction": "amman"})
        assert response.json()["jurisdiction"]["time_zone"] == "Asia/Amman"

    def test_downtown_amman_is_al_madina(self, amman, api_client):
        response = api_client.get(LOOKUP, {"lat": "31.9516", "lon": "35.9393"})
        assert response.status_code == 200
        assert response.json()["code"] == "al-madina"

    def test_point_outside_every_district_is_404_with_a_message(self, amman, api_client):
        # Aqaba, 300 km south of Amman.
        response = api_client.get(LOOKUP, {"lat": 29.53, "lon": 35.0, "jurisdiction": "amman"})
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["code"] == "outside_districts"
        assert "29.53" in error["message"]

    def test_point_on_a_shared_border_goes_to_the_lower_code_every_time(self, amman, api_client):
        with connection.cursor() as cursor:
            # The midpoint of the first segment of the border shared by two neighbouring districts.
            cursor.execute(
                """
                SELECT a.code, b.code,
                       ST_Y(ST_LineInterpolatePoint(l.line, 0.5)), ST_X(ST_LineInterpolatePoint(l.line, 0.5))
                FROM core_district a
                JOIN core_district b ON a.jurisdiction_id = b.jurisdiction_id AND a.code < b.code
                CROSS JOIN LATERAL (
                    SELECT ST_GeometryN(ST_LineMerge(ST_CollectionExtract(ST_Intersection(a.geom, b.geom), 2)), 1)
                    AS line
                ) l
                WHERE a.code = 'al-madina' AND ST_Length(l.line) > 0
                ORDER BY b.code LIMIT 1
                """
            )
            first, second, lat, lon = cursor.fetchone()
        answers = {
            json.dumps(api_client.get(LOOKUP, {"lat": repr(lat), "lon": repr(lon)}).json(), sort_keys=True)
            for _ in range(5)
        }
        assert len(answers) == 1
        body = json.loads(answers.pop())
        assert body["code"] == first
        assert [d["code"] for d in body["on_border_with"]] == [second]

    def test_bad_coordinates_are_400(self, amman, api_client):
        cases = [
            ({"lon": "35.9"}, "missing_parameter"),
            ({"lat": "31.9"}, "missing_parameter"),
            ({"lat": "", "lon": "35.9"}, "missing_parameter"),
            ({"lat": "abc", "lon": "35.9"}, "invalid_input"),
            ({"lat": "nan", "lon": "35.9"}, "invalid_input"),
            ({"lat": "31.9", "lon": "inf"}, "invalid_input"),
            ({"lat": "91", "lon": "35.9"}, "out_of_range"),
            ({"lat": "31.9", "lon": "-180.5"}, "out_of_range"),
            ({"lat": "1e400", "lon": "35.9"}, "invalid_input"),
            ({"lat": "31.9", "lon": "35.9", "jurisdiction": "atlantis"}, "unknown_jurisdiction"),
        ]
        for params, code in cases:
            response = api_client.get(LOOKUP, params)
            assert response.status_code == 400, (params, response.content)
            assert response.json()["error"]["code"] == code, params
            assert response.json()["error"]["message"]

    def test_messages_are_arabic_by_default_and_english_on_request(self, amman, api_client):
        arabic = api_client.get(LOOKUP, {"lat": "91", "lon": "35.9"}).json()["error"]["message"]
        english = api_client.get(LOOKUP, {"lat": "91", "lon": "35.9"}, HTTP_ACCEPT_LANGUAGE="en").json()
        assert "between -90 and 90" in english["error"]["message"]
        assert arabic != english["error"]["message"]
        assert any("\u0600" <= ch <= "\u06ff" for ch in arabic)

    def test_lookup_is_one_query(self, amman, api_client, django_assert_num_queries):
        # The covering districts with their jurisdiction, filtered by the jurisdiction code, at once.
        with django_assert_num_queries(1):
            response = api_client.get(LOOKUP, {"lat": 31.9516, "lon": 35.9393, "jurisdiction": "amman"})
        assert response.status_code == 200

    def test_lookup_query_uses_the_gist_index_on_district_parts(self, amman):
        from django.contrib.gis.geos import Point

        from geo_services.core.selectors import covering_districts_query, districts_covering_point

        point = Point(35.9393, 31.9516, srid=4326)
        assert [d.code for d in districts_covering_point(point, jurisdiction_code="amman")] == ["al-madina"]
        sql, params = covering_districts_query(point, jurisdiction_code="amman")
        with connection.cursor() as cursor:
            # 22 districts are few enough that the planner may prefer a sequential scan; forbidding it
            # shows the predicate can use the index (a non-sargable form would still seq-scan).
            cursor.execute("SET LOCAL enable_seqscan = off")
            # Statistics left by earlier tests (near-empty tables) would make any index look as good.
            cursor.execute("ANALYZE core_districtpart, core_district, core_jurisdiction")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "core_districtpart_geom" in plan, plan
        assert "Seq Scan on core_districtpart" not in plan, plan


@pytest.mark.django_db
class TestRealBoundaries:
    """The OSM national districts (liwa') of Amman Governorate, imported with import_boundaries."""

    def test_every_liwa_district_is_found_with_its_population(self, liwa, api_client):
        features = _features(LIWA_FILE)
        assert len(features) == 9
        assert_each_feature_found(
            api_client,
            features,
            jurisdiction="amman-liwa",
            expected_code=lambda f: slugify(f["properties"]["name_en"]),
        )
        populations = dict(liwa.districts.values_list("name_en", "population"))
        assert populations == {
            f["properties"]["name_en"]: f["properties"]["population_2024"] for f in features
        }

    def test_known_places(self, liwa, api_client):
        places = {
            (31.9516, 35.9393): "amman-qasabah-district",  # downtown Amman
            (31.8717, 36.0044): "sahab-district",  # Sahab town
        }
        for (lat, lon), code in places.items():
            response = api_client.get(LOOKUP, {"lat": lat, "lon": lon, "jurisdiction": "amman-liwa"})
            assert response.json()["code"] == code

    def test_outside_the_governorate(self, liwa, api_client):
        response = api_client.get(LOOKUP, {"lat": 32.55, "lon": 35.85, "jurisdiction": "amman-liwa"})  # Irbid
        assert response.status_code == 404

    def test_jurisdiction_parameter_chooses_among_overlapping_jurisdictions(self, amman, liwa, api_client):
        params = {"lat": 31.9516, "lon": 35.9393}
        assert api_client.get(LOOKUP, {**params, "jurisdiction": "amman"}).json()["code"] == "al-madina"
        assert api_client.get(LOOKUP, {**params, "jurisdiction": "amman-liwa"}).json()["code"] == (
            "amman-qasabah-district"
        )
        # Without one, the jurisdiction code decides: "amman" sorts before "amman-liwa".
        unscoped = api_client.get(LOOKUP, params).json()
        assert unscoped["jurisdiction"]["code"] == "amman"
        assert unscoped["code"] == "al-madina"
        # The other jurisdiction's district overlaps; it is not a neighbour across a border.
        assert unscoped["on_border_with"] == []

    def test_point_on_an_edge_between_subdivided_parts_of_one_district(self, liwa, api_client):
        """A district cut by ST_Subdivide is still one district along the cut (MapIt's edge case)."""
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT d.code, ST_Y(pt), ST_X(pt) FROM (
                    SELECT p1.district_id,
                           ST_LineInterpolatePoint(
                               ST_GeometryN(ST_LineMerge(ST_CollectionExtract(ST_Intersection(p1.geom, p2.geom), 2)), 1),
                               0.5) AS pt
                    FROM core_districtpart p1
                    JOIN core_districtpart p2 ON p1.district_id = p2.district_id AND p1.id < p2.id
                    WHERE p1.jurisdiction_id = %s
                      AND ST_Dimension(ST_Intersection(p1.geom, p2.geom)) = 1
                ) cut JOIN core_district d ON d.id = cut.district_id
                WHERE NOT ST_Intersects(ST_Boundary(d.geom), ST_Buffer(pt, 1e-9))
                LIMIT 1
                """,
                [liwa.pk],
            )
            row = cursor.fetchone()
        assert row is not None, "expected at least one district large enough to be subdivided"
        code, lat, lon = row
        response = api_client.get(LOOKUP, {"lat": repr(lat), "lon": repr(lon), "jurisdiction": "amman-liwa"})
        assert response.status_code == 200
        assert response.json()["code"] == code
        assert response.json()["on_border_with"] == []

    def test_parts_cover_exactly_their_district(self, liwa):
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT d.code, ST_Area(d.geom), ST_Area(ST_SymDifference(d.geom, ST_Union(p.geom)))
                FROM core_district d JOIN core_districtpart p ON p.district_id = d.id
                WHERE d.jurisdiction_id = %s GROUP BY d.id
                """,
                [liwa.pk],
            )
            rows = cursor.fetchall()
        assert len(rows) == 9
        # Planar comparison in degrees: the parts are cut along straight lines in lon/lat.
        for code, district_area, difference in rows:
            assert difference < district_area * 1e-9, code


@pytest.mark.django_db
def test_service_function_is_the_same_rule(amman):
    from geo_services.core.parsing import parse_lat_lon
    from geo_services.core.selectors import district_for_point

    match = district_for_point(parse_lat_lon("32.02", "35.84"), jurisdiction_code=amman.code)
    assert match.district.code == "sweileh"
    assert shapely.Point(35.84, 32.02).within(
        shape(
            next(f for f in _features(DEMO_DISTRICTS_FILE) if f["properties"]["code"] == "sweileh")[
                "geometry"
            ]
        )
    )


@pytest.mark.django_db
def test_prepared_and_plain_lookups_agree(amman, liwa, settings):
    from geo_services.core.parsing import parse_lat_lon
    from geo_services.core.selectors import districts_covering_point

    points = [
        parse_lat_lon(lat, lon)
        for lat, lon in [("31.9516", "35.9393"), ("31.8717", "36.0044"), ("29.5", "35")]
    ]
    settings.DB_PREPARED_LOOKUPS = True
    prepared = [
        (districts_covering_point(p), districts_covering_point(p, jurisdiction_code="amman")) for p in points
    ]
    settings.DB_PREPARED_LOOKUPS = False
    plain = [
        (districts_covering_point(p), districts_covering_point(p, jurisdiction_code="amman")) for p in points
    ]
    assert prepared == plain
    assert [d.code for d in prepared[0][0]] == ["al-madina", "amman-qasabah-district"]
