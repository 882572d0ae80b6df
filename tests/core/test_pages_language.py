"""Arabic first: pages are Arabic and right-to-left unless the person switched to English."""

from __future__ import annotations

import re

import pytest


@pytest.mark.django_db
class TestPageLanguage:
    def test_pages_are_arabic_and_rtl_even_for_an_english_browser(self, client):
        response = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        html = response.content.decode()
        assert re.search(r'<html[^>]*lang="ar"[^>]*dir="rtl"', html), html[:300]

    def test_language_switch_gives_english_ltr(self, client):
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/admin/login/"})
        assert response.status_code == 302
        html = client.get("/admin/login/").content.decode()
        assert re.search(r'<html[^>]*lang="en"[^>]*dir="ltr"', html), html[:300]

    def test_unknown_language_cookie_falls_back_to_arabic(self, client):
        client.cookies["django_language"] = "xx"
        html = client.get("/admin/login/").content.decode()
        assert 'lang="ar"' in html

    def test_api_clients_may_ask_for_english(self, client):
        response = client.get("/api/v1/districts/", {"jurisdiction": "nowhere"}, HTTP_ACCEPT_LANGUAGE="en")
        assert response.json()["error"]["message"].startswith("Unknown jurisdiction")
