"""A space's rules: opening hours with dated exceptions, slots, lengths, notice, horizon, time zones,
courses booked all-or-nothing, cancelling and staff decisions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from geo_services.core.errors import Conflict, Forbidden, InvalidInput
from geo_services.venues import services
from geo_services.venues.hours import opening_windows
from geo_services.venues.models import Booking, BookingStatus, OpeningException, OpeningHours, Space
from tests.factories import JurisdictionFactory, UserFactory
from tests.venues.test_no_double_booking import make_venue, tomorrow_at

AMMAN = ZoneInfo("Asia/Amman")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def pitch(amman) -> dict[str, Space]:
    return make_venue(amman)


def book(space: Space, start: datetime, end: datetime, user=None):
    return services.book_space(user=user or UserFactory.create(), space_id=space.pk, start=start, end=end)


@pytest.mark.django_db
class TestRules:
    @pytest.mark.parametrize(
        ("start_hour", "minutes", "code"),
        [
            (6, 60, "outside_opening_hours"),  # opens at 08:00
            (21, 120, "outside_opening_hours"),  # closes at 22:00
            (10, 30, "too_short"),
            (10, 240, "too_long"),
        ],
    )
    def test_refusals_name_the_rule(self, pitch, start_hour, minutes, code):
        start = tomorrow_at(start_hour)
        with pytest.raises(InvalidInput) as caught:
            book(pitch["a"], start, start + timedelta(minutes=minutes))
        assert caught.value.code == code
        assert Booking.objects.count() == 0

    def test_not_on_a_slot(self, pitch):
        start = tomorrow_at(10) + timedelta(minutes=15)
        with pytest.raises(InvalidInput) as caught:
            book(pitch["a"], start, start + timedelta(hours=1))
        assert caught.value.code == "not_on_slot"

    def test_end_before_start_past_and_too_far(self, pitch):
        with pytest.raises(InvalidInput, match="end must be after"):
            book(pitch["a"], tomorrow_at(11), tomorrow_at(10))
        yesterday = tomorrow_at(10) - timedelta(days=2)
        with pytest.raises(InvalidInput, match="in the past"):
            book(pitch["a"], yesterday, yesterday + timedelta(hours=1))
        far = tomorrow_at(10) + timedelta(days=90)
        with pytest.raises(InvalidInput) as caught:
            book(pitch["a"], far, far + timedelta(hours=1))
        assert caught.value.code == "too_far_ahead"

    def test_min_notice(self, pitch):
        Space.objects.filter(pk=pitch["a"].pk).update(min_notice_hours=48)
        with pytest.raises(InvalidInput) as caught:
            book(pitch["a"], tomorrow_at(10), tomorrow_at(11))
        assert caught.value.code == "too_soon"

    def test_per_user_limit(self, pitch):
        Space.objects.filter(pk=pitch["a"].pk).update(max_active_per_user=1)
        user = UserFactory.create()
        book(pitch["a"], tomorrow_at(10), tomorrow_at(11), user)
        with pytest.raises(InvalidInput) as caught:
            book(pitch["a"], tomorrow_at(12), tomorrow_at(13), user)
        assert caught.value.code == "user_limit"

    def test_closed_day_and_special_hours(self, pitch):
        day = tomorrow_at(10).astimezone(AMMAN).date()
        OpeningException.objects.create(space=pitch["a"], date=day, reason_en="Eid holiday")
        with pytest.raises(InvalidInput) as caught:
            book(pitch["a"], tomorrow_at(10), tomorrow_at(11))
        assert caught.value.code == "outside_opening_hours"
        # Ramadan-style special hours the day after: 20:00-23:00 only.
        after = day + timedelta(days=1)
        OpeningException.objects.create(space=pitch["a"], date=after, opens=time(20), closes=time(23))
        evening = datetime.combine(after, time(21), tzinfo=AMMAN).astimezone(UTC)
        morning = datetime.combine(after, time(10), tzinfo=AMMAN).astimezone(UTC)
        book(pitch["a"], evening, evening + timedelta(hours=1))
        with pytest.raises(InvalidInput):
            book(pitch["a"], morning, morning + timedelta(hours=1))


@pytest.mark.django_db
class TestTimeZones:
    def test_amman_hours_are_local(self, pitch):
        windows = opening_windows(pitch["a"], date(2026, 12, 1), date(2026, 12, 1), zone=AMMAN)
        # Amman is UTC+3 all year: 08:00-22:00 local is 05:00-19:00 UTC.
        assert [(w.start.hour, w.end.hour) for w in windows] == [(5, 19)]

    def test_daylight_saving_keeps_local_opening_times(self, pitch):
        berlin = ZoneInfo("Europe/Berlin")
        # Clocks go forward on 2026-03-29: 08:00 local is 07:00 UTC before, 06:00 UTC after.
        windows = opening_windows(pitch["a"], date(2026, 3, 28), date(2026, 3, 30), zone=berlin)
        assert [w.start.astimezone(UTC).hour for w in windows] == [7, 6, 6]
        assert all(w.start.astimezone(berlin).hour == 8 for w in windows)

    def test_booking_in_a_dst_jurisdiction(self, amman):
        berlin_city = JurisdictionFactory.create(code="berlin-test", time_zone="Europe/Berlin")
        spaces = make_venue(amman, code="dst-pitch")
        spaces["a"].venue.__class__.objects.filter(pk=spaces["a"].venue_id).update(jurisdiction=berlin_city)
        zone = ZoneInfo("Europe/Berlin")
        day = (timezone.now().astimezone(zone) + timedelta(days=2)).date()
        start = datetime.combine(day, time(8), tzinfo=zone)
        booking = book(spaces["a"], start, start + timedelta(hours=1))
        assert booking.during.lower.astimezone(zone).hour == 8
        before_opening = datetime.combine(day, time(7), tzinfo=zone)
        with pytest.raises(InvalidInput):
            book(spaces["b"], before_opening, before_opening + timedelta(hours=1))


@pytest.mark.django_db
class TestCourses:
    def sessions(self, weeks: int = 4):
        first = (timezone.now().astimezone(AMMAN) + timedelta(days=1)).date()
        return services.course_sessions(
            weekdays=[first.weekday(), (first.weekday() + 3) % 7],
            first_date=first,
            weeks=weeks,
            start_time=time(17),
            end_time=time(19),
            zone=AMMAN,
        )

    def test_course_books_every_session(self, pitch):
        sessions = self.sessions()
        assert len(sessions) == 8
        course = services.book_course(user=UserFactory.create(), space_id=pitch["full"].pk, title="Football school",
                                      sessions=sessions)  # fmt: skip
        assert course.sessions.count() == 8
        assert all(s.status == BookingStatus.CONFIRMED for s in course.sessions.all())

    def test_one_collision_books_nothing_and_names_the_dates(self, pitch):
        sessions = self.sessions()
        # Someone already holds half A during the third and sixth sessions.
        for start, _end in (sessions[2], sessions[5]):
            book(pitch["a"], start, start + timedelta(hours=1))
        before = Booking.objects.count()
        with pytest.raises(Conflict) as caught:
            services.book_course(
                user=UserFactory.create(),
                space_id=pitch["full"].pk,
                title="Football school",
                sessions=sessions,
            )
        assert caught.value.details == {"colliding": [sessions[2][0].isoformat(), sessions[5][0].isoformat()]}
        assert Booking.objects.count() == before

    def test_course_sessions_must_follow_the_rules(self, pitch):
        bad = [*self.sessions(1), (tomorrow_at(6), tomorrow_at(7))]
        with pytest.raises(InvalidInput):
            services.book_course(
                user=UserFactory.create(), space_id=pitch["full"].pk, title="x", sessions=bad
            )
        assert Booking.objects.count() == 0


@pytest.mark.django_db
class TestCancelAndDecide:
    def test_cancel_frees_the_slot_and_respects_the_deadline(self, pitch):
        user = UserFactory.create()
        booking = book(pitch["a"], tomorrow_at(20), tomorrow_at(21), user)
        Space.objects.filter(pk=pitch["a"].pk).update(cancellation_hours=0)
        services.cancel_booking(user=user, booking_id=booking.pk)
        book(pitch["a"], tomorrow_at(20), tomorrow_at(21))  # free again
        late = book(pitch["b"], tomorrow_at(20), tomorrow_at(21), user)
        Space.objects.filter(pk=pitch["b"].pk).update(cancellation_hours=72)
        with pytest.raises(Conflict) as caught:
            services.cancel_booking(user=user, booking_id=late.pk)
        assert caught.value.code == "too_late_to_cancel"

    def test_approval_flow_and_staff_only(self, pitch):
        Space.objects.filter(pk=pitch["a"].pk).update(approval_required=True)
        citizen = UserFactory.create(roles=["citizen"])
        booking = book(pitch["a"], tomorrow_at(10), tomorrow_at(11), citizen)
        assert booking.status == BookingStatus.REQUESTED
        with pytest.raises(Forbidden):
            services.decide_booking(actor=citizen, booking_id=booking.pk, approve=True)
        admin = UserFactory.create(is_superuser=True)
        assert services.decide_booking(actor=admin, booking_id=booking.pk, approve=True).status == "confirmed"

    def test_staff_block_holds_the_space(self, pitch):
        admin = UserFactory.create(is_superuser=True)
        services.block_space(
            actor=admin, space_id=pitch["full"].pk, start=tomorrow_at(8), end=tomorrow_at(12)
        )
        with pytest.raises(Conflict):
            book(pitch["b"], tomorrow_at(9), tomorrow_at(10))
        with pytest.raises(Forbidden):
            services.block_space(
                actor=UserFactory.create(roles=["citizen"]), space_id=pitch["a"].pk,
                start=tomorrow_at(14), end=tomorrow_at(15),
            )  # fmt: skip

    def test_weekly_hours_for_every_day_exist(self, pitch):
        assert OpeningHours.objects.filter(space=pitch["a"]).count() == 7
