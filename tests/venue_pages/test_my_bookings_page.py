"""/venues/mine/: only for a signed-in person; the shell points the script at the booking API."""

from __future__ import annotations

import pytest

from geo_services.core.models import Jurisdiction
from tests.factories import UserFactory
from tests.venue_pages.test_finder_page import assert_no_inline_script, page_config


@pytest.mark.django_db
class TestMyBookingsPage:
    def test_signing_in_is_required(self, client, amman: Jurisdiction):
        response = client.get("/venues/mine/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/venues/mine/"

    def test_arabic_right_to_left_with_the_api_for_the_script(self, client, amman: Jurisdiction):
        client.force_login(UserFactory.create(username="citizen"))
        response = client.get("/venues/mine/")
        assert response.status_code == 200
        html = response.content.decode()
        assert '<html lang="ar" dir="rtl">' in html
        assert 'name="csrfmiddlewaretoken"' in html  # for the cancel buttons' POSTs
        assert 'aria-current="page"' in html
        assert_no_inline_script(html)
        config = page_config(html, "mine-config")
        assert config["timeZone"] == "Asia/Amman"
        assert config["api"] == {
            "mine": "/api/v1/bookings/mine/",
            "cancel": "/api/v1/bookings/{id}/cancel/",
            "feedUrl": "/api/v1/bookings/feed-url/",
        }
        assert config["detailUrl"] == "/venues/{id}/"

    def test_english_after_the_switch(self, client, amman: Jurisdiction):
        client.force_login(UserFactory.create(username="citizen"))
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/venues/mine/"}, follow=True)
        html = response.content.decode()
        assert '<html lang="en" dir="ltr">' in html
        assert "<h1>My bookings</h1>" in html
        assert page_config(html, "mine-config")["text"]["cancel"] == "Cancel"

    def test_every_venue_page_links_to_the_finder_and_to_my_bookings(self, client, amman: Jurisdiction):
        for path in ["/venues/", "/venues/987654/"]:
            html = client.get(path).content.decode()
            tabs = html.split('<nav class="tabs venue-tabs"', 1)[1].split("</nav>", 1)[0]
            assert 'href="/venues/"' in tabs
            assert 'href="/venues/mine/"' in tabs
