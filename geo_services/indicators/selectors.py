"""District indicators of the strategy, for a date range, per district and for the whole jurisdiction.

docs/indicators.md defines each indicator (formula, unit, data, edge cases). How they are computed:

- PostGIS does the heavy part in four statements whatever the number of districts and periods
  (one period is a date range; the monthly trend is the same computation over many periods at once):
  the built initiatives by district share, the area within 500 m of a park, the service requests
  (with the median per district and for the whole jurisdiction by GROUPING SETS) and the booked hours.
  Opening hours come from the venues' own rule (venues.hours), so an exception day counts as the
  booking pages show it.
- Each district's figures are ratios of summed measures, and the jurisdiction's figures are ratios of
  the sums over its districts (never an average of district ratios). Per-resident figures of the
  jurisdiction use the districts whose population is known, for numerator and denominator alike.
- A figure that cannot be computed is None: no population, no planned sidewalk, no request, no
  opening hours.

These are aggregate reads of other apps' tables (initiatives, service requests, venues): counts and
sums only, never a person's data, so the figures are public.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from geo_services.core.models import District, Jurisdiction
from geo_services.venues.hours import opening_windows_by_space
from geo_services.venues.models import Space

# The distance of "access to a park" (the strategy's 500 m; WHO's guidance speaks of 300 to 500 m).
PARK_ACCESS_METRES = 500
# Segments per quarter circle of the 500 m buffer: 32 keeps the polygon's area within 0.05 % of the
# circle's (the default 8 loses 0.6 %).
BUFFER_QUAD_SEGMENTS = 32


@dataclass(frozen=True)
class Indicator:
    key: str
    title: Promise
    unit: Promise
    decimals: int  # how many decimals a person needs to read it


INDICATORS: tuple[Indicator, ...] = (
    Indicator("green_m2_per_resident", _("Green area per resident"), _("m² per resident"), 2),
    Indicator(
        "park_access_area_percent",
        _("Area within 500 m of a park"),
        # xgettext:no-python-format
        _("% of the area"),
        1,
    ),
    Indicator("sidewalk_km_done", _("Model sidewalks done"), _("km"), 2),
    Indicator("sidewalk_km_planned", _("Model sidewalks planned"), _("km"), 2),
    Indicator(
        "sidewalk_done_percent",
        _("Model sidewalks done of planned"),
        # xgettext:no-python-format
        _("% of the planned length"),
        1,
    ),
    Indicator(
        "waste_points_per_10k",
        _("Waste-sorting points per 10,000 residents"),
        _("points per 10,000 residents"),
        2,
    ),
    Indicator(
        "requests_per_1k", _("Service requests per 1,000 residents"), _("requests per 1,000 residents"), 1
    ),
    Indicator("median_resolution_hours", _("Median resolution time"), _("hours"), 1),
    Indicator(
        "overdue_percent",
        _("Overdue requests"),
        # xgettext:no-python-format
        _("% of the requests"),
        1,
    ),
    Indicator(
        "booking_utilisation_percent",
        _("Booking utilisation of venues"),
        # xgettext:no-python-format
        _("% of opening hours"),
        1,
    ),
)
INDICATOR_KEYS = tuple(indicator.key for indicator in INDICATORS)
INDICATORS_BY_KEY = {indicator.key: indicator for indicator in INDICATORS}


@dataclass(frozen=True)
class DateRange:
    """Calendar dates of the jurisdiction, both included."""

    first: date
    last: date

    def moments(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in the jurisdiction's zone: local midnight of the first day to local midnight
        after the last (a day is 23 or 25 hours across a daylight-saving change)."""
        return (
            datetime.combine(self.first, time.min, tzinfo=zone),
            datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=zone),
        )


def months_of(date_range: DateRange) -> list[DateRange]:
    """The calendar months the range touches, each cut to the range."""
    months: list[DateRange] = []
    start = date_range.first
    while start <= date_range.last:
        next_month = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        months.append(DateRange(start, min(date_range.last, next_month - timedelta(days=1))))
        start = next_month
    return months


