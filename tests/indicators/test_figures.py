"""The indicators on the hand-computable town (tests/indicators/town.py), against figures computed by hand
here: areas and lengths from pyproj's Geod, counts and hours from the fixture's own list."""

from __future__ import annotations

from datetime import date

import pytest

from geo_services.indicators.selectors import DateRange, indicators_with_trend, jurisdiction_indicators
from tests.indicators.town import (
    BOOKED_HOURS,
    EAST_POPULATION,
    FIRST,
    LAST,
    OPENING_HOURS,
    PARK_A,
    WEST_POPULATION,
    build_town,
    expected,
    reach_of_box,
)

REL = 0.003  # geodesic areas on PostGIS's spheroid vs pyproj's: within 0.3 %


@pytest.fixture
def town(db):
    return build_town()


def by_code(period):
    return {row.district.code: row for row in period.districts}


def test_green_area_per_resident_counts_done_parks_and_strips_by_share(town):
    period = jurisdiction_indicators(town.jurisdiction, DateRange(FIRST, LAST))
    rows, want = by_code(period), expected()
    # Park B crosses the border: two thirds of it in the west, one third in the east.
    assert rows["west"].measures.green_m2 == pytest.approx(want.west_green, rel=REL)
    assert rows["east"].measures.green_m2 == pytest.approx(want.east_green, rel=REL)
    assert rows["west"].figures["green_m2_per_resident"] == pytest.approx(
        want.west_green / WEST_POPULATION, rel=REL
    )
    assert rows["east"].figures["green_m2_per_resident"] == pytest.approx(
        want.east_green / EAST_POPULATION, rel=REL
    )
    # The total is the sum over the sum, not the mean of the two ratios.
    total = (want.west_green + want.east_green) / (WEST_POPULATION + EAST_POPULATION)
    assert period.total.figures["green_m2_per_resident"] == pytest.approx(total, rel=REL)
    mean_of_ratios = (want.west_green / WEST_POPULATION + want.east_green / EAST_POPULATION) / 2
    assert abs(total - mean_of_ratios) / total > 0.1


def test_share_of_area_within_500_m_of_a_park(town):
    period = jurisdiction_indicators(town.jurisdiction, DateRange(FIRST, LAST))
    rows, want = by_code(period), expected()
    assert rows["west"].measures.area_m2 == pytest.approx(want.west_area, rel=REL)
    assert rows["west"].measures.park_reach_m2 == pytest.approx(want.west_reach, rel=0.005)
    assert rows["east"].measures.park_reach_m2 == pytest.approx(want.east_reach, rel=0.005)
    assert rows["west"].figures["park_access_area_percent"] == pytest.approx(
        100 * want.west_reach / want.west_area, rel=0.005
    )
    assert period.total.figures["park_access_area_percent"] == pytest.approx(
        100 * (want.west_reach + want.east_reach) / (want.west_area + want.east_area), rel=0.005
    )


def test_sidewalks_done_and_planned_by_share(town):
    period = jurisdiction_indicators(town.jurisdiction, DateRange(FIRST, LAST))
    rows, want = by_code(period), expected()
    assert rows["west"].figures["sidewalk_km_done"] == pytest.approx(want.west_sidewalk_done / 1000, rel=REL)
    assert rows["east"].figures["sidewalk_km_done"] == pytest.approx(want.east_sidewalk_done / 1000, rel=REL)
    assert rows["west"].figures["sidewalk_km_planned"] == pytest.approx(
        want.west_sidewalk_planned / 1000, rel=REL
    )
    assert rows["west"].figures["sidewalk_done_percent"] == pytest.approx(
        100 * want.west_sidewalk_done / want.west_sidewalk_planned, rel=REL
    )
    assert rows["east"].figures["sidewalk_done_percent"] == pytest.approx(100, rel=REL)
    total_done = want.west_sidewalk_done + want.east_sidewalk_done
    total_planned = want.west_sidewalk_planned + want.east_sidewalk_planned
    assert period.total.figures["sidewalk_done_percent"] == pytest.approx(
        100 * total_done / total_planned, rel=REL
    )


