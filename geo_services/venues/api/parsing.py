"""Parsing of the venue API's query strings and bodies into typed values, once, at the edge.

Every error is an InvalidInput naming the parameter and what would be accepted (a 400 in the
project's error shape). Times: ISO 8601; a value without an offset is local time of the
jurisdiction's zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

# The JSON-body readers shared by every API, offered here with this API's own parsers.
from geo_services.core.api.parsing import body_object as body_object
from geo_services.core.api.parsing import parse_int
from geo_services.core.api.parsing import text as text
from geo_services.core.errors import InvalidInput
from geo_services.core.parsing import BBox, LonLat, parse_float, parse_lon_lat

MAX_RADIUS_M = 50_000
MAX_FREE_WINDOW = timedelta(days=7)
MAX_AVAILABILITY_DAYS = 14

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")


def flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if not isinstance(value, bool):
        raise InvalidInput(_("%(name)s must be true or false.") % {"name": name}, code="missing_parameter")
    return value


def identifier(raw: object, *, name: str) -> int:
    return parse_int(raw, name=name, minimum=1, maximum=2**63 - 1)


def parse_near(raw: str) -> LonLat:
    """ "LAT,LON" in WGS84 degrees (latitude first, as people write it)."""
    parts = raw.split(",")
    if len(parts) != 2:
        raise InvalidInput(
            _("near must be a latitude and a longitude separated by a comma, such as 31.95,35.91."),
            code="invalid_near",
        )
    return parse_lon_lat(
        parts[0].strip(), parts[1].strip(), lat_name="near latitude", lon_name="near longitude"
    )


def parse_radius(raw: str) -> float:
    radius = parse_float(raw, name="radius")
    if not 0 < radius <= MAX_RADIUS_M:
        raise InvalidInput(
            _("radius must be more than 0 and at most %(max)d metres.") % {"max": MAX_RADIUS_M},
            code="out_of_range",
        )
    return radius


def parse_bbox(raw: str) -> BBox:
    """ "minlon,minlat,maxlon,maxlat" in WGS84 degrees (the GeoJSON / OGC order)."""
    parts = raw.split(",")
    if len(parts) != 4:
        raise InvalidInput(
            _("bbox must be four numbers: minlon,minlat,maxlon,maxlat."),
            code="invalid_bbox",
        )
    min_lon, min_lat, max_lon, max_lat = (parse_float(p.strip(), name="bbox") for p in parts)
    if not (
        -180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= 90 and -90 <= max_lat <= 90
    ):
        raise InvalidInput(
            _("bbox longitudes must be between -180 and 180 and latitudes between -90 and 90."),
            code="out_of_range",
        )
    if not (min_lon < max_lon and min_lat < max_lat):
        raise InvalidInput(
            _("bbox must be minlon,minlat,maxlon,maxlat with each minimum below its maximum."),
            code="invalid_bbox",
        )
    return BBox(min_lon, min_lat, max_lon, max_lat)


def parse_datetime(raw: object, *, name: str, zone: ZoneInfo) -> datetime:
    """An ISO 8601 date and time; without an offset it is local time in `zone`. Aware result."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput(_("%(name)s is required.") % {"name": name}, code="missing_parameter")
    value = raw.strip()
    # An unencoded "+03:00" in a query string arrives as " 03:00".
    if "T" in value and " " in value.split("T", 1)[1]:
        value = value.replace(" ", "+")
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z")) if "T" in value else None
    except ValueError:
        moment = None
    if moment is None or not 1900 <= moment.year <= 9000:
        raise InvalidInput(
            _(
                "%(name)s must be an ISO 8601 date and time such as 2026-05-01T18:00 (local time) or "
                "2026-05-01T15:00:00Z, not %(value)r."
            )
            % {"name": name, "value": raw[:50]},
            code="invalid_datetime",
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def parse_date(raw: object, *, name: str) -> date:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput(_("%(name)s is required.") % {"name": name}, code="missing_parameter")
    try:
        if not _DATE.match(raw.strip()):
            raise ValueError
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            _("%(name)s must be a date such as 2026-05-01, not %(value)r.")
            % {"name": name, "value": raw[:50]},
            code="invalid_date",
        ) from None
    if not 1900 <= day.year <= 9000:
        raise InvalidInput(_("%(name)s is out of range.") % {"name": name}, code="out_of_range")
    return day


def parse_time(raw: object, *, name: str) -> time:
    if not isinstance(raw, str) or not _TIME.match(raw.strip()):
        raise InvalidInput(
            _("%(name)s must be a time such as 18:30.") % {"name": name},
            code="invalid_time",
        )
    try:
        return time.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(
            _("%(name)s must be a time such as 18:30.") % {"name": name}, code="invalid_time"
        ) from None


@dataclass(frozen=True)
class FreeWindow:
    start: datetime
    end: datetime


def parse_free_window(raw_from: str | None, raw_to: str | None, *, zone: ZoneInfo) -> FreeWindow | None:
    if not raw_from and not raw_to:
        return None
    if not raw_from or not raw_to:
        raise InvalidInput(_("free_from and free_to go together."), code="missing_parameter")
    start = parse_datetime(raw_from, name="free_from", zone=zone)
    end = parse_datetime(raw_to, name="free_to", zone=zone)
    if end <= start:
        raise InvalidInput(_("free_to must be after free_from."), code="end_before_start")
    if end - start > MAX_FREE_WINDOW:
        raise InvalidInput(
            _("The time window may be at most %(days)d days long.") % {"days": MAX_FREE_WINDOW.days},
            code="window_too_long",
        )
    return FreeWindow(start, end)


def parse_interval(body: dict[str, Any], *, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The "start" and "end" of a body (a booking, a block, a session)."""
    return (
        parse_datetime(body.get("start"), name="start", zone=zone),
        parse_datetime(body.get("end"), name="end", zone=zone),
    )


@dataclass(frozen=True)
class WeeklyCourse:
    weekdays: list[int]
    first_date: date
    weeks: int
    start_time: time
    end_time: time


def parse_weekly_course(body: dict[str, Any]) -> WeeklyCourse:
    weekdays = body.get("weekdays")
    if (
        not isinstance(weekdays, list)
        or not weekdays
        or not all(isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in weekdays)
    ):
        raise InvalidInput(
            _("weekdays must be a list of numbers from 0 (Monday) to 6 (Sunday)."), code="invalid_weekdays"
        )
    start_time = parse_time(body.get("start_time"), name="start_time")
    end_time = parse_time(body.get("end_time"), name="end_time")
    if end_time <= start_time:
        raise InvalidInput(_("end_time must be after start_time."), code="end_before_start")
    return WeeklyCourse(
        weekdays=sorted(set(weekdays)),
        first_date=parse_date(body.get("first_date"), name="first_date"),
        weeks=parse_int(body.get("weeks"), name="weeks", minimum=1, maximum=52),
        start_time=start_time,
        end_time=end_time,
    )


def parse_sessions(raw: object, *, zone: ZoneInfo, maximum: int) -> list[tuple[datetime, datetime]]:
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(_('sessions must be a list of {"start", "end"} objects.'), code="invalid_sessions")
    if len(raw) > maximum:
        raise InvalidInput(
            _("A course has at most %(count)d sessions.") % {"count": maximum}, code="too_many_sessions"
        )
    return [parse_interval(body_object(item), zone=zone) for item in raw]
