"""/venues/: the finder's shell — Arabic first, the jurisdiction's zone, the default window, the kinds,
scripts served by the app itself (no inline code, no CDN)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from geo_services.core.models import Jurisdiction
from geo_services.venues.models import VenueKind
from geo_services.venues.pages import next_full_hour

ENGLISH = {"django_language": "en"}


def page_config(html: str, element_id: str) -> dict:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert found, f"no {element_id} in the page"
    return json.loads(found.group(1))


def assert_no_inline_script(html: str) -> None:
    """Every script is a file of the app's own (or a JSON data island), never inline code or a CDN."""
    for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S):
        if 'type="application/json"' in attributes:
            continue
        assert body.strip() == "", f"inline script: {body[:80]}"
        source = re.search(r'src="([^"]+)"', attributes)
        assert source, attributes
        assert source.group(1).startswith("/static/"), attributes


@pytest.mark.django_db
class TestFinderPage:
    def test_arabic_and_right_to_left_by_default(self, client, amman: Jurisdiction):
        response = client.get("/venues/")
        assert response.status_code == 200
        html = response.content.decode()
        assert '<html lang="ar" dir="rtl">' in html
        assert 'id="venue-map"' in html
        assert_no_inline_script(html)
        assert "/static/leaflet/leaflet.js" in html
        assert "/static/venues/finder.js" in html

    def test_english_after_the_switch(self, client, amman: Jurisdiction):
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/venues/"}, follow=True)
        assert response.redirect_chain[-1][0] == "/venues/"
        html = response.content.decode()
        assert '<html lang="en" dir="ltr">' in html
        assert "<h1>Find a venue</h1>" in html
        assert page_config(html, "finder-config")["language"] == "en"

    def test_the_script_gets_the_jurisdiction_the_api_and_the_outlines(self, client, amman: Jurisdiction):
        config = page_config(client.get("/venues/").content.decode(), "finder-config")
        assert config["timeZone"] == "Asia/Amman"
        assert config["api"]["venues"] == "/api/v1/venues/"
        assert config["detailUrl"] == "/venues/{id}/"
        assert config["map"]["districtsUrl"] == "/api/v1/districts/?jurisdiction=amman"
        assert config["radius"] > 0
        # Every sentence the script shows comes from the server, in the page's language.
        assert {"free", "busy", "notBookable", "fromYou", "fromCentre"} <= set(config["text"])

    def test_the_window_defaults_to_the_next_full_hour_for_one_hour(self, client, amman: Jurisdiction):
        before = next_full_hour(datetime.now(UTC), ZoneInfo("Asia/Amman"))
        html = client.get("/venues/").content.decode()
        after = next_full_hour(datetime.now(UTC), ZoneInfo("Asia/Amman"))
        date = re.findall(r'id="finder-date" name="date" type="date" value="([^"]+)"', html)[0]
        start = re.findall(r'id="finder-start" name="start" type="time" value="([^"]+)"', html)[0]
        assert (date, start) in {
            (before.date().isoformat(), before.strftime("%H:%M")),
            (after.date().isoformat(), after.strftime("%H:%M")),
        }
        assert re.search(r'<option value="60" selected>', html)

    def test_the_kind_filter_offers_every_kind_and_keeps_the_chosen_one(self, client, amman: Jurisdiction):
        client.cookies.load(ENGLISH)
        html = client.get("/venues/?kind=sports_pitch").content.decode()
        with translation.override("en"):
            for kind in VenueKind:
                assert f'<option value="{kind.value}"' in html
                assert str(kind.label) in html
        assert '<option value="sports_pitch" selected>' in html
        assert 'value="nonsense" selected' not in client.get("/venues/?kind=nonsense").content.decode()

    def test_a_missing_jurisdiction_gives_a_friendly_503(self, client, db, settings):
        settings.AMANAH_DEFAULT_JURISDICTION = "nowhere"
        response = client.get("/venues/")
        assert response.status_code == 503
        assert '<html lang="ar" dir="rtl">' in response.content.decode()


def test_next_full_hour_is_local_and_on_the_hour():
    amman = ZoneInfo("Asia/Amman")
    assert next_full_hour(datetime(2026, 5, 3, 7, 20, tzinfo=UTC), amman) == datetime(
        2026, 5, 3, 11, 0, tzinfo=amman
    )
    # On the hour: the next one (a search starting now would already be under way).
    assert next_full_hour(datetime(2026, 5, 3, 7, 0, tzinfo=UTC), amman).hour == 11
    # Late in the evening it moves to the next local day.
    late = next_full_hour(datetime(2026, 5, 3, 20, 30, tzinfo=UTC), amman)
    assert (late.date().isoformat(), late.hour) == ("2026-05-04", 0)
