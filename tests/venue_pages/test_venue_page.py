"""/venues/<id>/: the venue, its spaces and prices, 404s, and the booking form for signed-in people only."""

from __future__ import annotations

import re
from datetime import time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone, translation

from geo_services.core.models import Jurisdiction
from geo_services.venues.models import OpeningException, OpeningHours, Space, VenueKind
from geo_services.venues.pages import EN_DASH, money
from tests.factories import UserFactory
from tests.venue_pages import make_pitch, make_space, make_venue
from tests.venue_pages.test_finder_page import assert_no_inline_script, page_config

ENGLISH = {"django_language": "en"}


@pytest.fixture
def pitch(amman: Jurisdiction):
    return make_pitch(amman)


@pytest.mark.django_db
class TestVenuePage:
    def test_arabic_right_to_left_with_the_venue_and_its_space(self, client, pitch):
        venue, space = pitch
        response = client.get(f"/venues/{venue.pk}/")
        assert response.status_code == 200
        html = response.content.decode()
        assert '<html lang="ar" dir="rtl">' in html
        assert "<h1>ملعب حي الاختبار</h1>" in html
        assert "Test neighbourhood pitch" in html  # the other language's name, smaller
        assert "ملعب عشب صناعي بإنارة ليلية." in html
        assert "غرف تبديل" in html
        assert "floodlights" in html
        assert "مدخل بلا درج." in html
        assert 'href="tel:+962 6 000 0000"' in html
        assert "pitch@amanah.example" in html
        assert f'data-space-id="{space.pk}"' in html
        assert "الملعب الكامل" in html
        assert_no_inline_script(html)

    def test_english_after_the_switch(self, client, pitch):
        venue, _space = pitch
        response = client.post(
            "/i18n/setlang/", {"language": "en", "next": f"/venues/{venue.pk}/"}, follow=True
        )
        html = response.content.decode()
        assert '<html lang="en" dir="ltr">' in html
        assert "<h1>Test neighbourhood pitch</h1>" in html
        assert "Artificial grass pitch with floodlights." in html
        assert "Changing rooms" in html
        assert "10 JOD per hour" in html
        assert "Confirmed at once" in html
        assert "capacity: 22" in html
        assert "cancel up to 24 h before" in html
        assert "Saturday to Friday" in html
        assert f"08:00{EN_DASH}22:00" in html

    def test_prices_in_the_jurisdictions_currency_or_free_and_approval(self, client, amman, pitch):
        venue, _space = pitch
        make_space(
            venue,
            code="room",
            name_ar="غرفة",
            name_en="Meeting room",
            price_per_hour=Decimal(0),
            approval_required=True,
        )
        amman.currency = "SAR"  # as if the venue were in Riyadh
        amman.save(update_fields=["currency"])
        client.cookies.load(ENGLISH)
        html = client.get(f"/venues/{venue.pk}/").content.decode()
        assert "10 SAR per hour" in html
        assert re.search(r"data-price>\s*free\s*<", html)
        assert "Needs the venue's approval" in html
        config = page_config(html, "venue-config")
        assert config["currency"] == "SAR"
        assert [s["approvalRequired"] for s in config["spaces"]] == [False, True]  # pitch, room

    def test_the_script_gets_the_zone_the_spaces_and_the_api(self, client, pitch):
        venue, space = pitch
        config = page_config(client.get(f"/venues/{venue.pk}/").content.decode(), "venue-config")
        assert config["timeZone"] == "Asia/Amman"
        assert config["currency"] == "JOD"
        assert config["api"] == {
            "availability": f"/api/v1/venues/{venue.pk}/availability/",
            "bookings": "/api/v1/bookings/",
        }
        assert config["spaces"] == [
            {
                "id": space.pk,
                "name": "الملعب الكامل",
                "slotMinutes": 60,
                "minMinutes": 60,
                "maxMinutes": 120,
                "approvalRequired": False,
            }
        ]
        assert config["map"]["pin"] == pytest.approx([31.9730, 35.8430])
        assert config["signedIn"] is False

    def test_anonymous_visitors_get_a_sign_in_link_and_no_form(self, client, pitch):
        venue, _space = pitch
        html = client.get(f"/venues/{venue.pk}/").content.decode()
        assert f'href="/accounts/login/?next=/venues/{venue.pk}/" data-sign-in' in html
        assert "data-booking-form" not in html
        assert "csrfmiddlewaretoken" not in html.split("data-booking", 1)[1]
        # The free times are public.
        assert "data-slots" in html

    def test_signed_in_citizens_get_the_booking_form(self, client, pitch):
        venue, space = pitch
        closed = Space.objects.create(
            venue=venue, code="store", name_ar="مخزن", name_en="Store", bookable=False
        )
        client.force_login(UserFactory.create(username="citizen"))
        html = client.get(f"/venues/{venue.pk}/").content.decode()
        assert "data-booking-form" in html
        assert "data-sign-in" not in html
        form = html.split("data-booking-form", 1)[1].split("</form>", 1)[0]
        assert 'name="csrfmiddlewaretoken"' in form
        assert f'<option value="{space.pk}">' in form
        assert f'<option value="{closed.pk}">' not in form  # not bookable: listed, not offered
        assert page_config(html, "venue-config")["signedIn"] is True

    def test_a_park_is_shown_but_offers_no_booking(self, client, amman):
        park = make_venue(amman, code="test-park", kind=VenueKind.PARK, name_ar="حديقة", name_en="Park")
        client.force_login(UserFactory.create(username="walker"))
        html = client.get(f"/venues/{park.pk}/").content.decode()
        assert "<h1>حديقة</h1>" in html
        assert "data-booking-form" not in html
        assert "data-availability" not in html

    def test_sub_spaces_follow_their_hall(self, client, amman):
        hall = make_venue(amman, code="test-hall", kind=VenueKind.HALL, name_ar="قاعة", name_en="Hall")
        whole = make_space(hall, code="a-whole", name_ar="القاعة كاملة", name_en="Whole hall")
        make_space(hall, code="b-other", name_ar="غرفة أخرى", name_en="Other room")
        make_space(hall, code="c-half", name_ar="نصف القاعة", name_en="Half hall", parent=whole)
        html = client.get(f"/venues/{hall.pk}/").content.decode()
        order = re.findall(r'class="space space--depth-(\d)"', html)
        names = re.findall(r'<h3 class="space__name" dir="auto">([^<]+)</h3>', html)
        assert names == ["القاعة كاملة", "نصف القاعة", "غرفة أخرى"]
        assert order == ["0", "1", "0"]

    def test_opening_hours_read_as_a_week_from_saturday_with_coming_closures(self, client, amman):
        hall = make_venue(amman, code="test-hall", kind=VenueKind.HALL, name_ar="قاعة", name_en="Hall")
        space = make_space(hall, code="hall", opens=time(9, 0), closes=time(17, 0))
        OpeningHours.objects.filter(space=space, weekday=4).delete()  # closed on Fridays
        OpeningHours.objects.create(space=space, weekday=3, opens=time(18, 0), closes=time(21, 0))
        tomorrow = timezone.now().astimezone(ZoneInfo("Asia/Amman")).date() + timedelta(days=1)
        OpeningException.objects.create(space=space, date=tomorrow, reason_ar="عيد", reason_en="Holiday")
        client.cookies.load(ENGLISH)
        html = client.get(f"/venues/{hall.pk}/").content.decode()
        weekly = html.split('<dl class="hours"', 1)[1].split("</dl>", 1)[0]
        nine_to_five = f"09:00{EN_DASH}17:00"
        assert re.findall(r"<div><dt>([^<]+)</dt><dd>([^<]+)</dd></div>", weekly) == [
            ("Saturday to Wednesday", nine_to_five),
            ("Thursday", f"{nine_to_five}, 18:00{EN_DASH}21:00"),
            ("Friday", "closed"),
        ]
        coming = html.split('<dl class="hours hours--exceptions"', 1)[1].split("</dl>", 1)[0]
        assert "closed (Holiday)" in coming

    @pytest.mark.parametrize("path", ["/venues/987654/", "/venues/0/"])
    def test_an_unknown_venue_is_a_404_page(self, client, amman, path):
        response = client.get(path)
        assert response.status_code == 404
        html = response.content.decode()
        assert '<html lang="ar" dir="rtl">' in html
        assert 'href="/venues/"' in html

    def test_an_inactive_venue_is_a_404_page(self, client, pitch):
        venue, _space = pitch
        venue.active = False
        venue.save(update_fields=["active"])
        assert client.get(f"/venues/{venue.pk}/").status_code == 404


def test_money_reads_like_a_price():
    with translation.override("en"):
        assert money(Decimal("10.000"), "JOD") == "10 JOD"
        assert money(Decimal("2.500"), "JOD") == "2.50 JOD"
        assert money(Decimal("1.125"), "JOD") == "1.125 JOD"
        assert money(Decimal("0"), "SAR") == "free"
        assert money(Decimal("7"), "EUR") == "7 EUR"


def test_the_config_is_json_safe_for_names_with_markup(db, client, amman):
    venue = make_venue(amman, code="test-odd", name_ar="</script><b>x</b>", name_en="x")
    html = client.get(f"/venues/{venue.pk}/").content.decode()
    assert page_config(html, "venue-config")["venue"]["name"] == "</script><b>x</b>"
    assert "</script><b>" not in html
