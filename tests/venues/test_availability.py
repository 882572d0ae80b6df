"""Free slots: opening hours and dated exceptions, slot alignment, buffers, notice and horizon,
a split hall, the jurisdiction's time zone (Asia/Amman, and Europe/Berlin across daylight saving),
the availability endpoint, and the query count."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import IntegrityError, transaction

from geo_services.venues import hours, selectors
from geo_services.venues.models import OpeningException, Space
from tests.venues.conftest import (
    AMMAN_ZONE,
    BERLIN_ZONE,
    CENTRE,
    add_hall_with_halves,
    add_space,
    add_venue,
    book,
    closed_on,
    local,
)

DAY = date(2030, 6, 4)  # a Tuesday, far from any time-zone change
LONG_BEFORE = datetime(2030, 1, 1, tzinfo=UTC)


def slots(
    space: Space, first: date = DAY, days: int = 1, *, now: datetime = LONG_BEFORE
) -> list[tuple[datetime, datetime]]:
    availability = selectors.venue_availability(space.venue, first, days, now=now)
    [found] = [item for item in availability.spaces if item.space.pk == space.pk]
    return [(slot.start, slot.end) for slot in found.slots]


def starts(
    space: Space, first: date = DAY, days: int = 1, *, now: datetime = LONG_BEFORE, zone=AMMAN_ZONE
) -> list[str]:
    """Slot starts as local "HH:MM" (with the date when several days are asked for)."""
    fmt = "%H:%M" if days == 1 else "%m-%d %H:%M"
    return [start.astimezone(zone).strftime(fmt) for start, _end in slots(space, first, days, now=now)]


@pytest.mark.django_db
class TestOpeningHours:
    def test_slots_fill_the_opening_window_and_no_more(self, booking_space):
        space = booking_space(hours=(time(9), time(13)))
        assert starts(space) == ["09:00", "10:00", "11:00", "12:00"]
        assert all(end - start == timedelta(hours=1) for start, end in slots(space))

    def test_slots_are_counted_from_the_opening_time(self, booking_space):
        space = booking_space(hours=(time(9, 30), time(13)), slot_minutes=45)
        # 09:30, 10:15, 11:00, 11:45 — the last one ends at 12:30; 12:30-13:15 would pass closing.
        assert starts(space) == ["09:30", "10:15", "11:00", "11:45"]

    def test_weekdays_differ(self, booking_space):
        space = booking_space(hours=None)
        for weekday in (5, 6, 0, 1, 2, 3):  # Saturday to Thursday
            space.opening_hours.create(weekday=weekday, opens=time(9), closes=time(11))
        space.opening_hours.create(weekday=4, opens=time(15), closes=time(16))  # Friday, shorter
        friday = date(2030, 6, 7)
        assert starts(space, friday - timedelta(days=1), 2) == ["06-06 09:00", "06-06 10:00", "06-07 15:00"]

    def test_a_closed_day_has_no_slots(self, booking_space):
        space = booking_space(hours=(time(9), time(12)))
        closed_on(space, DAY + timedelta(days=1))
        assert starts(space, DAY, 3) == [
            "06-04 09:00", "06-04 10:00", "06-04 11:00",
            "06-06 09:00", "06-06 10:00", "06-06 11:00",
        ]  # fmt: skip

    def test_special_hours_replace_the_weekly_hours(self, booking_space):
        space = booking_space(hours=(time(9), time(12)))
        OpeningException.objects.create(
            space=space, date=DAY, opens=time(18), closes=time(20), reason_en="Ramadan"
        )
        OpeningException.objects.create(
            space=space, date=DAY, opens=time(21), closes=time(22), reason_en="Ramadan"
        )
        assert starts(space) == ["18:00", "19:00", "21:00"]


@pytest.mark.django_db
class TestBookingsAndRules:
    def test_live_bookings_take_their_slots(self, booking_space):
        space = booking_space(hours=(time(9), time(14)))
        book(space, local(DAY, 10), local(DAY, 12))
        book(space, local(DAY, 12), local(DAY, 13), status="cancelled")
        assert starts(space) == ["09:00", "12:00", "13:00"]

    def test_a_buffer_keeps_slots_away_from_bookings(self, booking_space):
        space = booking_space(hours=(time(9), time(15)), slot_minutes=30, min_minutes=30, buffer_minutes=30)
        book(space, local(DAY, 12), local(DAY, 13))
        # 11:30-12:00 would end 0 minutes before the booking and 13:00-13:30 start right after it.
        assert "11:30" not in starts(space)
        assert "13:00" not in starts(space)
        assert starts(space)[4:6] == ["11:00", "13:30"]

    def test_notice_and_the_past(self, booking_space):
        space = booking_space(hours=(time(8), time(16)), min_notice_hours=2)
        now = local(DAY, 10, 20)  # 10:20 in Amman; slots must start at 12:20 or later
        assert starts(space, now=now) == ["13:00", "14:00", "15:00"]
        assert starts(space, now=local(DAY, 20)) == []

    def test_nothing_beyond_the_booking_horizon(self, booking_space):
        space = booking_space(hours=(time(8), time(10)), max_days_ahead=2)
        now = local(DAY, 9)
        # Starts up to exactly two days after now (the same rule as services.check_rules).
        assert starts(space, DAY, 4, now=now) == [
            "06-04 09:00",
            "06-05 08:00",
            "06-05 09:00",
            "06-06 08:00",
            "06-06 09:00",
        ]

    def test_a_hall_and_its_halves(self, city):
        spaces = add_hall_with_halves(city, "centre", *CENTRE, hours=(time(9), time(12)))
        book(spaces["east"], local(DAY, 9), local(DAY, 10))
        book(spaces["hall"], local(DAY, 11), local(DAY, 12))
        assert starts(spaces["hall"]) == ["10:00"]
        assert starts(spaces["east"]) == ["10:00"]
        assert starts(spaces["west"]) == ["09:00", "10:00"]

    def test_only_bookable_spaces_are_listed(self, city):
        venue = add_venue(city, "mixed", *CENTRE, spaces=("open-room",))
        add_space(venue, "storeroom", bookable=False)
        availability = selectors.venue_availability(venue, DAY, 1, now=LONG_BEFORE)
        assert [item.space.code for item in availability.spaces] == ["open-room"]


@pytest.mark.django_db
class TestTimeZones:
    def test_amman_slots_are_utc_plus_three(self, booking_space):
        space = booking_space(hours=(time(9), time(11)))
        assert slots(space) == [
            (datetime(2030, 6, 4, 6, tzinfo=UTC), datetime(2030, 6, 4, 7, tzinfo=UTC)),
            (datetime(2030, 6, 4, 7, tzinfo=UTC), datetime(2030, 6, 4, 8, tzinfo=UTC)),
        ]

    def test_berlin_opening_time_stays_local_across_the_spring_change(self, berlin):
        venue = add_venue(berlin, "berlin-hall", 13.4, 52.52, hours=(time(8), time(10)))
        space = venue.spaces.get()
        now = datetime(2026, 3, 20, tzinfo=UTC)
        found = slots(space, date(2026, 3, 28), 2, now=now)
        # 08:00 in Berlin is 07:00 UTC on Saturday (CET, +1) and 06:00 UTC on Sunday (CEST, +2).
        assert [start for start, _end in found] == [
            datetime(2026, 3, 28, 7, tzinfo=UTC),
            datetime(2026, 3, 28, 8, tzinfo=UTC),
            datetime(2026, 3, 29, 6, tzinfo=UTC),
            datetime(2026, 3, 29, 7, tzinfo=UTC),
        ]

    def test_the_night_the_clocks_go_forward_has_an_hour_less(self, berlin):
        venue = add_venue(berlin, "night-hall", 13.4, 52.52, hours=(time(1), time(4)))
        space = venue.spaces.get()
        now = datetime(2026, 3, 20, tzinfo=UTC)
        found = slots(space, date(2026, 3, 29), 1, now=now)
        # 01:00 CET = 00:00 UTC to 04:00 CEST = 02:00 UTC: two hourly slots, not three.
        assert found == [
            (datetime(2026, 3, 29, 0, tzinfo=UTC), datetime(2026, 3, 29, 1, tzinfo=UTC)),
            (datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 3, 29, 2, tzinfo=UTC)),
        ]
        assert [s.astimezone(BERLIN_ZONE).strftime("%H:%M%z") for s, _e in found] == [
            "01:00+0100",
            "03:00+0200",
        ]

    def test_the_night_the_clocks_go_back_has_an_hour_more(self, berlin):
        venue = add_venue(berlin, "autumn-hall", 13.4, 52.52, hours=(time(1), time(4)))
        space = venue.spaces.get()
        found = slots(space, date(2026, 10, 25), 1, now=datetime(2026, 10, 1, tzinfo=UTC))
        # 01:00 CEST = 23:00 UTC the day before, to 04:00 CET = 03:00 UTC: four hours.
        assert len(found) == 4
        assert found[0][0] == datetime(2026, 10, 24, 23, tzinfo=UTC)
        assert found[-1][1] == datetime(2026, 10, 25, 3, tzinfo=UTC)

    def test_bulk_windows_keep_each_space_its_own_hours_and_exceptions(self, city, booking_space):
        """Many spaces read at once (the search and availability do): no space gets another's hours
        or exceptions."""
        early = booking_space(hours=(time(9), time(17)))
        late = add_venue(city, "late", 35.95, 31.96, hours=(time(18), time(23))).spaces.get()
        closed_on(early, date(2026, 3, 30))
        OpeningException.objects.create(space=late, date=date(2026, 3, 31), opens=time(20), closes=time(21))
        windows = hours.opening_windows_by_space([early.pk, late.pk], date(2026, 3, 30), date(2026, 3, 31),
                                                 zone=AMMAN_ZONE)  # fmt: skip
        local = {
            space_id: [(w.start.astimezone(AMMAN_ZONE), w.end.astimezone(AMMAN_ZONE)) for w in found]
            for space_id, found in windows.items()
        }
        assert [(s.day, s.hour, e.hour) for s, e in local[early.pk]] == [(31, 9, 17)]
        assert [(s.day, s.hour, e.hour) for s, e in local[late.pk]] == [(30, 18, 23), (31, 20, 21)]
        assert windows[early.pk] == hours.opening_windows(early, date(2026, 3, 30), date(2026, 3, 31),
                                                          zone=AMMAN_ZONE)  # fmt: skip


@pytest.mark.django_db
class TestEndpoint:
    def test_times_carry_the_jurisdictions_offset(self, api_client, booking_space, tomorrow):
        space = booking_space(hours=(time(9), time(11)))
        response = api_client.get(
            f"/api/v1/venues/{space.venue_id}/availability/", {"date": tomorrow.isoformat()}
        )
        assert response.status_code == 200
        body = response.json()
        assert body["time_zone"] == "Asia/Amman"
        assert body["currency"] == "JOD"
        [room] = body["spaces"]
        assert [slot["start"] for slot in room["slots"]] == [
            f"{tomorrow}T09:00:00+03:00",
            f"{tomorrow}T10:00:00+03:00",
        ]
        assert room["slots"][0]["end"] == f"{tomorrow}T10:00:00+03:00"
        assert room["price_per_hour"] == "12.500"

    def test_several_days(self, api_client, booking_space, tomorrow):
        space = booking_space(hours=(time(9), time(10)))
        response = api_client.get(
            f"/api/v1/venues/{space.venue_id}/availability/", {"date": tomorrow.isoformat(), "days": "14"}
        )
        assert len(response.json()["spaces"][0]["slots"]) == 14

    @pytest.mark.parametrize(
        "params",
        [
            {"days": "15"},
            {"days": "0"},
            {"days": "two"},
            {"date": "2026-02-30"},
            {"date": "tomorrow"},
            {"date": "20260501"},
        ],
    )
    def test_bad_input_is_400(self, api_client, booking_space, params):
        space = booking_space()
        response = api_client.get(f"/api/v1/venues/{space.venue_id}/availability/", params)
        assert response.status_code == 400, response.content
        assert response.json()["error"]["message"]

    def test_unknown_or_inactive_venue_is_404(self, api_client, booking_space):
        space = booking_space()
        assert api_client.get("/api/v1/venues/999999/availability/").status_code == 404
        space.venue.active = False
        space.venue.save()
        assert api_client.get(f"/api/v1/venues/{space.venue_id}/availability/").status_code == 404
        assert api_client.get(f"/api/v1/venues/{space.venue_id}/").status_code == 404


@pytest.mark.django_db
def test_availability_is_four_queries_whatever_the_spaces_and_days(city, django_assert_num_queries):
    venue = add_venue(city, "big", *CENTRE, spaces=tuple(f"room-{n}" for n in range(8)))
    for space in venue.spaces.all()[:4]:
        book(space, local(DAY, 10), local(DAY, 11))
        closed_on(space, DAY + timedelta(days=2))
    with django_assert_num_queries(4):
        availability = selectors.venue_availability(venue, DAY, 14, now=LONG_BEFORE)
    assert sum(len(item.slots) for item in availability.spaces) == 8 * 14 * 14 - 4 * (1 + 14)


@pytest.mark.django_db
def test_venue_detail_is_four_queries(city, django_assert_num_queries):
    venue = add_venue(city, "detail", *CENTRE, spaces=tuple(f"room-{n}" for n in range(6)))
    with django_assert_num_queries(4):
        detail = selectors.venue_detail(venue.pk, now=LONG_BEFORE, exceptions_ahead=timedelta(days=90))
        assert detail is not None
        assert sum(len(space.opening_hours.all()) for space in detail.spaces) == 6 * 7


class _Undo(Exception):
    pass


def database_accepts(space: Space, start: datetime, end: datetime) -> bool:
    """Whether PostgreSQL's exclusion constraint lets a live booking of [start, end) in (undone after)."""
    try:
        with transaction.atomic():
            book(space, start, end)
            raise _Undo
    except _Undo:
        return True
    except IntegrityError:
        return False


