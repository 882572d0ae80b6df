"""A citizen books a football pitch from a phone, in Arabic, and finds the booking in "my bookings".

Debian's chromium through Playwright against the live server, with every request to another host
refused (a closed network): only the optional basemap tiles may be asked for. The phone is set to
New York time, so the page must show and send Amman's local times by itself.

AMANAH_SCREENSHOT_DIR=/some/folder keeps a screenshot of each page there.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from geo_services.core.models import Jurisdiction
from geo_services.venues.models import Booking, BookingStatus, VenueKind
from geo_services.venues.pages import EN_DASH
from tests.browser.support import record_local_failures
from tests.factories import TEST_PASSWORD, UserFactory
from tests.venue_pages import PITCH_LAT, PITCH_LON, make_pitch, make_venue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
AMMAN = ZoneInfo("Asia/Amman")


@pytest.fixture
def closed_network(browser, live_server):
    """A phone-sized browser context that reaches only the live server, located near the pitch."""
    server_host = urlparse(live_server.url).hostname
    context = browser.new_context(
        viewport=PHONE,
        has_touch=True,
        is_mobile=True,
        locale="en-US",
        timezone_id="America/New_York",
        geolocation={"latitude": PITCH_LAT + 0.004, "longitude": PITCH_LON + 0.003},
        permissions=["geolocation"],
        device_scale_factor=2,
    )
    blocked: list[str] = []
    failed_local = record_local_failures(context, server_host)

    def only_this_server(route):
        if urlparse(route.request.url).hostname == server_host:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    yield context, blocked, failed_local
    context.close()


def snapshot(page, name: str) -> None:
    folder = os.environ.get("AMANAH_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_a_citizen_books_a_pitch_for_tomorrow_and_finds_it_in_my_bookings(live_server, closed_network):
    call_command("load_demo", "--no-users", stdout=open("/dev/null", "w"))  # noqa: SIM115
    amman = Jurisdiction.objects.get(code="amman")
    venue, space = make_pitch(amman)
    # Cancelling is allowed until an hour before, so tomorrow's booking can be cancelled at any hour today.
    space.cancellation_hours = 1
    space.save(update_fields=["cancellation_hours"])
    park = make_venue(
        amman,
        code="test-park",
        kind=VenueKind.PARK,
        name_ar="حديقة الاختبار",
        name_en="Test park",
        lon=PITCH_LON + 0.01,
        lat=PITCH_LAT + 0.01,
    )
    citizen = UserFactory.create(username="citizen-rania")
    tomorrow = (timezone.now().astimezone(AMMAN) + timedelta(days=1)).date().isoformat()
    context, blocked, failed_local = closed_network
    page = context.new_page()
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))

    # --- Sign in, back to the venue finder ---------------------------------------------------------
    page.goto(f"{live_server.url}/accounts/login/?next=/venues/")
    page.fill("#id_username", "citizen-rania")
    page.fill("#id_password", TEST_PASSWORD)
    page.click(".login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/venues/")
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.wait_for_selector("#venue-map .leaflet-overlay-pane path", timeout=15_000)  # district outlines

    # Tomorrow at 10:00 for an hour: the pitch is free, the park is open to all and not bookable.
    page.fill("#finder-date", tomorrow)
    page.fill("#finder-start", "10:00")
    page.select_option("#finder-duration", "60")
    page.click("[data-finder-form] button[type=submit]")
    pitch_item = page.locator('.venue-item[data-venue-code="test-pitch"][data-state="free"]')
    pitch_item.wait_for(timeout=15_000)
    assert "ملعب حي الاختبار" in pitch_item.inner_text()
    # Distances from the phone's location (about 500 m away), nearest first.
    page.wait_for_function(
        "() => document.querySelector('[data-origin]').classList.contains('pin-status--ok')"
    )
    assert re.search(r"\d+ ", pitch_item.locator(".venue-item__distance").inner_text())
    codes = page.eval_on_selector_all(".venue-item", "items => items.map(i => i.dataset.venueCode)")
    assert codes.index("test-pitch") < codes.index("test-park")
    park_item = page.locator(f'.venue-item[data-venue-id="{park.pk}"]')
    assert park_item.get_attribute("data-state") == "open"
    assert page.locator("#venue-map .venue-marker--free").count() >= 1
    assert page.locator("#venue-map .venue-marker--open").count() >= 1
    snapshot(page, "1-venue-finder")

    # Only pitches: the park leaves the list.
    page.select_option("#finder-kind", "sports_pitch")
    park_item.wait_for(state="detached")
    pitch_item.wait_for()

    # --- The pitch's page: tomorrow's free times, in Amman's time ------------------------------------
    pitch_item.locator("a").click()
    page.wait_for_url(f"{live_server.url}/venues/{venue.pk}/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("h1").inner_text() == "ملعب حي الاختبار"
    page.wait_for_selector("#venue-map .leaflet-overlay-pane path", timeout=15_000)
    page.click('[data-day-step="1"]')
    assert page.input_value("#slot-date") == tomorrow
    slot = page.locator(f'button.slot[data-space="{space.pk}"][data-start^="{tomorrow}T10:00"]')
    slot.wait_for(timeout=15_000)
    assert slot.get_attribute("data-start") == f"{tomorrow}T10:00:00+03:00"
    assert slot.inner_text() == f"10:00{EN_DASH}11:00"  # Amman's time, though the phone is in New York
    slot.click()
    assert slot.get_attribute("aria-pressed") == "true"
    assert page.input_value("#booking-start") == "10:00"
    assert page.input_value("#booking-end") == "11:00"
    page.fill("#booking-note", "مباراة ودية لفريق الحي")
    snapshot(page, "2-venue-page")

    page.click("[data-book]")
    done = page.locator("[data-booking-done]")
    done.wait_for(state="visible", timeout=15_000)
    booking = Booking.objects.get(user=citizen)
    assert booking.space == space
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.during.lower == datetime.fromisoformat(f"{tomorrow}T10:00:00+03:00")
    assert booking.during.upper == datetime.fromisoformat(f"{tomorrow}T11:00:00+03:00")
    assert booking.note == "مباراة ودية لفريق الحي"
    assert done.get_attribute("data-booking-id") == str(booking.pk)
    assert page.locator("[data-booking-error]").is_hidden()
    # The time is no longer offered.
    page.locator(f'button.slot[data-start^="{tomorrow}T10:00"]').wait_for(state="detached")
    snapshot(page, "3-booked")

    # The confirmation took the form's place; the same time again (typed in) is refused by the API
    # and the page shows its message.
    assert page.locator("[data-booking-form]").is_hidden()
    page.click("[data-book-another]")
    assert done.is_hidden()
    page.fill("#booking-start", "10:00")
    page.fill("#booking-end", "11:00")
    page.click("[data-book]")
    error = page.locator("[data-booking-error]")
    error.wait_for(state="visible", timeout=15_000)
    assert error.inner_text().strip()
    assert Booking.objects.filter(user=citizen).count() == 1

    snapshot(page, "3b-refused")

    # --- My bookings ---------------------------------------------------------------------------------
    page.click('.venue-tabs a[href="/venues/mine/"]')
    page.wait_for_url(f"{live_server.url}/venues/mine/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    item = page.locator(f'.booking[data-booking-id="{booking.pk}"]')
    item.wait_for(timeout=15_000)
    assert item.get_attribute("data-status") == "confirmed"
    assert "ملعب حي الاختبار" in item.inner_text()
    assert "الملعب الكامل" in item.inner_text()
    assert item.locator("[data-ics]").get_attribute("href") == f"/api/v1/bookings/{booking.pk}.ics"
    page.locator("[data-feed]").wait_for(state="visible")
    assert "/api/v1/bookings/feed/" in page.input_value("[data-feed-url]")
    snapshot(page, "4-my-bookings")

    # Cancel it (after the confirmation the phone asks for).
    page.once("dialog", lambda dialog: dialog.accept())
    item.locator("[data-cancel]").click()
    page.locator(f'.booking[data-booking-id="{booking.pk}"][data-status="cancelled"]').wait_for(
        timeout=15_000
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert page.locator("[data-mine-done]").is_visible()
    assert item.locator("[data-cancel]").count() == 0
    snapshot(page, "5-cancelled")

    # Nothing may still be in flight when the test database is emptied for the next test.
    page.wait_for_load_state("networkidle")
    page.close()

    basemap_host = urlparse(settings.BASEMAP_TILE_URL).hostname if settings.BASEMAP_TILE_URL else None
    assert all(urlparse(url).hostname == basemap_host for url in blocked), blocked
    assert failed_local == []
    assert script_errors == []