@dataclass
class Measures:
    """What the figures are ratios of, for one district (or summed for the jurisdiction) and period."""

    population: int | None = None
    area_m2: float = 0.0
    green_m2: float = 0.0
    park_reach_m2: float = 0.0
    sidewalk_done_m: float = 0.0
    sidewalk_planned_m: float = 0.0
    waste_points: float = 0.0
    requests: int = 0
    overdue_requests: int = 0
    closed_requests: int = 0
    median_resolution_hours: float | None = None
    opening_hours: float = 0.0
    booked_hours: float = 0.0
    # Per-resident numerators of the jurisdiction count only districts whose population is known.
    resident_green_m2: float = 0.0
    resident_waste_points: float = 0.0
    resident_requests: int = 0


def _ratio(numerator: float, denominator: float | None, scale: float = 1.0) -> float | None:
    if not denominator:
        return None
    return numerator / denominator * scale


def figures_of(measures: Measures) -> dict[str, float | None]:
    """The indicators from the measures (the only place their formulas are written)."""
    m = measures
    return {
        "green_m2_per_resident": _ratio(m.resident_green_m2, m.population),
        "park_access_area_percent": _ratio(m.park_reach_m2, m.area_m2, 100),
        "sidewalk_km_done": m.sidewalk_done_m / 1000,
        "sidewalk_km_planned": m.sidewalk_planned_m / 1000,
        "sidewalk_done_percent": _ratio(m.sidewalk_done_m, m.sidewalk_planned_m, 100),
        "waste_points_per_10k": _ratio(m.resident_waste_points, m.population, 10_000),
        "requests_per_1k": _ratio(m.resident_requests, m.population, 1_000),
        "median_resolution_hours": m.median_resolution_hours,
        "overdue_percent": _ratio(m.overdue_requests, m.requests, 100),
        "booking_utilisation_percent": _ratio(m.booked_hours, m.opening_hours, 100),
    }


@dataclass(frozen=True)
class DistrictRef:
    id: int
    code: str
    name_ar: str
    name_en: str


@dataclass
class Row:
    """One district's (or, with district None, the jurisdiction's) measures and figures."""

    district: DistrictRef | None
    measures: Measures
    figures: dict[str, float | None] = field(default_factory=dict)


@dataclass
class PeriodIndicators:
    date_range: DateRange
    districts: list[Row]
    total: Row


# The periods of one computation, as parallel arrays: n is the period's position (1-based).
_PERIODS = """
periods AS (
    SELECT p.n, p.starts, p.ends, p.last_day
    FROM unnest(%(starts)s::timestamptz[], %(ends)s::timestamptz[], %(last_days)s::date[])
         WITH ORDINALITY AS p(starts, ends, last_day, n)
)"""

# An initiative is built by the end of a period when it is done and its actual end (the planned end
# when none was recorded) is on or before the period's last day. Each figure sums the initiative's
# share in the district (models: attributed by share, never split).
_BUILT_SQL = f"""
WITH {_PERIODS},
districts AS MATERIALIZED (
    SELECT d.id, d.code, d.name_ar, d.name_en, d.population, ST_Area(d.geom::geography) AS area_m2
    FROM core_district d
    WHERE d.jurisdiction_id = %(jurisdiction)s AND (%(district)s::bigint IS NULL OR d.id = %(district)s)
),
shares AS (
    SELECT s.district_id, i.feature_type, s.share, s.length_m, s.area_m2,
           i.status = 'done' AS done, COALESCE(i.actual_end, i.planned_end) AS done_on
    FROM initiatives_initiativedistrictshare s
    JOIN initiatives_initiative i ON i.id = s.initiative_id
    WHERE s.jurisdiction_id = %(jurisdiction)s
)
SELECT p.n, d.id, d.code, d.name_ar, d.name_en, d.population, d.area_m2,
       COALESCE(sum(s.area_m2) FILTER (
           WHERE s.feature_type IN ('park', 'planted_strip') AND s.done AND s.done_on <= p.last_day), 0),
       COALESCE(sum(s.length_m) FILTER (
           WHERE s.feature_type = 'sidewalk_segment' AND s.done AND s.done_on <= p.last_day), 0),
       COALESCE(sum(s.length_m) FILTER (WHERE s.feature_type = 'sidewalk_segment'), 0),
       COALESCE(sum(s.share) FILTER (
           WHERE s.feature_type IN ('sorting_station', 'sorting_container')
             AND s.done AND s.done_on <= p.last_day), 0)
FROM periods p
CROSS JOIN districts d
LEFT JOIN shares s ON s.district_id = d.id
GROUP BY p.n, d.id, d.code, d.name_ar, d.name_en, d.population, d.area_m2
ORDER BY p.n, d.code
"""  # noqa: S608 - a fixed fragment (the periods); values are parameters

