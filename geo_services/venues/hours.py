"""Opening hours as concrete UTC windows: the weekly hours of a space, changed by dated exceptions,
read in the jurisdiction's own time zone (so 08:00 stays 08:00 across a daylight-saving change)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from geo_services.venues.models import OpeningException, OpeningHours, Space


@dataclass(frozen=True, order=True)
class Window:
    start: datetime  # UTC
    end: datetime  # UTC

    def contains(self, start: datetime, end: datetime) -> bool:
        return self.start <= start and end <= self.end


def _local(day: date, moment: time, zone: ZoneInfo) -> datetime:
    # fold=0: an ambiguous local time (clocks going back) is read as its first occurrence.
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def _days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def opening_windows(space: Space, first: date, last: date, *, zone: ZoneInfo) -> list[Window]:
    """The space's open windows on each local date from `first` to `last` (inclusive), in UTC.

    A dated exception replaces the weekly hours of its date: no hours means closed all day, hours
    mean exactly those (several exceptions on one date give several windows).
    """
    weekly: dict[int, list[tuple[time, time]]] = {}
    for hours in OpeningHours.objects.filter(space=space):
        weekly.setdefault(hours.weekday, []).append((hours.opens, hours.closes))
    exceptions: dict[date, list[tuple[time | None, time | None]]] = {}
    for exception in OpeningException.objects.filter(space=space, date__range=(first, last)):
        exceptions.setdefault(exception.date, []).append((exception.opens, exception.closes))
    windows: list[Window] = []
    for day in _days(first, last):
        if day in exceptions:
            spans = [(o, c) for o, c in exceptions[day] if o is not None and c is not None]
        else:
            spans = weekly.get(day.weekday(), [])
        windows.extend(Window(_local(day, opens, zone), _local(day, closes, zone)) for opens, closes in spans)
    return sorted(windows)


def local_dates(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The local dates a UTC time range touches."""
    return start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()
