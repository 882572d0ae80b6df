"""Opening hours as concrete UTC windows: the weekly hours of a space, changed by dated exceptions,
read in the jurisdiction's own time zone (so 08:00 stays 08:00 across a daylight-saving change)."""

from __future__ import annotations

from collections import defaultdict
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


def opening_windows_by_space(
    space_ids: Iterable[int], first: date, last: date, *, zone: ZoneInfo
) -> dict[int, list[Window]]:
    """Each space's open windows on each local date from `first` to `last` (inclusive), in UTC:
    {space id: sorted windows}. Two queries whatever the number of spaces.

    A dated exception replaces the weekly hours of its date: no hours means closed all day, hours
    mean exactly those (several exceptions on one date give several windows).
    """
    ids = list(dict.fromkeys(space_ids))
    if not ids:
        return {}
    weekly: dict[int, dict[int, list[tuple[time, time]]]] = defaultdict(lambda: defaultdict(list))
    for space_id, weekday, opens, closes in OpeningHours.objects.filter(space_id__in=ids).values_list(
        "space_id", "weekday", "opens", "closes"
    ):
        weekly[space_id][weekday].append((opens, closes))
    exceptions: dict[int, dict[date, list[tuple[time | None, time | None]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for space_id, day, special_opens, special_closes in OpeningException.objects.filter(
        space_id__in=ids, date__range=(first, last)
    ).values_list("space_id", "date", "opens", "closes"):
        exceptions[space_id][day].append((special_opens, special_closes))
    result: dict[int, list[Window]] = {}
    days = list(_days(first, last))
    for space_id in ids:
        windows: list[Window] = []
        for day in days:
            if day in exceptions[space_id]:
                spans = [(o, c) for o, c in exceptions[space_id][day] if o is not None and c is not None]
            else:
                spans = weekly[space_id].get(day.weekday(), [])
            windows.extend(Window(_local(day, o, zone), _local(day, c, zone)) for o, c in spans)
        result[space_id] = sorted(windows)
    return result


def opening_windows(space: Space, first: date, last: date, *, zone: ZoneInfo) -> list[Window]:
    """One space's open windows (see `opening_windows_by_space`)."""
    return opening_windows_by_space([space.pk], first, last, zone=zone)[space.pk]


def local_dates(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[date, date]:
    """The local dates a UTC time range touches."""
    return start.astimezone(zone).date(), (end - timedelta(microseconds=1)).astimezone(zone).date()