# The area within 500 m of a park built by the end of each period: the union of the parks' buffers
# (on the ellipsoid: geography), cut by the subdivided district parts (whose pieces do not overlap, so
# their areas add up). Parks anywhere in the jurisdiction count: a park just across a border serves
# its neighbours too. Periods with the same set of parks share one union (a monthly trend over years
# has few distinct sets).
_PARK_REACH_SQL = f"""
WITH {_PERIODS},
parks AS MATERIALIZED (
    SELECT i.id, i.geom, COALESCE(i.actual_end, i.planned_end) AS done_on
    FROM initiatives_initiative i
    WHERE i.jurisdiction_id = %(jurisdiction)s AND i.feature_type = 'park' AND i.status = 'done'
),
period_parks AS (
    SELECT p.n, array_agg(k.id ORDER BY k.id) FILTER (WHERE k.id IS NOT NULL) AS park_ids
    FROM periods p LEFT JOIN parks k ON k.done_on <= p.last_day
    GROUP BY p.n
),
reach AS (
    SELECT sets.park_ids,
           ST_Union(ST_Buffer(k.geom::geography, %(metres)s, %(buffer_style)s)::geometry) AS geom
    FROM (SELECT DISTINCT park_ids FROM period_parks WHERE park_ids IS NOT NULL) sets
    JOIN parks k ON k.id = ANY(sets.park_ids)
    GROUP BY sets.park_ids
),
covered AS (
    SELECT r.park_ids, part.district_id,
           sum(ST_Area(ST_CollectionExtract(ST_Intersection(part.geom, r.geom), 3)::geography)) AS m2
    FROM reach r
    JOIN core_districtpart part
      ON part.jurisdiction_id = %(jurisdiction)s AND ST_Intersects(part.geom, r.geom)
    WHERE %(district)s::bigint IS NULL OR part.district_id = %(district)s
    GROUP BY r.park_ids, part.district_id
)
SELECT pp.n, c.district_id, c.m2
FROM period_parks pp JOIN covered c ON c.park_ids = pp.park_ids
"""  # noqa: S608 - a fixed fragment (the periods); values are parameters

# Requests merged as duplicates are the same problem as their survivor: left out everywhere.
# Overdue at the end of the period: still open then (closed later or not at all) past its expected
# time, or closed after its expected time. The median is per district and, by the second grouping
# set, for the whole jurisdiction (a median of medians would be wrong).
_REQUESTS_SQL = f"""
WITH {_PERIODS}
SELECT p.n, r.district_id, GROUPING(r.district_id) = 1 AS whole,
       count(*) FILTER (WHERE r.requested_at >= p.starts AND r.requested_at < p.ends),
       count(*) FILTER (
           WHERE r.requested_at >= p.starts AND r.requested_at < p.ends
             AND (((r.closed_at IS NULL OR r.closed_at >= p.ends) AND r.expected_at < p.ends)
                  OR (r.closed_at < p.ends AND r.closed_at > r.expected_at))),
       count(*) FILTER (WHERE r.closed_at >= p.starts AND r.closed_at < p.ends),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.closed_at - r.requested_at) / 3600.0)
           FILTER (WHERE r.closed_at >= p.starts AND r.closed_at < p.ends)
FROM periods p
JOIN service_requests_servicerequest r
  ON r.jurisdiction_id = %(jurisdiction)s
 AND r.status <> 'duplicate'
 AND ((r.requested_at >= p.starts AND r.requested_at < p.ends)
      OR (r.closed_at >= p.starts AND r.closed_at < p.ends))
WHERE %(district)s::bigint IS NULL OR r.district_id = %(district)s
GROUP BY GROUPING SETS ((p.n, r.district_id), (p.n))
"""  # noqa: S608 - a fixed fragment (the periods); values are parameters

