"""Tests of the citizen venue pages. The helpers below build venues through the models directly, so
these tests do not depend on the demo venues."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from django.contrib.gis.geos import Point

from geo_services.core import selectors as core_selectors
from geo_services.core.models import Jurisdiction
from geo_services.venues.models import OpeningHours, Space, Venue, VenueKind

# Inside Amman (Jabal Amman / Abdali area), so the point lies in one of the demo districts.
PITCH_LON, PITCH_LAT = 35.8430, 31.9730


def make_venue(
    jurisdiction: Jurisdiction,
    *,
    code: str,
    kind: str = VenueKind.SPORTS_PITCH,
    name_ar: str = "ملعب حي الاختبار",
    name_en: str = "Test neighbourhood pitch",
    lon: float = PITCH_LON,
    lat: float = PITCH_LAT,
    **fields: object,
) -> Venue:
    point = Point(lon, lat, srid=4326)
    district = core_selectors.district_for_point(point, jurisdiction_code=jurisdiction.code).district
    return Venue.objects.create(
        jurisdiction=jurisdiction,
        district_id=district.id,
        kind=kind,
        code=code,
        name_ar=name_ar,
        name_en=name_en,
        location=point,
        **fields,
    )


def make_space(
    venue: Venue,
    *,
    code: str = "pitch",
    name_ar: str = "الملعب الكامل",
    name_en: str = "Full pitch",
    opens: time = time(8, 0),
    closes: time = time(22, 0),
    **fields: object,
) -> Space:
    """A bookable space open every day of the week from `opens` to `closes` (local time)."""
    fields.setdefault("price_per_hour", Decimal("10.000"))
    space = Space.objects.create(venue=venue, code=code, name_ar=name_ar, name_en=name_en, **fields)
    OpeningHours.objects.bulk_create(
        OpeningHours(space=space, weekday=weekday, opens=opens, closes=closes) for weekday in range(7)
    )
    return space


def make_pitch(jurisdiction: Jurisdiction, *, code: str = "test-pitch") -> tuple[Venue, Space]:
    """A football pitch with one bookable space, open from 08:00 to 22:00 every day."""
    venue = make_venue(
        jurisdiction,
        code=code,
        description_ar="ملعب عشب صناعي بإنارة ليلية.",
        description_en="Artificial grass pitch with floodlights.",
        capacity=22,
        amenities=["floodlights", {"name_ar": "غرف تبديل", "name_en": "Changing rooms"}],
        accessibility_ar="مدخل بلا درج.",
        accessibility_en="Step-free entrance.",
        contact_phone="+962 6 000 0000",
        contact_email="pitch@amanah.example",
    )
    space = make_space(venue, slot_minutes=60, min_minutes=60, max_minutes=120, capacity=22)
    return venue, space
