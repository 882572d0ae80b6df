"""iCalendar (RFC 5545): structure, CRLF and folding, UTC times, status, and who may read a booking's
file or a person's feed (the feed's token is its key; a wrong token is a 404)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from geo_services.venues import ical
from geo_services.venues.models import BookingStatus
from tests.factories import UserFactory, make_staff
from tests.venues.conftest import add_venue, book, local, make_city

UTC_STAMP = re.compile(r"^\d{8}T\d{6}Z$")


def unfold(body: bytes) -> list[str]:
    """Content lines of a calendar, after checking the transport rules a parser relies on."""
    text = body.decode("utf-8")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", ""), "a bare LF"
    assert "\r" not in text.replace("\r\n", ""), "a bare CR"
    physical = text[:-2].split("\r\n")
    for line in physical:
        assert len(line.encode("utf-8")) <= 75, line
    lines: list[str] = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def events(lines: list[str]) -> list[dict[str, str]]:
    """VEVENTs as {name: value}, checking that components nest properly."""
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    found: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in lines[1:-1]:
        name, _sep, value = line.partition(":")
        if line == "BEGIN:VEVENT":
            assert current is None
            current = {}
        elif line == "END:VEVENT":
            assert current is not None
            found.append(current)
            current = None
        elif current is not None:
            current[name] = value
    assert current is None
    return found


def calendar_header(lines: list[str]) -> dict[str, str]:
    header = {}
    for line in lines[1:]:
        if line == "BEGIN:VEVENT":
            break
        name, _sep, value = line.partition(":")
        header[name] = value
    return header


@pytest.fixture
def venue(city):
    venue = add_venue(city, "centre", 35.93, 31.95)
    venue.name_en = "Al-Hussein Cultural Centre"
    venue.name_ar = "مركز الحسين الثقافي, القاعة; الكبرى"  # a comma and a semicolon to escape
    venue.save()
    return venue


@pytest.mark.django_db
class TestBookingFile:
    def test_structure_utc_times_and_status(self, api_client, citizen, venue, tomorrow):
        booking = book(venue.spaces.get(), local(tomorrow, 10), local(tomorrow, 12), user=citizen)
        api_client.force_authenticate(citizen)
        response = api_client.get(f"/api/v1/bookings/{booking.pk}.ics", HTTP_ACCEPT="text/calendar")
        assert response.status_code == 200, response.content
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        lines = unfold(response.content)
        header = calendar_header(lines)
        assert header["VERSION"] == "2.0"
        assert header["PRODID"]
        [event] = events(lines)
        assert event["UID"] == f"booking-{booking.pk}@venues.amanah"
        assert event["DTSTART"] == local(tomorrow, 10).strftime("%Y%m%dT%H%M%SZ")
        assert event["DTEND"] == local(tomorrow, 12).strftime("%Y%m%dT%H%M%SZ")
        for name in ("DTSTART", "DTEND", "DTSTAMP"):
            assert UTC_STAMP.match(event[name]), event[name]
        assert (
            datetime.strptime(event["DTSTART"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC) == booking.during.lower
        )
        assert event["STATUS"] == "CONFIRMED"
        # SUMMARY names venue and space (Arabic first); TEXT escapes comma and semicolon.
        assert event["SUMMARY"] == "مركز الحسين الثقافي\\, القاعة\\; الكبرى — مساحة room"
        assert event["LOCATION"].startswith("مركز الحسين الثقافي\\, القاعة\\; الكبرى\\, منطقة")
        assert event["GEO"] == "31.950000;35.930000"

    def test_english_summary_and_tentative_then_cancelled(self, api_client, citizen, venue, tomorrow):
        booking = book(
            venue.spaces.get(),
            local(tomorrow, 10),
            local(tomorrow, 12),
            user=citizen,
            status=BookingStatus.REQUESTED,
        )
        api_client.force_authenticate(citizen)
        url = f"/api/v1/bookings/{booking.pk}.ics"
        [event] = events(unfold(api_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content))
        assert event["SUMMARY"] == "Al-Hussein Cultural Centre — Space room"
        assert event["STATUS"] == "TENTATIVE"
        booking.status = BookingStatus.CANCELLED
        booking.save()
        [event] = events(unfold(api_client.get(url).content))
        assert event["STATUS"] == "CANCELLED"
        assert int(event["SEQUENCE"]) > 0

    def test_who_may_read_it(self, api_client, citizen, other_citizen, venue_dispatcher, venue, tomorrow):
        booking = book(venue.spaces.get(), local(tomorrow, 10), local(tomorrow, 12), user=citizen)
        url = f"/api/v1/bookings/{booking.pk}.ics"
        assert api_client.get(url).status_code in (401, 403)
        api_client.force_authenticate(other_citizen)
        assert api_client.get(url).status_code == 404
        api_client.force_authenticate(venue_dispatcher)
        assert api_client.get(url).status_code == 200
        stranger = UserFactory.create(roles=["dispatcher"])
        make_staff(
            stranger,
            jurisdiction=make_city("other", "Asia/Riyadh", lon=46.6, lat=24.6, size=0.1).jurisdiction,
        )
        api_client.force_authenticate(stranger)
        assert api_client.get(url).status_code == 404
        api_client.force_authenticate(UserFactory.create(roles=["admin"]))
        assert api_client.get(url).status_code == 200


@pytest.mark.django_db
class TestFeed:
    def test_the_feed_url_opens_the_persons_bookings(
        self, api_client, citizen, other_citizen, venue, tomorrow
    ):
        space = venue.spaces.get()
        mine = [
            book(space, local(tomorrow, 9), local(tomorrow, 10), user=citizen),
            book(
                space, local(tomorrow, 11), local(tomorrow, 12), user=citizen, status=BookingStatus.CANCELLED
            ),
        ]
        book(space, local(tomorrow, 13), local(tomorrow, 14), user=other_citizen)
        api_client.force_authenticate(citizen)
        response = api_client.get("/api/v1/bookings/feed-url/")
        assert response.status_code == 200
        url = response.json()["url"]
        assert url.startswith("http://testserver/api/v1/bookings/feed/")
        assert url.endswith(".ics")
        assert response.json()["webcal_url"] == "webcal://" + url.removeprefix("http://")
        api_client.force_authenticate(None)  # a calendar application has no session
        feed = api_client.get(url.removeprefix("http://testserver"), HTTP_ACCEPT="text/calendar")
        assert feed.status_code == 200, feed.content
        lines = unfold(feed.content)
        assert calendar_header(lines)["REFRESH-INTERVAL;VALUE=DURATION"] == "PT1H"
        found = events(lines)
        assert [e["UID"] for e in found] == [ical.booking_uid(b) for b in mine]
        assert [e["STATUS"] for e in found] == ["CONFIRMED", "CANCELLED"]

    def test_a_wrong_token_is_404(self, api_client, citizen, other_citizen):
        token = ical.feed_token(citizen.pk)
        user_id, signature = token.split(".", 1)
        forged = f"{other_citizen.pk}.{signature}"  # someone else's id with this signature
        flipped = f"{user_id}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
        for wrong in (forged, flipped, user_id, "x", f"{user_id}.", "nonsense.ics"):
            response = api_client.get(f"/api/v1/bookings/feed/{wrong}.ics")
            assert response.status_code == 404, wrong
            assert response.json()["error"]["code"] == "unknown_feed"
        assert api_client.get(f"/api/v1/bookings/feed/{token}.ics").status_code == 200

    def test_an_inactive_persons_feed_is_gone(self, api_client, citizen):
        token = ical.feed_token(citizen.pk)
        citizen.is_active = False
        citizen.save()
        assert api_client.get(f"/api/v1/bookings/feed/{token}.ics").status_code == 404

    def test_tokens_are_stable_and_differ_per_person(self, citizen, other_citizen):
        assert ical.feed_token(citizen.pk) == ical.feed_token(citizen.pk)
        assert ical.feed_token(citizen.pk) != ical.feed_token(other_citizen.pk)
        assert len(ical.feed_token(citizen.pk).split(".", 1)[1]) >= 40
        assert ical.user_id_for_feed_token(ical.feed_token(citizen.pk)) == citizen.pk

    def test_anonymous_has_no_feed_url(self, api_client):
        assert api_client.get("/api/v1/bookings/feed-url/").status_code in (401, 403)


class TestContentLines:
    def test_folding_never_splits_a_character_and_unfolds_back(self):
        line = "SUMMARY:" + "مركز الحسين الثقافي — القاعة الرئيسية، الجناح الشرقي " * 4
        folded = ical.fold(line)
        physical = folded.removesuffix("\r\n").split("\r\n")
        assert len(physical) > 1
        for part in physical:
            assert len(part.encode("utf-8")) <= 75
            part.encode("utf-8").decode("utf-8")  # each physical line is whole UTF-8
        assert physical[0] + "".join(p[1:] for p in physical[1:]) == line
        assert all(p.startswith(" ") for p in physical[1:])

    def test_a_short_line_is_left_alone(self):
        assert ical.fold("VERSION:2.0") == "VERSION:2.0\r\n"
        assert ical.fold("X" * 75) == "X" * 75 + "\r\n"
        assert ical.fold("X" * 76) == "X" * 75 + "\r\n X\r\n"

    def test_text_escaping(self):
        assert ical.escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"

    def test_utc_stamps(self):
        moment = datetime(2026, 3, 29, 3, 30, tzinfo=UTC)
        assert ical.utc_stamp(moment) == "20260329T033000Z"