def test_waste_points_per_10000_residents(town):
    period = jurisdiction_indicators(town.jurisdiction, DateRange(FIRST, LAST))
    rows = by_code(period)
    assert rows["west"].figures["waste_points_per_10k"] == pytest.approx(2 / 20_000 * 10_000)
    assert rows["east"].figures["waste_points_per_10k"] == pytest.approx(1 / 5_000 * 10_000)
    assert period.total.figures["waste_points_per_10k"] == pytest.approx(3 / 25_000 * 10_000)


def test_service_requests_rate_median_and_overdue(town):
    period = jurisdiction_indicators(town.jurisdiction, DateRange(FIRST, LAST))
    rows = by_code(period)
    west, east, total = rows["west"].figures, rows["east"].figures, period.total.figures
    assert west["requests_per_1k"] == pytest.approx(3 / 20_000 * 1000)  # the duplicate is left out
    assert east["requests_per_1k"] == pytest.approx(1 / 5_000 * 1000)
    assert total["requests_per_1k"] == pytest.approx(4 / 25_000 * 1000)
    assert west["median_resolution_hours"] == pytest.approx(36)  # 24 h and 48 h
    assert east["median_resolution_hours"] == pytest.approx(51)  # 6 h and 96 h (requested before the range)
    assert total["median_resolution_hours"] == pytest.approx(36)  # 6, 24, 48, 96: not (36 + 51) / 2
    assert west["overdue_percent"] == pytest.approx(200 / 3)  # one closed late, one open past its time
    assert east["overdue_percent"] == pytest.approx(0)
    assert total["overdue_percent"] == pytest.approx(50)


def test_booking_utilisation_of_opening_hours(town):
    period = jurisdiction_indicators(town.jurisdiction, DateRange(FIRST, LAST))
    rows = by_code(period)
    assert rows["east"].measures.opening_hours == pytest.approx(OPENING_HOURS)
    assert rows["east"].measures.booked_hours == pytest.approx(BOOKED_HOURS)
    assert rows["east"].figures["booking_utilisation_percent"] == pytest.approx(
        100 * BOOKED_HOURS / OPENING_HOURS
    )
    assert rows["west"].figures["booking_utilisation_percent"] is None  # no venue: not computable
    assert period.total.figures["booking_utilisation_percent"] == pytest.approx(
        100 * BOOKED_HOURS / OPENING_HOURS
    )


def test_nothing_computable_without_population(town):
    town.east.population = None
    town.east.save()
    period = jurisdiction_indicators(town.jurisdiction, DateRange(FIRST, LAST))
    east = by_code(period)["east"].figures
    assert east["green_m2_per_resident"] is None
    assert east["waste_points_per_10k"] is None
    assert east["requests_per_1k"] is None
    assert east["overdue_percent"] == pytest.approx(0)  # not a per-resident figure
    # The jurisdiction's per-resident figures use the districts whose population is known.
    assert period.total.figures["waste_points_per_10k"] == pytest.approx(2 / 20_000 * 10_000)
    assert period.total.measures.population == WEST_POPULATION


def test_monthly_trend_follows_completion_dates(town):
    whole, months = indicators_with_trend(town.jurisdiction, DateRange(FIRST, LAST), district=town.west)
    assert [m.date_range.first for m in months] == [date(2026, m, 1) for m in range(1, 7)]
    assert months[1].date_range.last == date(2026, 2, 28)
    west = [m.districts[0] for m in months]
    assert [round(row.measures.waste_points) for row in west] == [1, 1, 1, 1, 2, 2]
    # Park A is done on 10 February, park B on 15 March.
    assert west[0].measures.park_reach_m2 == 0
    assert west[1].measures.park_reach_m2 == pytest.approx(reach_of_box(PARK_A), rel=0.005)
    assert west[2].measures.park_reach_m2 > west[1].measures.park_reach_m2
    # Flows are per month: January has the request of 00:30 local on 1 January, February the late one.
    assert [row.measures.requests for row in west] == [1, 1, 0, 0, 0, 1]
    assert [row.measures.overdue_requests for row in west] == [0, 1, 0, 0, 0, 1]
    assert whole.districts[0].measures.requests == 3
