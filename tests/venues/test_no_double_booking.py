"""No double booking: refused by PostgreSQL itself (raw SQL), across a space hierarchy, under races."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from django.contrib.gis.geos import Point
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from geo_services.core.errors import Conflict, InvalidInput
from geo_services.core.models import District
from geo_services.venues import services
from geo_services.venues.models import Booking, BookingStatus, OpeningHours, Space, Venue, VenueKind
from tests.factories import UserFactory

PITCH_POINT = Point(35.8430, 31.9730, srid=4326)


def make_venue(amman, *, code="pitch-1", buffer=0) -> dict[str, Space]:
    """A pitch split in two halves, open 08:00-22:00 every day, hourly slots."""
    venue = Venue.objects.create(
        jurisdiction=amman,
        district=District.objects.get(jurisdiction=amman, code="sweileh"),
        kind=VenueKind.SPORTS_PITCH,
        code=code,
        name_ar="ملعب",
        name_en="Pitch",
        location=PITCH_POINT,
    )
    rules = {"slot_minutes": 60, "min_minutes": 60, "max_minutes": 180, "min_notice_hours": 0,
             "buffer_minutes": buffer, "max_active_per_user": 50}  # fmt: skip
    full = Space.objects.create(venue=venue, code="full", name_ar="كامل", name_en="Full pitch", **rules)
    half_a = Space.objects.create(venue=venue, parent=full, code="a", name_ar="أ", name_en="Half A", **rules)
    half_b = Space.objects.create(venue=venue, parent=full, code="b", name_ar="ب", name_en="Half B", **rules)
    for space in (full, half_a, half_b):
        OpeningHours.objects.bulk_create(
            OpeningHours(space=space, weekday=d, opens=time(8), closes=time(22)) for d in range(7)
        )
    return {"full": full, "a": half_a, "b": half_b}


def tomorrow_at(hour: int) -> datetime:
    """Tomorrow at `hour`:00 in Amman, as UTC."""
    from zoneinfo import ZoneInfo

    day = (timezone.now().astimezone(ZoneInfo("Asia/Amman")) + timedelta(days=1)).date()
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo("Asia/Amman")).astimezone(UTC)


def raw_booking(
    space: Space, user_id: int, start: datetime, end: datetime, status: str = "confirmed"
) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO venues_booking (space_id, user_id, during, status, is_block, note, leaves, created_at,"
            " updated_at) VALUES (%s, %s, tstzrange(%s, %s), %s, false, '', '{}', now(), now())",
            [space.pk, user_id, start, end, status],
        )


@pytest.mark.django_db
class TestDatabaseRefuses:
    def test_overlap_on_the_same_space(self, amman):
        spaces = make_venue(amman)
        user = UserFactory.create()
        raw_booking(spaces["a"], user.pk, tomorrow_at(10), tomorrow_at(11))
        with pytest.raises(IntegrityError, match="venues_booking_no_overlap"):
            raw_booking(spaces["a"], user.pk, tomorrow_at(10) + timedelta(minutes=30), tomorrow_at(12))

    def test_parent_blocks_children_and_child_blocks_parent(self, amman):
        spaces = make_venue(amman)
        user = UserFactory.create()
        raw_booking(spaces["full"], user.pk, tomorrow_at(10), tomorrow_at(11))
        with pytest.raises(IntegrityError, match="venues_booking_no_overlap"):
            raw_booking(spaces["b"], user.pk, tomorrow_at(10), tomorrow_at(11))
        raw_booking(spaces["a"], user.pk, tomorrow_at(12), tomorrow_at(13))
        with pytest.raises(IntegrityError, match="venues_booking_no_overlap"):
            raw_booking(spaces["full"], user.pk, tomorrow_at(12), tomorrow_at(13))
        # The two halves are independent of each other.
        raw_booking(spaces["b"], user.pk, tomorrow_at(12), tomorrow_at(13))

    def test_touching_bookings_and_dead_bookings_do_not_collide(self, amman):
        spaces = make_venue(amman)
        user = UserFactory.create()
        raw_booking(spaces["a"], user.pk, tomorrow_at(10), tomorrow_at(11))
        raw_booking(spaces["a"], user.pk, tomorrow_at(11), tomorrow_at(12))  # [10,11) then [11,12)
        raw_booking(spaces["a"], user.pk, tomorrow_at(10), tomorrow_at(11), status="cancelled")
        raw_booking(spaces["a"], user.pk, tomorrow_at(10), tomorrow_at(11), status="rejected")

    def test_leaves_cannot_be_forged(self, amman):
        spaces = make_venue(amman)
        user = UserFactory.create()
        raw_booking(spaces["a"], user.pk, tomorrow_at(10), tomorrow_at(11))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE venues_booking SET leaves = '{999}' WHERE space_id = %s", [spaces["a"].pk])
            cursor.execute("SELECT leaves FROM venues_booking WHERE space_id = %s", [spaces["a"].pk])
            assert cursor.fetchone()[0] == [spaces["a"].pk]

    def test_held_leaves_cannot_be_written_directly(self, amman):
        """Removing a booking's held leaves would let an overlapping booking in: refused, as are
        forged rows."""
        spaces = make_venue(amman)
        user = UserFactory.create()
        raw_booking(spaces["a"], user.pk, tomorrow_at(10), tomorrow_at(11))
        for statement in (
            "DELETE FROM venues_bookingleaf",
            "UPDATE venues_bookingleaf SET held = tstzrange(now() - interval '2 days', now() - interval '1 day')",
            f"INSERT INTO venues_bookingleaf (booking_id, leaf_id, held) SELECT id, {spaces['b'].pk}, held "
            "FROM venues_booking",
        ):
            with (
                pytest.raises(DatabaseError, match="venues_bookingleaf_written_by_bookings"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement)
        with pytest.raises(IntegrityError, match="venues_booking_no_overlap"):
            raw_booking(spaces["full"], user.pk, tomorrow_at(10), tomorrow_at(11))

    def test_held_leaves_follow_each_booking(self, amman):
        """One row per leaf of every live booking, with the time it holds — through status changes,
        a move in time, a split of the space and a deletion."""
        spaces = make_venue(amman, buffer=15)
        user = UserFactory.create()

        def held() -> set[tuple[int, int, datetime, datetime]]:
            with connection.cursor() as cursor:
                cursor.execute("SELECT booking_id, leaf_id, lower(held), upper(held) FROM venues_bookingleaf")
                return set(cursor.fetchall())

        raw_booking(spaces["full"], user.pk, tomorrow_at(10), tomorrow_at(11))
        booking = Booking.objects.get()
        gap = timedelta(minutes=15)
        assert held() == {
            (booking.pk, spaces[code].pk, tomorrow_at(10), tomorrow_at(11) + gap) for code in ("a", "b")
        }
        Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.CANCELLED)
        assert held() == set()
        Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.CONFIRMED)
        assert len(held()) == 2
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE venues_booking SET during = tstzrange(%s, %s) WHERE id = %s",
                [tomorrow_at(14), tomorrow_at(15), booking.pk],
            )
        assert {(low, high) for _b, _l, low, high in held()} == {(tomorrow_at(14), tomorrow_at(15) + gap)}
        quarter = Space.objects.create(
            venue=spaces["a"].venue, parent=spaces["a"], code="a1", name_ar="ربع", name_en="Quarter"
        )
        assert {leaf for _b, leaf, _low, _high in held()} == {quarter.pk, spaces["b"].pk}
        Booking.objects.filter(pk=booking.pk).delete()
        assert held() == set()

    def test_reviving_a_cancelled_booking_into_a_taken_slot_is_refused(self, amman):
        spaces = make_venue(amman)
        user = UserFactory.create()
        raw_booking(spaces["a"], user.pk, tomorrow_at(10), tomorrow_at(11), status="cancelled")
        raw_booking(spaces["a"], user.pk, tomorrow_at(10), tomorrow_at(11))
        with pytest.raises(IntegrityError, match="venues_booking_no_overlap"), transaction.atomic():
            Booking.objects.filter(status="cancelled").update(status="confirmed")

    def test_buffer_is_held_by_the_database(self, amman):
        spaces = make_venue(amman, buffer=30)
        user = UserFactory.create()
        raw_booking(spaces["a"], user.pk, tomorrow_at(10), tomorrow_at(11))
        with pytest.raises(IntegrityError, match="venues_booking_no_overlap"):
            raw_booking(spaces["a"], user.pk, tomorrow_at(11), tomorrow_at(12))  # only 0 minutes after
        raw_booking(spaces["a"], user.pk, tomorrow_at(11) + timedelta(minutes=30), tomorrow_at(13))

    def test_splitting_a_booked_space_keeps_its_bookings_exclusive(self, amman):
        spaces = make_venue(amman)
        user = UserFactory.create()
        raw_booking(spaces["a"], user.pk, tomorrow_at(15), tomorrow_at(16))
        # Half A is split into two quarters: its booking now holds both.
        Space.objects.create(
            venue=spaces["a"].venue, parent=spaces["a"], code="a1", name_ar="الربع الأول", name_en="A1"
        )
        Space.objects.create(
            venue=spaces["a"].venue, parent=spaces["a"], code="a2", name_ar="الربع الثاني", name_en="A2"
        )
        booking = Booking.objects.get(space=spaces["a"])
        assert len(booking.leaves) == 2
        with pytest.raises(IntegrityError, match="venues_booking_no_overlap"):
            raw_booking(Space.objects.get(code="a2"), user.pk, tomorrow_at(15), tomorrow_at(16))


@pytest.mark.django_db(transaction=True)
def test_many_simultaneous_requests_for_one_slot_exactly_one_wins(amman):
    spaces = make_venue(amman)
    users = [UserFactory.create(username=f"racer{i}") for i in range(12)]
    start, end = tomorrow_at(18), tomorrow_at(19)
    barrier = threading.Barrier(len(users))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(user, space):
        close_old_connections()
        try:
            barrier.wait()
            services.book_space(user=user, space_id=space.pk, start=start, end=end)
            result = "won"
        except Conflict:
            result = "conflict"
        except Exception as error:  # anything else is a defect (a 500 in the API)
            result = f"error: {error!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    # Half of the racers want the whole pitch, half want half A: only one booking may exist.
    threads = [
        threading.Thread(target=attempt, args=(user, spaces["full"] if i % 2 else spaces["a"]))
        for i, user in enumerate(users)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("won") == 1, outcomes
    assert outcomes.count("conflict") == len(users) - 1, outcomes
    assert Booking.objects.filter(status__in=["requested", "confirmed"]).count() == 1


@pytest.mark.django_db
def test_the_service_answers_409_for_a_taken_slot(amman):
    spaces = make_venue(amman)
    first, second = UserFactory.create(), UserFactory.create()
    services.book_space(user=first, space_id=spaces["a"].pk, start=tomorrow_at(9), end=tomorrow_at(10))
    with pytest.raises(Conflict) as caught:
        services.book_space(
            user=second, space_id=spaces["full"].pk, start=tomorrow_at(9), end=tomorrow_at(11)
        )
    assert caught.value.status == 409
    with pytest.raises(InvalidInput):
        services.book_space(
            user=second, space_id=spaces["full"].pk, start=tomorrow_at(11), end=tomorrow_at(10)
        )
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 1
