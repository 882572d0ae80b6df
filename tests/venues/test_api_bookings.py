"""The booking API: who may do what, times read in the jurisdiction's zone, domain errors as 4xx in
the project's error shape (409 for collisions, with the colliding course sessions), bad bodies as
400, and the lists' query counts."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from geo_services.venues.models import Booking, BookingStatus, Course
from tests.factories import UserFactory, make_staff
from tests.venues.conftest import add_hall_with_halves, book, local, make_city

BOOKINGS = "/api/v1/bookings/"
COURSES = "/api/v1/courses/"


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


@pytest.mark.django_db
class TestBooking:
    def test_anonymous_cannot_book(self, api_client, booking_space, tomorrow):
        space = booking_space()
        response = api_client.post(
            BOOKINGS,
            {"space": space.pk, "start": f"{tomorrow}T10:00", "end": f"{tomorrow}T11:00"},
            format="json",
        )
        assert response.status_code in (401, 403)
        assert "error" in response.json()
        assert not Booking.objects.exists()

    def test_a_citizen_books_in_local_time(self, api_client, citizen, booking_space, tomorrow):
        space = booking_space()
        api_client.force_authenticate(citizen)
        response = api_client.post(
            BOOKINGS,
            {
                "space": space.pk,
                "start": f"{tomorrow}T10:00",
                "end": f"{tomorrow}T12:00",
                "note": "Chess club",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["start"] == f"{tomorrow}T10:00:00+03:00"
        assert body["end"] == f"{tomorrow}T12:00:00+03:00"
        assert body["status"] == "confirmed"
        assert body["space"]["id"] == space.pk
        assert body["venue"]["id"] == space.venue_id
        assert body["currency"] == "JOD"
        assert body["note"] == "Chess club"
        assert body["ics_url"] == f"/api/v1/bookings/{body['id']}.ics"
        booking = Booking.objects.get(pk=body["id"])
        assert booking.user == citizen
        assert booking.during.lower == local(tomorrow, 10)  # 07:00 UTC

    def test_explicit_offsets_are_kept(self, api_client, citizen, booking_space, tomorrow):
        space = booking_space()
        api_client.force_authenticate(citizen)
        response = api_client.post(
            BOOKINGS,
            {"space": space.pk, "start": f"{tomorrow}T07:00:00Z", "end": f"{tomorrow}T08:00:00Z"},
            format="json",
        )
        assert response.status_code == 201, response.content
        assert response.json()["start"] == f"{tomorrow}T10:00:00+03:00"

    def test_a_taken_slot_is_409(self, api_client, citizen, other_citizen, booking_space, tomorrow):
        space = booking_space()
        book(space, local(tomorrow, 10), local(tomorrow, 11), user=other_citizen)
        api_client.force_authenticate(citizen)
        response = api_client.post(
            BOOKINGS,
            {"space": space.pk, "start": f"{tomorrow}T10:00", "end": f"{tomorrow}T11:00"},
            format="json",
        )
        assert_error(response, 409, "taken")

    def test_a_half_of_a_booked_hall_is_409(self, api_client, citizen, city, tomorrow):
        spaces = add_hall_with_halves(city, "centre", 35.93, 31.95)
        book(spaces["hall"], local(tomorrow, 10), local(tomorrow, 12))
        api_client.force_authenticate(citizen)
        response = api_client.post(
            BOOKINGS,
            {"space": spaces["west"].pk, "start": f"{tomorrow}T11:00", "end": f"{tomorrow}T12:00"},
            format="json",
        )
        assert_error(response, 409)

    def test_the_rules_answer_400_with_a_reason(self, api_client, citizen, booking_space, tomorrow):
        space = booking_space(hours=(time(9), time(12)))
        api_client.force_authenticate(citizen)
        response = api_client.post(
            BOOKINGS,
            {"space": space.pk, "start": f"{tomorrow}T12:00", "end": f"{tomorrow}T13:00"},
            format="json",
        )
        assert_error(response, 400, "outside_opening_hours")
        response = api_client.post(
            BOOKINGS,
            {"space": space.pk, "start": f"{tomorrow}T11:00", "end": f"{tomorrow}T10:00"},
            format="json",
        )
        assert_error(response, 400, "end_before_start")

    def test_unknown_space_is_404(self, api_client, citizen, tomorrow):
        api_client.force_authenticate(citizen)
        response = api_client.post(
            BOOKINGS,
            {"space": 987654, "start": f"{tomorrow}T10:00", "end": f"{tomorrow}T11:00"},
            format="json",
        )
        assert_error(response, 404)


BAD_BODIES = [
    ([1, 2], "a list"),
    ({"start": "2030-01-01T10:00", "end": "2030-01-01T11:00"}, "no space"),
    ({"space": "abc", "start": "2030-01-01T10:00", "end": "2030-01-01T11:00"}, "space not a number"),
    ({"space": 0, "start": "2030-01-01T10:00", "end": "2030-01-01T11:00"}, "space zero"),
    ({"space": True, "start": "2030-01-01T10:00", "end": "2030-01-01T11:00"}, "space a boolean"),
    ({"space": "SPACE", "end": "2030-01-01T11:00"}, "no start"),
    ({"space": "SPACE", "start": "soon", "end": "2030-01-01T11:00"}, "start not a time"),
    ({"space": "SPACE", "start": "2030-01-01", "end": "2030-01-01T11:00"}, "a date only"),
    ({"space": "SPACE", "start": 1700000000, "end": "2030-01-01T11:00"}, "a number for a time"),
    ({"space": "SPACE", "start": "2030-01-01T10:00", "end": "2030-01-01T25:00"}, "hour 25"),
    ({"space": "SPACE", "start": "2030-01-01T10:00", "end": "2030-01-01T11:00", "note": 5}, "note a number"),
    (
        {"space": "SPACE", "start": "2030-01-01T10:00", "end": "2030-01-01T11:00", "note": "x" * 501},
        "note too long",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "why"), BAD_BODIES, ids=[why for _b, why in BAD_BODIES])
def test_bad_booking_bodies_are_400(api_client, citizen, booking_space, body, why):
    space = booking_space()
    if isinstance(body, dict) and body.get("space") == "SPACE":
        body = {**body, "space": space.pk}
    api_client.force_authenticate(citizen)
    assert_error(api_client.post(BOOKINGS, body, format="json"), 400)
    assert not Booking.objects.exists()


@pytest.mark.django_db
def test_malformed_json_is_400(api_client, citizen):
    api_client.force_authenticate(citizen)
    response = api_client.post(BOOKINGS, "{not json", content_type="application/json")
    assert_error(response, 400)


@pytest.mark.django_db
class TestCourses:
    def test_sessions_one_by_one(self, api_client, citizen, booking_space, tomorrow):
        space = booking_space()
        api_client.force_authenticate(citizen)
        sessions = [
            {
                "start": f"{tomorrow + timedelta(days=7 * n)}T18:00",
                "end": f"{tomorrow + timedelta(days=7 * n)}T19:00",
            }
            for n in range(3)
        ]
        response = api_client.post(
            COURSES, {"space": space.pk, "title": "Calligraphy", "sessions": sessions}, format="json"
        )
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["title"] == "Calligraphy"
        assert [s["start"] for s in body["sessions"]] == [f"{s['start']}:00+03:00" for s in sessions]
        assert all(s["course"]["id"] == body["id"] for s in body["sessions"])

    def test_weekdays_times_weeks_in_local_time(self, api_client, citizen, booking_space, tomorrow):
        space = booking_space()
        api_client.force_authenticate(citizen)
        second = tomorrow + timedelta(days=2)
        response = api_client.post(
            COURSES,
            {
                "space": space.pk,
                "title": "Robotics for girls",
                "weekdays": [tomorrow.weekday(), second.weekday()],
                "first_date": tomorrow.isoformat(),
                "weeks": 3,
                "start_time": "16:00",
                "end_time": "18:00",
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        starts = [s["start"] for s in response.json()["sessions"]]
        assert len(starts) == 6
        assert starts[:2] == [f"{tomorrow}T16:00:00+03:00", f"{second}T16:00:00+03:00"]
        assert Course.objects.get().sessions.count() == 6

    def test_a_collision_books_nothing_and_names_each_colliding_session(
        self, api_client, citizen, other_citizen, booking_space, tomorrow
    ):
        space = booking_space()
        week_two, week_three = tomorrow + timedelta(days=7), tomorrow + timedelta(days=14)
        book(space, local(week_two, 17), local(week_two, 18), user=other_citizen)
        book(space, local(week_three, 16), local(week_three, 17), user=other_citizen)
        api_client.force_authenticate(citizen)
        response = api_client.post(
            COURSES,
            {
                "space": space.pk,
                "title": "Drawing",
                "weekdays": [tomorrow.weekday()],
                "first_date": tomorrow.isoformat(),
                "weeks": 4,
                "start_time": "16:00",
                "end_time": "18:00",
            },
            format="json",
        )
        error = assert_error(response, 409)
        colliding = [datetime.fromisoformat(s) for s in error["details"]["colliding"]]
        assert colliding == [local(week_two, 16), local(week_three, 16)]
        assert not Course.objects.exists()
        assert Booking.objects.filter(user=citizen).count() == 0

    @pytest.mark.parametrize(
        "change",
        [
            {"weekdays": [7]},
            {"weekdays": []},
            {"weekdays": "monday"},
            {"weekdays": [True]},
            {"weeks": 0},
            {"weeks": 53},
            {"weeks": "many"},
            {"first_date": "01/02/2030"},
            {"start_time": "25:00"},
            {"start_time": "9"},
            {"end_time": "09:00"},
            {"title": ""},
            {"title": ["x"]},
        ],
    )
    def test_bad_weekly_courses_are_400(self, api_client, citizen, booking_space, tomorrow, change):
        space = booking_space()
        api_client.force_authenticate(citizen)
        body = {
            "space": space.pk,
            "title": "Course",
            "weekdays": [1],
            "first_date": tomorrow.isoformat(),
            "weeks": 2,
            "start_time": "10:00",
            "end_time": "11:00",
            **change,
        }
        assert_error(api_client.post(COURSES, body, format="json"), 400)

    @pytest.mark.parametrize("sessions", [[], "x", [{"start": "2030-01-01T10:00"}], ["2030-01-01T10:00"]])
    def test_bad_session_lists_are_400(self, api_client, citizen, booking_space, sessions):
        space = booking_space()
        api_client.force_authenticate(citizen)
        response = api_client.post(
            COURSES, {"space": space.pk, "title": "C", "sessions": sessions}, format="json"
        )
        assert_error(response, 400)

    def test_anonymous_cannot_book_a_course(self, api_client, booking_space, tomorrow):
        space = booking_space()
        response = api_client.post(COURSES, {"space": space.pk, "title": "C", "sessions": []}, format="json")
        assert response.status_code in (401, 403)


@pytest.mark.django_db
class TestCancel:
    def test_the_booker_cancels(self, api_client, citizen, booking_space, tomorrow):
        booking = book(booking_space(), local(tomorrow, 10), local(tomorrow, 11), user=citizen)
        api_client.force_authenticate(citizen)
        response = api_client.post(f"{BOOKINGS}{booking.pk}/cancel/")
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "cancelled"
        assert_error(api_client.post(f"{BOOKINGS}{booking.pk}/cancel/"), 409)

    def test_a_citizen_cannot_cancel_someone_elses_booking(
        self, api_client, citizen, other_citizen, booking_space, tomorrow
    ):
        booking = book(booking_space(), local(tomorrow, 10), local(tomorrow, 11), user=other_citizen)
        api_client.force_authenticate(citizen)
        assert_error(api_client.post(f"{BOOKINGS}{booking.pk}/cancel/"), 404)
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CONFIRMED

    def test_anonymous_cannot_cancel(self, api_client, citizen, booking_space, tomorrow):
        booking = book(booking_space(), local(tomorrow, 10), local(tomorrow, 11), user=citizen)
        assert api_client.post(f"{BOOKINGS}{booking.pk}/cancel/").status_code in (401, 403)
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CONFIRMED


@pytest.mark.django_db
class TestStaff:
    def test_a_dispatcher_decides_a_requested_booking(
        self, api_client, citizen, venue_dispatcher, booking_space, tomorrow
    ):
        space = booking_space(approval_required=True)
        api_client.force_authenticate(citizen)
        response = api_client.post(
            BOOKINGS,
            {"space": space.pk, "start": f"{tomorrow}T10:00", "end": f"{tomorrow}T11:00"},
            format="json",
        )
        assert response.json()["status"] == "requested"
        booking_id = response.json()["id"]
        # The citizen cannot decide their own request.
        assert_error(
            api_client.post(f"{BOOKINGS}{booking_id}/decision/", {"approve": True}, format="json"), 403
        )
        api_client.force_authenticate(venue_dispatcher)
        assert_error(
            api_client.post(f"{BOOKINGS}{booking_id}/decision/", {"approve": "yes"}, format="json"), 400
        )
        assert_error(api_client.post(f"{BOOKINGS}{booking_id}/decision/", {}, format="json"), 400)
        response = api_client.post(
            f"{BOOKINGS}{booking_id}/decision/", {"approve": True, "note": "See you there"}, format="json"
        )
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "confirmed"
        assert_error(
            api_client.post(f"{BOOKINGS}{booking_id}/decision/", {"approve": False}, format="json"), 409
        )

    def test_a_dispatcher_of_another_jurisdiction_cannot_decide(
        self, api_client, citizen, booking_space, tomorrow
    ):
        booking = book(
            booking_space(approval_required=True), local(tomorrow, 10), local(tomorrow, 11), user=citizen
        )
        booking.status = BookingStatus.REQUESTED
        booking.save()
        stranger = UserFactory.create(roles=["dispatcher"])
        make_staff(
            stranger,
            jurisdiction=make_city("elsewhere", "Asia/Riyadh", lon=46.6, lat=24.6, size=0.1).jurisdiction,
        )
        api_client.force_authenticate(stranger)
        assert_error(
            api_client.post(f"{BOOKINGS}{booking.pk}/decision/", {"approve": True}, format="json"), 403
        )

    def test_a_citizen_cannot_block_a_space(self, api_client, citizen, booking_space, tomorrow):
        space = booking_space()
        api_client.force_authenticate(citizen)
        response = api_client.post(
            f"/api/v1/spaces/{space.pk}/blocks/",
            {"start": f"{tomorrow}T10:00", "end": f"{tomorrow}T11:00", "note": "Maintenance"},
            format="json",
        )
        assert_error(response, 403)
        assert not Booking.objects.exists()

    def test_a_dispatcher_blocks_a_space(
        self, api_client, venue_dispatcher, citizen, booking_space, tomorrow
    ):
        space = booking_space()
        api_client.force_authenticate(venue_dispatcher)
        url = f"/api/v1/spaces/{space.pk}/blocks/"
        response = api_client.post(
            url, {"start": f"{tomorrow}T10:00", "end": f"{tomorrow}T13:30", "note": "Painting"}, format="json"
        )
        assert response.status_code == 201, response.content
        assert response.json()["is_block"] is True
        assert response.json()["end"] == f"{tomorrow}T13:30:00+03:00"
        assert_error(
            api_client.post(url, {"start": f"{tomorrow}T12:00", "end": f"{tomorrow}T14:00"}, format="json"),
            409,
        )
        assert_error(api_client.post(url, {"start": "later", "end": f"{tomorrow}T14:00"}, format="json"), 400)
        assert_error(
            api_client.post(
                "/api/v1/spaces/999999/blocks/",
                {"start": f"{tomorrow}T10:00", "end": f"{tomorrow}T11:00"},
                format="json",
            ),
            404,
        )

    def test_anonymous_cannot_decide_or_block(self, api_client, booking_space, citizen, tomorrow):
        booking = book(booking_space(), local(tomorrow, 10), local(tomorrow, 11), user=citizen)
        assert api_client.post(
            f"{BOOKINGS}{booking.pk}/decision/", {"approve": True}, format="json"
        ).status_code in (
            401,
            403,
        )
        assert api_client.post(
            f"/api/v1/spaces/{booking.space_id}/blocks/", {}, format="json"
        ).status_code in (
            401,
            403,
        )


@pytest.mark.django_db
class TestMine:
    def test_only_ones_own_bookings_latest_first(
        self, api_client, citizen, other_citizen, booking_space, tomorrow
    ):
        space = booking_space()
        early = book(space, local(tomorrow, 9), local(tomorrow, 10), user=citizen)
        late = book(space, local(tomorrow, 15), local(tomorrow, 16), user=citizen)
        book(space, local(tomorrow, 12), local(tomorrow, 13), user=other_citizen)
        api_client.force_authenticate(citizen)
        response = api_client.get(f"{BOOKINGS}mine/")
        assert response.status_code == 200
        assert [b["id"] for b in response.json()["results"]] == [late.pk, early.pk]

    def test_anonymous_has_no_list(self, api_client):
        assert api_client.get(f"{BOOKINGS}mine/").status_code in (401, 403)

    def test_the_list_costs_the_same_queries_for_two_or_twenty_bookings(
        self, api_client, citizen, booking_space, tomorrow
    ):
        space = booking_space()
        api_client.force_authenticate(citizen)
        for hour in (8, 9):
            book(space, local(tomorrow, hour), local(tomorrow, hour + 1), user=citizen)
        with CaptureQueriesContext(connection) as few:
            assert len(api_client.get(f"{BOOKINGS}mine/").json()["results"]) == 2
        for day in range(1, 19):
            book(
                space,
                local(tomorrow + timedelta(days=day), 10),
                local(tomorrow + timedelta(days=day), 11),
                user=citizen,
            )
        with CaptureQueriesContext(connection) as many:
            assert len(api_client.get(f"{BOOKINGS}mine/").json()["results"]) == 20
        assert len(many.captured_queries) == len(few.captured_queries) == 1


@pytest.mark.django_db
def test_venue_detail_shows_spaces_rules_prices_and_currency(api_client, city):
    spaces = add_hall_with_halves(city, "centre", 35.93, 31.95, approval_required=True)
    response = api_client.get(f"/api/v1/venues/{spaces['hall'].venue_id}/")
    assert response.status_code == 200
    body = response.json()
    assert body["currency"] == "JOD"
    assert body["jurisdiction"]["time_zone"] == "Asia/Amman"
    by_code = {s["code"]: s for s in body["spaces"]}
    assert by_code["east"]["parent"] == spaces["hall"].pk
    assert by_code["hall"]["price_per_hour"] == "12.500"
    assert by_code["hall"]["currency"] == "JOD"
    assert by_code["hall"]["rules"]["approval_required"] is True
    assert len(by_code["west"]["opening_hours"]) == 7
    assert api_client.get("/api/v1/venues/999999/").status_code == 404
