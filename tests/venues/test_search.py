"""The venue map search: nearest first in metres (checked against pyproj's geodesics), the radius
edge, bbox, kind, the free-window filter across a split hall, bad input, and its query count."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from pyproj import Geod

from geo_services.core.parsing import LonLat
from geo_services.venues import selectors
from geo_services.venues.models import BookingStatus, VenueKind
from tests.venues.conftest import (
    CENTRE,
    add_hall_with_halves,
    add_space,
    add_venue,
    book,
    local,
    make_city,
)

GEOD = Geod(ellps="WGS84")
URL = "/api/v1/venues/"


def search(api_client, **params):
    response = api_client.get(URL, {"jurisdiction": "test-amman", **params})
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    document = response.json()
    assert document["type"] == "FeatureCollection"
    return document["features"]


def codes(features) -> list[str]:
    return [f["properties"]["code"] for f in features]


def place(distance_m: float, azimuth: float) -> tuple[float, float]:
    """The point `distance_m` from CENTRE along `azimuth` (degrees from north), on WGS84."""
    lon, lat, _back = GEOD.fwd(CENTRE[0], CENTRE[1], azimuth, distance_m)
    return lon, lat


def geodesic_m(lon: float, lat: float) -> float:
    """The distance from CENTRE computed independently of PostGIS (Karney's algorithm, WGS84)."""
    _fwd, _back, distance = GEOD.inv(CENTRE[0], CENTRE[1], lon, lat)
    return distance


NEAR = f"{CENTRE[1]},{CENTRE[0]}"


@pytest.mark.django_db
class TestNearest:
    def test_order_and_distances_match_independent_geodesics(self, api_client, city):
        spots = {
            "north-2400": place(2400, 0),
            "east-800": place(800, 90),
            "south-5100": place(5100, 180),
            "west-150": place(150, 270),
            "ne-3333": place(3333, 45),
            "sw-12000": place(12000, 225),
        }
        for code, (lon, lat) in spots.items():
            add_venue(city, code, lon, lat)
        expected = sorted(spots, key=lambda code: geodesic_m(*spots[code]))
        features = search(api_client, near=NEAR)
        assert (
            codes(features)
            == expected
            == ["west-150", "east-800", "north-2400", "ne-3333", "south-5100", "sw-12000"]
        )
        for feature in features:
            lon, lat = feature["geometry"]["coordinates"]
            assert feature["properties"]["distance_m"] == pytest.approx(geodesic_m(lon, lat), abs=0.1)

    def test_radius_keeps_a_venue_just_inside_and_drops_one_just_outside(self, api_client, city):
        inside, outside = place(999.5, 37), place(1000.5, 37)
        add_venue(city, "inside", *inside)
        add_venue(city, "outside", *outside)
        # The fixture itself is what the test claims: half a metre each side of 1 km.
        assert geodesic_m(*inside) == pytest.approx(999.5, abs=0.01)
        assert geodesic_m(*outside) == pytest.approx(1000.5, abs=0.01)
        assert codes(search(api_client, near=NEAR, radius="1000")) == ["inside"]
        assert codes(search(api_client, near=NEAR, radius="1001")) == ["inside", "outside"]

    def test_a_radius_in_degrees_would_be_wrong_by_kilometres(self, api_client, city):
        # 0.01° of longitude at Amman's latitude is about 945 m, of latitude about 1,109 m: a radius
        # treated as degrees (or a degree approximation) would not keep both of these apart.
        add_venue(city, "east-940", *place(940, 90))
        add_venue(city, "north-1100", *place(1100, 0))
        assert codes(search(api_client, near=NEAR, radius="1000")) == ["east-940"]

    def test_limit_takes_the_nearest(self, api_client, city):
        for distance in (100, 200, 300, 400):
            add_venue(city, f"d{distance}", *place(distance, 10))
        assert codes(search(api_client, near=NEAR, limit="2")) == ["d100", "d200"]

    def test_another_jurisdiction_is_never_mixed_in(self, api_client, city):
        add_venue(city, "ours", *place(500, 0))
        other = make_city("test-other", "Asia/Amman", lon=35.7, lat=31.8, size=0.4)
        add_venue(other, "theirs", *place(100, 0))
        assert codes(search(api_client, near=NEAR)) == ["ours"]

    def test_without_a_jurisdiction_the_point_decides(self, api_client, city, berlin):
        add_venue(city, "amman-venue", *place(300, 0))
        add_venue(berlin, "berlin-venue", 13.40, 52.52)
        response = api_client.get(URL, {"near": "52.52,13.40"})
        assert codes(response.json()["features"]) == ["berlin-venue"]
        response = api_client.get(URL, {"near": NEAR})
        assert codes(response.json()["features"]) == ["amman-venue"]


@pytest.mark.django_db
def test_bbox(api_client, city):
    add_venue(city, "in-box", 35.93, 31.95)
    add_venue(city, "east-of-box", 35.96, 31.95)
    add_venue(city, "north-of-box", 35.93, 31.99)
    add_venue(city, "on-the-edge", 35.94, 31.97)  # a point on the box's edge is in it
    features = search(api_client, bbox="35.90,31.94,35.94,31.97")
    assert codes(features) == ["in-box", "on-the-edge"]  # by code when no point is given
    assert all(f["properties"]["distance_m"] is None for f in features)


@pytest.mark.django_db
def test_kind_filter(api_client, city):
    add_venue(city, "library", 35.93, 31.95, kind=VenueKind.LIBRARY)
    add_venue(city, "park", 35.931, 31.95, kind=VenueKind.PARK, spaces=())
    add_venue(city, "pitch", 35.932, 31.95, kind=VenueKind.SPORTS_PITCH)
    assert codes(search(api_client, kind="library")) == ["library"]
    assert codes(search(api_client, kind="park,sports_pitch")) == ["park", "pitch"]
    park = search(api_client, kind="park")[0]["properties"]
    assert park["bookable"] is False
    assert park["kind_label"]
    assert park["district"]["code"] == "test-amman-centre"


@pytest.mark.django_db
class TestFreeWindow:
    def window(self, day, start_hour: int, end_hour: int) -> dict[str, str]:
        return {
            "free_from": local(day, start_hour).isoformat(),
            "free_to": local(day, end_hour).isoformat(),
        }

    def test_a_venue_whose_only_space_is_booked_disappears(self, api_client, city, tomorrow):
        busy = add_venue(city, "busy", *place(100, 0))
        add_venue(city, "idle", *place(200, 0))
        book(busy.spaces.get(), local(tomorrow, 10), local(tomorrow, 12))
        assert codes(search(api_client, near=NEAR, **self.window(tomorrow, 11, 13))) == ["idle"]
        # Outside the booking the busy venue is back; touching ranges do not collide.
        assert codes(search(api_client, near=NEAR, **self.window(tomorrow, 12, 14))) == ["busy", "idle"]

    def test_a_hall_whose_half_is_booked_is_not_free_but_its_other_half_is(self, api_client, city, tomorrow):
        spaces = add_hall_with_halves(city, "centre", *place(100, 0))
        book(spaces["east"], local(tomorrow, 10), local(tomorrow, 12))
        [feature] = search(api_client, near=NEAR, **self.window(tomorrow, 10, 11))
        assert [s["code"] for s in feature["properties"]["free_spaces"]] == ["west"]
        # Booking the whole hall takes both halves.
        book(spaces["hall"], local(tomorrow, 14), local(tomorrow, 16))
        assert search(api_client, near=NEAR, **self.window(tomorrow, 14, 15)) == []
        [feature] = search(api_client, near=NEAR, **self.window(tomorrow, 16, 17))
        assert [s["code"] for s in feature["properties"]["free_spaces"]] == ["east", "hall", "west"]

    def test_closed_hours_and_non_bookable_venues_are_not_free(self, api_client, city, tomorrow):
        add_venue(city, "day-only", *place(100, 0), hours=(time(8), time(16)))
        add_venue(city, "park", *place(150, 0), kind=VenueKind.PARK, spaces=())
        assert codes(search(api_client, near=NEAR, **self.window(tomorrow, 15, 16))) == ["day-only"]
        assert search(api_client, near=NEAR, **self.window(tomorrow, 15, 17)) == []
        assert search(api_client, near=NEAR, **self.window(tomorrow, 7, 9)) == []

    def test_the_buffer_around_a_booking_counts(self, api_client, city, tomorrow):
        venue = add_venue(city, "buffered", *place(100, 0), buffer_minutes=30)
        book(venue.spaces.get(), local(tomorrow, 10), local(tomorrow, 11))
        assert search(api_client, near=NEAR, **self.window(tomorrow, 11, 12)) == []
        window = {
            "free_from": local(tomorrow, 11, 30).isoformat(),
            "free_to": local(tomorrow, 12, 30).isoformat(),
        }
        assert codes(search(api_client, near=NEAR, **window)) == ["buffered"]

    def test_each_booking_holds_its_own_spaces_gap(self, api_client, city, tomorrow):
        """As the exclusion constraint counts it: the hall keeps 60 minutes after its bookings, the
        halves none."""
        venue = add_venue(city, "gaps", *place(100, 0), spaces=())
        hall = add_space(venue, "hall", buffer_minutes=60)
        east = add_space(venue, "east", parent=hall)
        add_space(venue, "west", parent=hall)
        book(hall, local(tomorrow, 10), local(tomorrow, 11))  # holds both halves until 12:00
        assert search(api_client, near=NEAR, **self.window(tomorrow, 11, 12)) == []
        book(east, local(tomorrow, 14), local(tomorrow, 15))  # holds east until 15:00
        # A hall booking 15:00-16:00 would hold it until 17:00: no booking is held then.
        [feature] = search(api_client, near=NEAR, **self.window(tomorrow, 15, 16))
        assert [s["code"] for s in feature["properties"]["free_spaces"]] == ["east", "hall", "west"]
        # 13:00-14:00 of the hall would hold it until 15:00, over east's booking.
        [feature] = search(api_client, near=NEAR, **self.window(tomorrow, 13, 14))
        assert [s["code"] for s in feature["properties"]["free_spaces"]] == ["east", "west"]

    def test_cancelled_and_rejected_bookings_leave_the_space_free(self, api_client, city, tomorrow):
        venue = add_venue(city, "freed", *place(100, 0))
        book(venue.spaces.get(), local(tomorrow, 10), local(tomorrow, 12), status=BookingStatus.CANCELLED)
        book(venue.spaces.get(), local(tomorrow, 10), local(tomorrow, 12), status=BookingStatus.REJECTED)
        assert codes(search(api_client, near=NEAR, **self.window(tomorrow, 10, 11))) == ["freed"]

    def test_a_requested_booking_holds_the_space(self, api_client, city, tomorrow):
        venue = add_venue(city, "pending", *place(100, 0))
        book(venue.spaces.get(), local(tomorrow, 10), local(tomorrow, 12), status=BookingStatus.REQUESTED)
        assert search(api_client, near=NEAR, **self.window(tomorrow, 10, 11)) == []

    def test_times_without_an_offset_are_read_in_the_jurisdictions_zone(self, api_client, city, tomorrow):
        venue = add_venue(city, "local", *place(100, 0))
        book(venue.spaces.get(), local(tomorrow, 10), local(tomorrow, 11))  # 10:00-11:00 in Amman
        naive = {"free_from": f"{tomorrow}T10:00", "free_to": f"{tomorrow}T11:00"}
        assert search(api_client, near=NEAR, **naive) == []
        utc = {"free_from": f"{tomorrow}T10:00Z", "free_to": f"{tomorrow}T11:00Z"}  # 13:00 in Amman
        assert codes(search(api_client, near=NEAR, **utc)) == ["local"]

    def test_the_limit_counts_free_venues(self, api_client, city, tomorrow):
        busy = add_venue(city, "a-busy", *place(100, 0))
        add_venue(city, "b-free", *place(200, 0))
        add_venue(city, "c-free", *place(300, 0))
        book(busy.spaces.get(), local(tomorrow, 10), local(tomorrow, 12))
        assert codes(search(api_client, near=NEAR, limit="1", **self.window(tomorrow, 10, 11))) == ["b-free"]


@pytest.mark.django_db
class TestQueryCount:
    def test_search_is_one_query_whatever_the_number_of_venues(self, city, django_assert_num_queries):
        for n in range(12):
            add_venue(city, f"v{n}", *place(100 * (n + 1), 30 * n), spaces=("a", "b"))
        search = selectors.VenueSearch(
            jurisdiction_id=city.jurisdiction.pk, zone=city.zone, near=LonLat(*CENTRE), radius_m=5000
        )
        with django_assert_num_queries(1):
            selectors.search_venues(search)

    def test_free_window_search_is_four_queries_whatever_the_number_of_venues(
        self, city, tomorrow, django_assert_num_queries
    ):
        for n in range(12):
            venue = add_venue(city, f"v{n}", *place(100 * (n + 1), 30 * n), spaces=("a", "b"))
            if n % 3 == 0:
                book(venue.spaces.get(code="a"), local(tomorrow, 10), local(tomorrow, 11))
        search = selectors.VenueSearch(
            jurisdiction_id=city.jurisdiction.pk,
            zone=city.zone,
            near=LonLat(*CENTRE),
            free_from=local(tomorrow, 10),
            free_to=local(tomorrow, 11),
        )
        with django_assert_num_queries(4):
            found = selectors.search_venues(search)
        assert found.count(b'"Feature"') == 12


BAD_INPUTS = [
    ({"near": "abc"}, "not a pair"),
    ({"near": "31.95"}, "one number"),
    ({"near": "31.95,35.93,7"}, "three numbers"),
    ({"near": "nan,35.93"}, "nan"),
    ({"near": "31.95,inf"}, "inf"),
    ({"near": "91,35.93"}, "latitude out of range"),
    ({"near": "31.95,181"}, "longitude out of range"),
    ({"near": "31.95,35.93", "radius": "0"}, "radius zero"),
    ({"near": "31.95,35.93", "radius": "-5"}, "radius negative"),
    ({"near": "31.95,35.93", "radius": "50001"}, "radius over 50 km"),
    ({"near": "31.95,35.93", "radius": "inf"}, "radius inf"),
    ({"near": "31.95,35.93", "radius": "nan"}, "radius nan"),
    ({"near": "31.95,35.93", "radius": "1km"}, "radius with a unit"),
    ({"radius": "1000"}, "radius without near"),
    ({"bbox": "35.94,31.94,35.90,31.97"}, "bbox longitudes reversed"),
    ({"bbox": "35.90,31.97,35.94,31.94"}, "bbox latitudes reversed"),
    ({"bbox": "35.90,31.94,35.90,31.97"}, "bbox of no width"),
    ({"bbox": "35.90,31.94,35.94"}, "bbox of three numbers"),
    ({"bbox": "-190,31.94,35.94,31.97"}, "bbox out of range"),
    ({"bbox": "35.90,31.94,35.94,nan"}, "bbox nan"),
    ({"kind": "stadium"}, "unknown kind"),
    ({"free_from": "2030-01-01T10:00"}, "free_from without free_to"),
    ({"free_to": "2030-01-01T10:00"}, "free_to without free_from"),
    ({"free_from": "2030-01-01T10:00", "free_to": "2030-01-01T10:00"}, "empty window"),
    ({"free_from": "2030-01-01T11:00", "free_to": "2030-01-01T10:00"}, "window backwards"),
    ({"free_from": "2030-01-01T10:00", "free_to": "2030-01-08T10:01"}, "window over 7 days"),
    ({"free_from": "tomorrow", "free_to": "2030-01-01T10:00"}, "not a date"),
    ({"free_from": "2030-13-01T10:00", "free_to": "2030-01-01T10:00"}, "month 13"),
    ({"free_from": "0001-01-01T10:00", "free_to": "0001-01-01T11:00"}, "year 1"),
    ({"limit": "0"}, "limit zero"),
    ({"limit": "100000"}, "limit too large"),
    ({"limit": "ten"}, "limit not a number"),
    ({"jurisdiction": "atlantis"}, "unknown jurisdiction"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("params", "why"), BAD_INPUTS, ids=[why for _p, why in BAD_INPUTS])
def test_bad_input_is_a_400_in_the_error_shape(api_client, city, params, why):
    response = api_client.get(URL, {"jurisdiction": "test-amman", **params})
    assert response.status_code == 400, (why, response.content)
    error = response.json()["error"]
    assert error["code"]
    assert error["message"]


@pytest.mark.django_db
def test_a_window_of_exactly_seven_days_is_accepted(api_client, city, tomorrow):
    start = local(tomorrow, 0)
    params = {"free_from": start.isoformat(), "free_to": (start + timedelta(days=7)).isoformat()}
    assert search(api_client, **params) == []


@pytest.mark.django_db
def test_the_search_is_public_and_skips_inactive_venues(api_client, city):
    add_venue(city, "open", 35.93, 31.95)
    closed = add_venue(city, "closed", 35.93, 31.95)
    closed.active = False
    closed.save()
    assert codes(search(api_client)) == ["open"]
