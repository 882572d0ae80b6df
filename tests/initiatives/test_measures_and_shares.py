"""Lengths and areas in metres on the ellipsoid (checked against pyproj's Geod, an independent
calculation), and the crossing rule: an initiative across districts is attributed by share."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import LineString, MultiPoint, Point
from pyproj import Geod

from geo_services.initiatives.models import InitiativeDistrictShare
from tests.initiatives.factories import BORDER_LON, InitiativeFactory, box, sidewalk, station

WGS84 = Geod(ellps="WGS84")


def shares_of(initiative_id: int) -> dict[str, InitiativeDistrictShare]:
    return {
        s.district.code: s
        for s in InitiativeDistrictShare.objects.select_related("district").filter(
            initiative_id=initiative_id
        )
    }


class TestMeasures:
    def test_sidewalk_length_matches_geod(self, city):
        line = LineString((46.61, 24.61), (46.62, 24.615), (46.63, 24.612), srid=4326)
        segment = sidewalk(city, line)
        segment.refresh_from_db()
        lons, lats = zip(*line.coords, strict=True)
        expected = WGS84.line_length(lons, lats)
        assert expected > 2000
        assert segment.length_m == pytest.approx(expected, rel=0.005)
        assert segment.area_m2 is None

    def test_park_area_matches_geod(self, city):
        shape = box(46.62, 24.62, 46.63, 24.63)
        park = InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks, geom=shape)
        park.refresh_from_db()
        lons, lats = zip(*shape.exterior_ring.coords, strict=True)
        expected, _perimeter = WGS84.polygon_area_perimeter(lons, lats)
        assert abs(expected) > 1_000_000  # about 1.0 x 1.1 km
        assert park.area_m2 == pytest.approx(abs(expected), rel=0.005)
        assert park.length_m is None

    def test_measures_follow_a_new_shape_and_ignore_hand_written_values(self, city):
        park = InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks)
        park.refresh_from_db()
        first_area = park.area_m2
        park.area_m2 = 1.0  # whatever a client writes is replaced by the database's measure
        park.save()
        park.refresh_from_db()
        assert park.area_m2 == pytest.approx(first_area)
        park.geom = box(46.62, 24.62, 46.64, 24.63)
        park.save()
        park.refresh_from_db()
        assert first_area is not None
        assert park.area_m2 == pytest.approx(2 * first_area, rel=0.01)


class TestCrossingDistricts:
    def test_a_line_across_the_border_is_attributed_by_length(self, city):
        # 0.05 degrees west of the border, 0.08 east: the larger share decides the district.
        line = LineString((BORDER_LON - 0.05, 24.65), (BORDER_LON + 0.08, 24.65), srid=4326)
        segment = sidewalk(city, line)
        segment.refresh_from_db()
        shares = shares_of(segment.pk)
        assert set(shares) == {city.west.code, city.east.code}
        assert segment.district_id == city.east.pk
        west_m = WGS84.line_length([BORDER_LON - 0.05, BORDER_LON], [24.65, 24.65])
        east_m = WGS84.line_length([BORDER_LON, BORDER_LON + 0.08], [24.65, 24.65])
        assert shares[city.west.code].length_m == pytest.approx(west_m, rel=0.005)
        assert shares[city.east.code].length_m == pytest.approx(east_m, rel=0.005)
        assert shares[city.west.code].share == pytest.approx(5 / 13, rel=0.005)
        assert sum(s.share for s in shares.values()) == pytest.approx(1)
        assert sum(s.length_m or 0.0 for s in shares.values()) == pytest.approx(segment.length_m)

    def test_a_polygon_across_the_border_is_attributed_by_area(self, city):
        # Two thirds west of the border, one third east.
        shape = box(BORDER_LON - 0.02, 24.64, BORDER_LON + 0.01, 24.66)
        park = InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks, geom=shape)
        park.refresh_from_db()
        shares = shares_of(park.pk)
        assert park.district_id == city.west.pk
        assert shares[city.west.code].share == pytest.approx(2 / 3, rel=0.005)
        assert shares[city.east.code].share == pytest.approx(1 / 3, rel=0.005)
        assert sum(s.area_m2 or 0.0 for s in shares.values()) == pytest.approx(park.area_m2)

    def test_moving_the_shape_rewrites_the_shares(self, city):
        park = InitiativeFactory.create(
            jurisdiction=city.jurisdiction, department=city.parks, geom=box(46.75, 24.62, 46.76, 24.63)
        )
        assert set(shares_of(park.pk)) == {city.east.code}
        park.geom = box(46.62, 24.62, 46.63, 24.63)
        park.save()
        park.refresh_from_db()
        assert set(shares_of(park.pk)) == {city.west.code}
        assert park.district_id == city.west.pk

    def test_a_line_along_the_border_is_half_in_each_district(self, city):
        line = LineString((BORDER_LON, 24.62), (BORDER_LON, 24.68), srid=4326)
        segment = sidewalk(city, line)
        segment.refresh_from_db()
        shares = shares_of(segment.pk)
        assert shares[city.west.code].share == pytest.approx(0.5)
        assert shares[city.east.code].share == pytest.approx(0.5)
        assert segment.district_id == min(city.west.pk, city.east.pk)

    def test_trees_are_shared_by_count_and_a_border_point_goes_to_one_district(self, city):
        trees = InitiativeFactory.create(
            jurisdiction=city.jurisdiction,
            department=city.parks,
            feature_type="trees",
            geom=MultiPoint(
                Point(46.65, 24.65),
                Point(46.66, 24.65),
                Point(46.75, 24.65),
                Point(BORDER_LON, 24.65),
                srid=4326,
            ),
        )
        shares = shares_of(trees.pk)
        lower, higher = sorted([city.west, city.east], key=lambda d: d.pk)
        assert shares[lower.code].share + shares[higher.code].share == pytest.approx(1)
        assert shares[city.west.code].share == pytest.approx(0.75 if lower == city.west else 0.5)

    def test_a_station_lies_in_one_district(self, city):
        point = station(city, Point(46.75, 24.65, srid=4326))
        point.refresh_from_db()
        assert point.district_id == city.east.pk
        assert {code: s.share for code, s in shares_of(point.pk).items()} == {city.east.code: 1.0}