@pytest.mark.django_db
def test_free_slots_are_exactly_those_the_database_accepts(city):
    """Gaps differ between a hall (60 minutes after each booking) and its halves (none): each booking
    holds its time plus its own space's gap, and the slots must agree with the constraint."""
    venue = add_venue(city, "gaps", *CENTRE, spaces=())
    hall = add_space(venue, "hall", buffer_minutes=60, hours=(time(8), time(20)))
    east = add_space(venue, "east", parent=hall, hours=(time(8), time(20)))
    west = add_space(venue, "west", parent=hall, hours=(time(8), time(20)))
    book(hall, local(DAY, 10), local(DAY, 11))  # holds both halves 10:00-12:00
    book(east, local(DAY, 14), local(DAY, 15))  # holds east 14:00-15:00
    for space in (hall, east, west):
        free = set(slots(space))
        for hour in range(8, 20):
            slot = (local(DAY, hour), local(DAY, hour + 1))
            assert (slot in free) == database_accepts(space, *slot), (space.code, hour)
    assert starts(east) == ["08:00", "09:00", "12:00", "13:00", "15:00", "16:00", "17:00", "18:00", "19:00"]
    # The hall may not start at 13:00 (it would hold east until 15:00) nor at 09:00 (until 11:00).
    assert starts(hall) == ["08:00", "12:00", "15:00", "16:00", "17:00", "18:00", "19:00"]