# Confirmed bookings of citizens (staff blocks are not use), cut to the period, on bookable spaces of
# active venues, by the venue's district.
_BOOKED_SQL = f"""
WITH {_PERIODS}
SELECT p.n, v.district_id,
       sum(extract(epoch FROM upper(b.during * tstzrange(p.starts, p.ends))
                             - lower(b.during * tstzrange(p.starts, p.ends)))) / 3600.0
FROM periods p
JOIN venues_booking b
  ON b.status = 'confirmed' AND NOT b.is_block AND b.during && tstzrange(p.starts, p.ends)
JOIN venues_space s ON s.id = b.space_id AND s.bookable
JOIN venues_venue v ON v.id = s.venue_id AND v.active AND v.jurisdiction_id = %(jurisdiction)s
WHERE %(district)s::bigint IS NULL OR v.district_id = %(district)s
GROUP BY p.n, v.district_id
"""  # noqa: S608 - a fixed fragment (the periods); values are parameters


def _fetch(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def _opening_hours(
    jurisdiction: Jurisdiction, ranges: Sequence[DateRange], district_id: int | None
) -> dict[tuple[int, int], float]:
    """{(period n, district id): opening hours of the bookable spaces of active venues}."""
    spaces = Space.objects.filter(bookable=True, venue__active=True, venue__jurisdiction_id=jurisdiction.pk)
    if district_id is not None:
        spaces = spaces.filter(venue__district_id=district_id)
    district_of_space = dict(spaces.values_list("id", "venue__district_id"))
    if not district_of_space:
        return {}
    zone = ZoneInfo(jurisdiction.time_zone)
    windows = opening_windows_by_space(
        district_of_space, min(r.first for r in ranges), max(r.last for r in ranges), zone=zone
    )
    # In UTC like the windows: comparing datetimes of one zone object is much cheaper than across zones.
    bounds = [
        (n, start.astimezone(UTC), end.astimezone(UTC))
        for n, (start, end) in enumerate((r.moments(zone) for r in ranges), start=1)
    ]
    hours: dict[tuple[int, int], float] = defaultdict(float)
    for space_id, space_windows in windows.items():
        district = district_of_space[space_id]
        starts = [window.start for window in space_windows]
        for n, start, end in bounds:
            # The windows are sorted: only those from the one before `start` to the last before `end`.
            first = max(bisect_left(starts, start) - 1, 0)
            for window in space_windows[first : bisect_left(starts, end)]:
                overlap = (min(window.end, end) - max(window.start, start)).total_seconds()
                if overlap > 0:
                    hours[(n, district)] += overlap / 3600
    return hours


def indicators_for_ranges(
    jurisdiction: Jurisdiction, ranges: Sequence[DateRange], *, district: District | None = None
) -> list[PeriodIndicators]:
    """The indicators of each range (its districts, or only `district`, and the jurisdiction's total)."""
    if not ranges:
        return []
    zone = ZoneInfo(jurisdiction.time_zone)
    moments = [r.moments(zone) for r in ranges]
    params: dict[str, Any] = {
        "jurisdiction": jurisdiction.pk,
        "district": district.pk if district is not None else None,
        "starts": [start for start, _end in moments],
        "ends": [end for _start, end in moments],
        "last_days": [r.last for r in ranges],
        "metres": PARK_ACCESS_METRES,
        "buffer_style": f"quad_segs={BUFFER_QUAD_SEGMENTS}",
    }
    measures: dict[tuple[int, int], Measures] = {}
    refs: dict[int, DistrictRef] = {}
    for n, district_id, code, name_ar, name_en, population, area, green, done, planned, waste in _fetch(
        _BUILT_SQL, params
    ):
        refs[district_id] = DistrictRef(district_id, code, name_ar, name_en)
        measures[(n, district_id)] = Measures(
            population=population,
            area_m2=area,
            green_m2=green,
            sidewalk_done_m=done,
            sidewalk_planned_m=planned,
            waste_points=waste,
        )
    for n, district_id, m2 in _fetch(_PARK_REACH_SQL, params):
        if (n, district_id) in measures:
            measures[(n, district_id)].park_reach_m2 = m2
    whole_medians: dict[int, float | None] = {}
    for n, district_id, whole, requested, overdue, closed, median in _fetch(_REQUESTS_SQL, params):
        if whole:
            whole_medians[n] = median
        elif (n, district_id) in measures:
            row = measures[(n, district_id)]
            row.requests, row.overdue_requests, row.closed_requests = requested, overdue, closed
            row.median_resolution_hours = median
    for n, district_id, hours in _fetch(_BOOKED_SQL, params):
        if (n, district_id) in measures:
            measures[(n, district_id)].booked_hours = float(hours)
    for (n, district_id), hours in _opening_hours(
        jurisdiction, ranges, district.pk if district else None
    ).items():
        if (n, district_id) in measures:
            measures[(n, district_id)].opening_hours = hours

    result = []
    for n, date_range in enumerate(ranges, start=1):
        rows = []
        for district_id, ref in refs.items():
            row_measures = measures[(n, district_id)]
            if row_measures.population:
                row_measures.resident_green_m2 = row_measures.green_m2
                row_measures.resident_waste_points = row_measures.waste_points
                row_measures.resident_requests = row_measures.requests
            rows.append(Row(ref, row_measures, figures_of(row_measures)))
        total = _total([row.measures for row in rows], whole_medians.get(n))
        result.append(PeriodIndicators(date_range, rows, Row(None, total, figures_of(total))))
    return result


def _total(rows: Sequence[Measures], median: float | None) -> Measures:
    populations = [m.population for m in rows if m.population]
    return Measures(
        population=sum(populations) if populations else None,
        area_m2=sum(m.area_m2 for m in rows),
        green_m2=sum(m.green_m2 for m in rows),
        park_reach_m2=sum(m.park_reach_m2 for m in rows),
        sidewalk_done_m=sum(m.sidewalk_done_m for m in rows),
        sidewalk_planned_m=sum(m.sidewalk_planned_m for m in rows),
        waste_points=sum(m.waste_points for m in rows),
        requests=sum(m.requests for m in rows),
        overdue_requests=sum(m.overdue_requests for m in rows),
        closed_requests=sum(m.closed_requests for m in rows),
        median_resolution_hours=median,
        opening_hours=sum(m.opening_hours for m in rows),
        booked_hours=sum(m.booked_hours for m in rows),
        resident_green_m2=sum(m.resident_green_m2 for m in rows),
        resident_waste_points=sum(m.resident_waste_points for m in rows),
        resident_requests=sum(m.resident_requests for m in rows),
    )


def jurisdiction_indicators(jurisdiction: Jurisdiction, date_range: DateRange) -> PeriodIndicators:
    """Every district of the jurisdiction and the total, for the range."""
    return indicators_for_ranges(jurisdiction, [date_range])[0]


def indicators_with_trend(
    jurisdiction: Jurisdiction, date_range: DateRange, *, district: District | None = None
) -> tuple[PeriodIndicators, list[PeriodIndicators]]:
    """The range's indicators and the same for each month it touches, computed together."""
    months = months_of(date_range)
    periods = indicators_for_ranges(jurisdiction, [date_range, *months], district=district)
    return periods[0], periods[1:]


def district_by_code(jurisdiction: Jurisdiction, code: str) -> District | None:
    return District.objects.defer("geom").filter(jurisdiction=jurisdiction, code=code).first()
