"""Fixtures for venue reads, the venue API and calendars: small jurisdictions of their own (one big
square district each), venues placed exactly where a test needs them, bookings written directly."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone

from geo_services.core.models import District, Jurisdiction
from geo_services.venues.models import (
    Booking,
    BookingStatus,
    OpeningException,
    OpeningHours,
    Space,
    Venue,
    VenueKind,
)
from tests.factories import DistrictFactory, JurisdictionFactory, UserFactory, make_staff, square

AMMAN_ZONE = ZoneInfo("Asia/Amman")
BERLIN_ZONE = ZoneInfo("Europe/Berlin")
# Near Amman's downtown; the test jurisdiction's district covers 35.7-36.1 E, 31.8-32.2 N.
CENTRE = (35.9300, 31.9530)  # lon, lat
EVERY_DAY = tuple(range(7))


@dataclass
class City:
    jurisdiction: Jurisdiction
    district: District
    zone: ZoneInfo


def make_city(code: str, zone: str, *, lon: float, lat: float, size: float, currency: str = "JOD") -> City:
    jurisdiction = JurisdictionFactory.create(code=code, time_zone=zone, currency=currency)
    district = DistrictFactory.create(
        jurisdiction=jurisdiction, code=f"{code}-centre", geom=square(lon, lat, size)
    )
    return City(jurisdiction, district, ZoneInfo(zone))


@pytest.fixture
def city(db: None) -> City:
    """A jurisdiction in Asia/Amman (UTC+3 all year), prices in JOD."""
    return make_city("test-amman", "Asia/Amman", lon=35.7, lat=31.8, size=0.4)


@pytest.fixture
def berlin(db: None) -> City:
    """A jurisdiction with daylight saving time (Europe/Berlin), prices in EUR."""
    return make_city("test-berlin", "Europe/Berlin", lon=13.2, lat=52.4, size=0.3, currency="EUR")


RULES: dict[str, Any] = {
    "slot_minutes": 60,
    "min_minutes": 60,
    "max_minutes": 240,
    "buffer_minutes": 0,
    "min_notice_hours": 0,
    "max_days_ahead": 400,
    "cancellation_hours": 0,
    "max_active_per_user": 50,
}


def add_hours(space: Space, opens: time, closes: time, days: tuple[int, ...] = EVERY_DAY) -> None:
    OpeningHours.objects.bulk_create(
        OpeningHours(space=space, weekday=d, opens=opens, closes=closes) for d in days
    )


def add_space(
    venue: Venue,
    code: str,
    *,
    parent: Space | None = None,
    hours: tuple[time, time] | None = (time(8), time(22)),
    **rules: Any,
) -> Space:
    """A bookable space (open 08:00-22:00 local every day unless told otherwise)."""
    space = Space.objects.create(
        venue=venue,
        parent=parent,
        code=code,
        name_ar=f"مساحة {code}",
        name_en=f"Space {code}",
        price_per_hour=Decimal("12.500"),
        **{**RULES, **rules},
    )
    if hours is not None:
        add_hours(space, *hours)
    return space


def add_venue(
    city: City,
    code: str,
    lon: float,
    lat: float,
    *,
    kind: str = VenueKind.COMMUNITY_CENTRE,
    spaces: tuple[str, ...] = ("room",),
    **space_rules: Any,
) -> Venue:
    venue = Venue.objects.create(
        jurisdiction=city.jurisdiction,
        district=city.district,
        kind=kind,
        code=code,
        name_ar=f"مكان {code}",
        name_en=f"Venue {code}",
        location=Point(lon, lat, srid=4326),
    )
    for space_code in spaces:
        add_space(venue, space_code, **space_rules)
    return venue


def add_hall_with_halves(city: City, code: str, lon: float, lat: float, **rules: Any) -> dict[str, Space]:
    """A hall split into two halves: booking a half blocks the hall, not the other half."""
    venue = add_venue(city, code, lon, lat, kind=VenueKind.CULTURAL_CENTRE, spaces=())
    hall = add_space(venue, "hall", **rules)
    return {
        "hall": hall,
        "east": add_space(venue, "east", parent=hall, **rules),
        "west": add_space(venue, "west", parent=hall, **rules),
    }


def book(
    space: Space,
    start: datetime,
    end: datetime,
    *,
    user: User | None = None,
    status: str = BookingStatus.CONFIRMED,
) -> Booking:
    """A booking written directly (the database trigger fills its leaves)."""
    return Booking.objects.create(
        space=space,
        user=user or UserFactory.create(),
        during=DateTimeTZRange(start, end),
        status=status,
    )


def local(day: date, hour: int, minute: int = 0, zone: ZoneInfo = AMMAN_ZONE) -> datetime:
    """`day` at hour:minute local time, as UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def closed_on(space: Space, day: date) -> None:
    OpeningException.objects.create(space=space, date=day, reason_en="Holiday", reason_ar="عطلة")


@pytest.fixture
def tomorrow(city: City) -> date:
    return (timezone.now().astimezone(city.zone) + timedelta(days=1)).date()


@pytest.fixture
def citizen(db: None) -> User:
    return UserFactory.create(username="citizen-a", roles=["citizen"])


@pytest.fixture
def other_citizen(db: None) -> User:
    return UserFactory.create(username="citizen-b", roles=["citizen"])


@pytest.fixture
def venue_dispatcher(city: City) -> User:
    user = UserFactory.create(username="venue-dispatcher", roles=["dispatcher"])
    make_staff(user, jurisdiction=city.jurisdiction)
    return user


@pytest.fixture
def booking_space(city: City) -> Callable[..., Space]:
    """A one-space venue at the centre, with the given rules."""

    def make(code: str = "centre-hall", **rules: Any) -> Space:
        venue = add_venue(city, code, *CENTRE, spaces=(), kind=VenueKind.HALL)
        return add_space(venue, "room", **rules)

    return make
