"""A hand-computable town for the indicator tests, and the figures expected of it, computed by hand.

Two square districts side by side (Riyadh's zone, no daylight saving): west 46.60-46.64 E and east
46.64-46.68 E, both 24.60-24.64 N; 20,000 residents in the west, 5,000 in the east. The range is
2026-01-01 to 2026-06-30 (181 days). Lengths and areas in metres come from pyproj's Geod (an
independent calculation); the 500 m reach of a rectangular park is, on the plane, its area plus its
perimeter times 500 m plus a 500 m disc (the Minkowski sum of a convex shape and a disc).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.gis.geos import LineString, Point
from pyproj import Geod

from geo_services.core.models import Department, District, Jurisdiction
from geo_services.initiatives.models import Initiative
from geo_services.service_requests.models import ServiceRequest
from geo_services.venues.models import Booking, OpeningException, OpeningHours, Space, Venue, VenueKind
from tests.factories import DepartmentFactory, ServiceCategoryFactory, UserFactory, square
from tests.initiatives.factories import InitiativeFactory, box

WGS84 = Geod(ellps="WGS84")
ZONE = ZoneInfo("Asia/Riyadh")
FIRST = date(2026, 1, 1)
LAST = date(2026, 6, 30)
REACH = 500.0
BORDER = 46.64
WEST_POPULATION = 20_000
EAST_POPULATION = 5_000


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZONE)


def box_area(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> float:
    lons = [min_lon, max_lon, max_lon, min_lon, min_lon]
    lats = [min_lat, min_lat, max_lat, max_lat, min_lat]
    return abs(WGS84.polygon_area_perimeter(lons, lats)[0])


def width(min_lon: float, max_lon: float, lat: float) -> float:
    return WGS84.line_length([min_lon, max_lon], [lat, lat])


def height(lon: float, min_lat: float, max_lat: float) -> float:
    return WGS84.line_length([lon, lon], [min_lat, max_lat])


# Park A: inside the west district, done on 2026-02-10.
PARK_A = (46.615, 24.615, 46.617, 24.617)
# Park B: across the border, two thirds west and one third east, done on 2026-03-15.
PARK_B = (46.638, 24.620, 46.641, 24.622)
# Park C: in the east, still in progress (counts nowhere).
PARK_C = (46.660, 24.605, 46.662, 24.607)
# A planted strip in the east, done on 2026-01-20: green area, but not a park for the 500 m reach.
STRIP = (46.650, 24.630, 46.655, 24.6305)
# Sidewalks: one planned in the west; one done on 2026-04-01 across the border (a third west).
SIDEWALK_PLANNED = ((46.605, 24.630), (46.625, 24.630))
SIDEWALK_DONE = ((46.63, 24.635), (46.66, 24.635))


@dataclass(frozen=True)
class Town:
    jurisdiction: Jurisdiction
    west: District
    east: District
    parks: Department


def _initiative(town_jurisdiction: Jurisdiction, department: Department, **kwargs: object) -> Initiative:
    done_on = kwargs.pop("done_on", None)
    if done_on is not None:
        kwargs.update(status="done", progress_percent=100, actual_start=date(2025, 10, 1), actual_end=done_on)
    return InitiativeFactory.create(jurisdiction=town_jurisdiction, department=department, **kwargs)


def build_town(code: str = "test-indicators") -> Town:
    jurisdiction = Jurisdiction.objects.create(
        code=code, name_ar="مدينة المؤشرات", name_en="Indicator town", time_zone="Asia/Riyadh"
    )
    west = District.objects.create(
        jurisdiction=jurisdiction,
        code="west",
        name_ar="الغربية",
        name_en="West",
        population=WEST_POPULATION,
        geom=square(46.60, 24.60, 0.04),
    )
    east = District.objects.create(
        jurisdiction=jurisdiction,
        code="east",
        name_ar="الشرقية",
        name_en="East",
        population=EAST_POPULATION,
        geom=square(46.64, 24.60, 0.04),
    )
    parks = DepartmentFactory.create(jurisdiction=jurisdiction, code="parks")
    town = Town(jurisdiction, west, east, parks)
    _green_and_sidewalks(town)
    _waste_points(town)
    _requests(town)
    _venue(town)
    return town


def _green_and_sidewalks(town: Town) -> None:
    j, parks = town.jurisdiction, town.parks
    _initiative(j, parks, code="park-a", geom=box(*PARK_A), done_on=date(2026, 2, 10))
    _initiative(j, parks, code="park-b", geom=box(*PARK_B), done_on=date(2026, 3, 15))
    _initiative(j, parks, code="park-c", geom=box(*PARK_C), status="in_progress", progress_percent=40)
    _initiative(
        j, parks, code="strip", feature_type="planted_strip", geom=box(*STRIP), done_on=date(2026, 1, 20)
    )
    sidewalk = {"kind": "model_sidewalk", "feature_type": "sidewalk_segment", "width_m": 3}
    _initiative(j, parks, code="walk-planned", geom=LineString(*SIDEWALK_PLANNED, srid=4326), **sidewalk)
    _initiative(
        j,
        parks,
        code="walk-done",
        geom=LineString(*SIDEWALK_DONE, srid=4326),
        done_on=date(2026, 4, 1),
        **sidewalk,
    )


def _waste_points(town: Town) -> None:
    j, parks = town.jurisdiction, town.parks
    station = {"kind": "waste_sorting", "feature_type": "sorting_station"}
    _initiative(
        j, parks, code="bin-w1", geom=Point(46.61, 24.61, srid=4326), done_on=date(2026, 1, 20), **station
    )
    _initiative(
        j, parks, code="bin-w2", geom=Point(46.62, 24.61, srid=4326), done_on=date(2026, 5, 5), **station
    )
    _initiative(
        j, parks, code="bin-e1", geom=Point(46.67, 24.61, srid=4326), done_on=date(2026, 2, 1), **station
    )
    # Planned only, and one done after the range: neither counts.
    _initiative(j, parks, code="bin-e2", geom=Point(46.67, 24.62, srid=4326), **station)
    _initiative(
        j, parks, code="bin-e3", geom=Point(46.67, 24.63, srid=4326), done_on=date(2026, 7, 2), **station
    )


def _requests(town: Town) -> None:
    category = ServiceCategoryFactory.create(jurisdiction=town.jurisdiction, default_department=town.parks)

    def request(
        district: District, requested: datetime, expected: datetime, closed: datetime | None, **kw: Any
    ) -> ServiceRequest:
        status: str = kw.pop("status", "resolved" if closed else "new")
        made = ServiceRequest.objects.create(
            jurisdiction=town.jurisdiction,
            category=category,
            district=district,
            department=town.parks,
            location=Point(46.61 if district == town.west else 46.67, 24.61, srid=4326),
            status=status,
            expected_at=expected,
            closed_at=closed,
            **kw,
        )
        ServiceRequest.objects.filter(pk=made.pk).update(requested_at=requested)  # auto_now_add otherwise
        return made

    west, east = town.west, town.east
    # West: 00:30 local on 1 January is still 31 December in UTC: in the range all the same.
    request(west, local(FIRST, 0, 30), local(date(2026, 1, 3), 0), local(date(2026, 1, 2), 0, 30))  # 24 h
    request(
        west, local(date(2026, 2, 1), 8), local(date(2026, 2, 2), 8), local(date(2026, 2, 3), 8)
    )  # 48 h, late
    request(west, local(date(2026, 6, 20), 9), local(date(2026, 6, 25), 9), None)  # open past its time
    request(west, local(date(2026, 7, 5), 9), local(date(2026, 7, 8), 9), None)  # after the range
    # East.
    survivor = request(
        east, local(date(2026, 3, 1), 0), local(date(2026, 3, 3), 0), local(date(2026, 3, 1), 6)
    )
    request(
        east, local(date(2025, 12, 28), 0), local(date(2026, 1, 10), 0), local(date(2026, 1, 1), 0)
    )  # 96 h
    request(
        east,
        local(date(2026, 3, 2), 0),
        local(date(2026, 3, 4), 0),
        local(date(2026, 3, 2), 1),
        status="duplicate",
        duplicate_of=survivor,
    )


OPEN_HOURS_PER_DAY = 10  # 08:00 to 18:00, every day
CLOSED_DAY = date(2026, 3, 20)


def _venue(town: Town) -> None:
    venue = Venue.objects.create(
        jurisdiction=town.jurisdiction,
        district=town.east,
        kind=VenueKind.HALL,
        code="east-hall",
        name_ar="قاعة",
        name_en="Hall",
        location=Point(46.66, 24.62, srid=4326),
    )
    hall = Space.objects.create(venue=venue, code="hall", name_ar="القاعة", name_en="Hall")
    Space.objects.create(venue=venue, code="store", name_ar="مخزن", name_en="Store", bookable=False)
    for weekday in range(7):
        OpeningHours.objects.create(space=hall, weekday=weekday, opens=time(8), closes=time(18))
    OpeningException.objects.create(space=hall, date=CLOSED_DAY, reason_en="Holiday")
    citizen = UserFactory.create(username="booker")
    for day, status, block in (
        (date(2026, 1, 10), "confirmed", False),
        (date(2026, 2, 10), "confirmed", False),
        (date(2026, 3, 10), "confirmed", False),
        (date(2026, 4, 10), "cancelled", False),
        (date(2026, 5, 10), "confirmed", True),  # a staff block is not use
        (date(2026, 7, 10), "confirmed", False),  # after the range
    ):
        Booking.objects.create(
            space=hall, user=citizen, during=(local(day, 10), local(day, 12)), status=status, is_block=block
        )


# --- The expected figures, by hand ----------------------------------------------------------------


def reach_of_box(b: tuple[float, float, float, float]) -> float:
    """Area within 500 m of a rectangular park: A + P r + pi r^2."""
    min_lon, min_lat, max_lon, max_lat = b
    mid_lat = (min_lat + max_lat) / 2
    w, h = width(min_lon, max_lon, mid_lat), height(min_lon, min_lat, max_lat)
    return w * h + 2 * (w + h) * REACH + math.pi * REACH**2


def reach_of_box_left_of(b: tuple[float, float, float, float], lon: float) -> tuple[float, float]:
    """The reach of a rectangular park cut by a meridian through it: (west part, east part)."""
    min_lon, min_lat, max_lon, max_lat = b
    mid_lat = (min_lat + max_lat) / 2
    a, w = width(min_lon, lon, mid_lat), width(min_lon, max_lon, mid_lat)
    h = height(min_lon, min_lat, max_lat)
    cap = REACH * h + math.pi * REACH**2 / 2
    return a * (h + 2 * REACH) + cap, (w - a) * (h + 2 * REACH) + cap


@dataclass(frozen=True)
class Expected:
    west_area: float
    east_area: float
    west_green: float
    east_green: float
    west_reach: float
    east_reach: float
    west_sidewalk_done: float
    east_sidewalk_done: float
    west_sidewalk_planned: float
    east_sidewalk_planned: float


def expected() -> Expected:
    """The measures of the whole range (2026-01-01 to 2026-06-30), each from pyproj."""
    b_west_reach, b_east_reach = reach_of_box_left_of(PARK_B, BORDER)
    b_min_lon, b_min_lat, b_max_lon, b_max_lat = PARK_B
    (p0, p1), (d0, d1) = SIDEWALK_PLANNED, SIDEWALK_DONE
    return Expected(
        west_area=box_area(46.60, 24.60, 46.64, 24.64),
        east_area=box_area(46.64, 24.60, 46.68, 24.64),
        west_green=box_area(*PARK_A) + box_area(b_min_lon, b_min_lat, BORDER, b_max_lat),
        east_green=box_area(BORDER, b_min_lat, b_max_lon, b_max_lat) + box_area(*STRIP),
        west_reach=reach_of_box(PARK_A) + b_west_reach,
        east_reach=b_east_reach,
        west_sidewalk_done=width(d0[0], BORDER, d0[1]),
        east_sidewalk_done=width(BORDER, d1[0], d0[1]),
        west_sidewalk_planned=width(p0[0], p1[0], p0[1]) + width(d0[0], BORDER, d0[1]),
        east_sidewalk_planned=width(BORDER, d1[0], d0[1]),
    )


# 181 days of 10 hours, less the closed day; three confirmed 2-hour bookings in the range.
OPENING_HOURS = ((LAST - FIRST).days + 1 - 1) * OPEN_HOURS_PER_DAY
BOOKED_HOURS = 3 * 2
ONE_DAY = timedelta(days=1)
