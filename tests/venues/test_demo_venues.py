"""The Amman demo venues and the import behind them: idempotent by code, districts derived from the
location, all-or-nothing with reasons, and searchable once loaded."""

from __future__ import annotations

import copy
import json
from datetime import date, time

import pytest
from django.utils import translation

from geo_services.core.errors import ImportProblem
from geo_services.core.parsing import LonLat
from geo_services.core.selectors import district_for_point
from geo_services.venues.demo import DEMO_VENUES
from geo_services.venues.importing import import_venues
from geo_services.venues.models import OpeningException, OpeningHours, Space, Venue, VenueKind


def demo_data() -> dict:
    return json.loads(DEMO_VENUES.read_text())


@pytest.mark.django_db
class TestDemoVenues:
    def test_load_demo_brings_the_venues(self, amman):
        venues = Venue.objects.filter(jurisdiction=amman)
        assert venues.count() == len(demo_data()["venues"]) == 12
        kinds = sorted(venues.values_list("kind", flat=True))
        assert kinds.count(VenueKind.SPORTS_PITCH) == 2
        assert kinds.count(VenueKind.PARK) == 2
        assert VenueKind.CULTURAL_CENTRE in kinds and VenueKind.LIBRARY in kinds  # noqa: PT018
        assert kinds.count(VenueKind.COMMUNITY_CENTRE) >= 2

    def test_each_venue_is_in_the_district_its_location_says(self, amman):
        for venue in Venue.objects.filter(jurisdiction=amman).select_related("district"):
            point = LonLat(venue.location.x, venue.location.y)
            assert district_for_point(point, jurisdiction_code="amman").district.id == venue.district_id

    def test_the_cultural_centres_hall_splits_in_two_and_the_pitches_in_halves(self, amman):
        centre = Venue.objects.get(jurisdiction=amman, kind=VenueKind.CULTURAL_CENTRE)
        hall = Space.objects.get(venue=centre, code="main-hall")
        assert sorted(hall.children.values_list("code", flat=True)) == ["main-hall-east", "main-hall-west"]
        for pitch in Venue.objects.filter(jurisdiction=amman, kind=VenueKind.SPORTS_PITCH):
            full = Space.objects.get(venue=pitch, parent=None)
            assert full.children.count() == 2

    def test_parks_are_not_bookable_and_some_spaces_are_free(self, amman):
        for park in Venue.objects.filter(jurisdiction=amman, kind=VenueKind.PARK):
            assert not park.spaces.exists()
        prices = set(Space.objects.filter(venue__jurisdiction=amman).values_list("price_per_hour", flat=True))
        assert 0 in prices
        assert len(prices) > 3
        assert amman.currency == "JOD"

    def test_hours_friday_shorter_and_one_holiday(self, amman):
        space = Space.objects.get(venue__code="tla-al-ali-pitch", code="full")
        by_day = {h.weekday: (h.opens, h.closes) for h in OpeningHours.objects.filter(space=space)}
        assert set(by_day) == set(range(7))
        assert by_day[4] == (time(14), time(23))  # Friday
        assert by_day[5] == (time(8), time(23))  # Saturday
        holidays = OpeningException.objects.filter(space__venue__jurisdiction=amman)
        assert set(holidays.values_list("date", "opens")) == {(date(2027, 1, 1), None)}
        assert holidays.count() == Space.objects.filter(venue__jurisdiction=amman).count()

    def test_the_import_is_idempotent(self, amman):
        report = import_venues(jurisdiction=amman, data=demo_data())
        assert report.created == []
        assert report.updated == []
        assert len(report.unchanged) == 12

    def test_a_change_is_an_update_and_nothing_else_moves(self, amman):
        data = demo_data()
        data["venues"][0]["name_en"] = "Renamed Centre"
        data["venues"][0]["spaces"][0]["price_per_hour"] = "65.000"
        report = import_venues(jurisdiction=amman, data=data)
        assert report.updated == [data["venues"][0]["code"]]
        assert len(report.unchanged) == 11
        assert Venue.objects.get(code=data["venues"][0]["code"]).name_en == "Renamed Centre"

    def test_a_dry_run_writes_nothing(self, amman):
        data = demo_data()
        data["venues"][1]["name_en"] = "Dry"
        report = import_venues(jurisdiction=amman, data=data, dry_run=True)
        assert report.updated == [data["venues"][1]["code"]]
        with translation.override("en"):
            assert "dry run" in report.summary()
        assert not Venue.objects.filter(name_en="Dry").exists()

    def test_one_bad_venue_and_nothing_is_written(self, amman):
        data = demo_data()
        data["venues"][0]["name_en"] = "Should not be saved"
        outside = copy.deepcopy(data["venues"][1])
        outside.update(code="in-the-sea", lat=33.0, lon=34.0)
        broken = copy.deepcopy(data["venues"][2])
        broken.update(code="broken-kind", kind="stadium")
        data["venues"] += [outside, broken]
        with pytest.raises(ImportProblem) as caught:
            import_venues(jurisdiction=amman, data=data)
        rejected = {item["venue"]: item["reason"] for item in caught.value.details["rejected"]}
        assert set(rejected) == {"in-the-sea", "broken-kind"}
        assert "33.000000" in rejected["in-the-sea"]  # the reason names the location (in Arabic here)
        assert not Venue.objects.filter(name_en="Should not be saved").exists()
        assert not Venue.objects.filter(code="in-the-sea").exists()

    def test_prices_in_another_currency_are_refused(self, amman):
        data = demo_data()
        data["currency"] = "SAR"
        with pytest.raises(ImportProblem):
            import_venues(jurisdiction=amman, data=data)

    def test_the_demo_is_searchable(self, amman, api_client):
        response = api_client.get("/api/v1/venues/", {"near": "31.9530,35.9300", "radius": "3000"})
        assert response.status_code == 200
        found = [f["properties"]["code"] for f in response.json()["features"]]
        assert found[0] == "gam-central-library"
        assert "al-hussein-cultural-centre" in found
        parks = api_client.get("/api/v1/venues/", {"kind": "park"}).json()["features"]
        assert {f["properties"]["code"] for f in parks} == {"al-hussein-public-parks", "wadi-al-seer-park"}
