"""The planner's dashboard /planning/ and district page: who may open them, what they show, and that
every script and style they load is the app's own (no CDN)."""

from __future__ import annotations

import html
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

from tests.factories import UserFactory, make_staff
from tests.indicators.town import build_town

RANGE = "jurisdiction=test-indicators&from=2026-01-01&to=2026-06-30"
# Any script, style sheet, image or font fetched from outside the app.
OUTSIDE_ASSET = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)
OUTSIDE_SCRIPT_OR_STYLE = re.compile(r"""https?://[^"'\s)]+\.(?:js|css)\b""", re.IGNORECASE)


@pytest.fixture
def town(db):
    return build_town()


def signed_in(role: str, *, english: bool = False) -> Client:
    client = Client()
    client.force_login(UserFactory.create(roles=[role]))
    if english:  # pages are Arabic unless the person chose English (the language switch's cookie)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def map_documents(page: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'srcdoc="([^"]*)"', page)]


class TestWhoMayOpenThem:
    @pytest.mark.parametrize("path", ["/planning/", "/planning/districts/west/"])
    def test_a_visitor_is_sent_to_sign_in(self, client, db, path):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(f"/accounts/login/?next={path}")

    @pytest.mark.parametrize("role", ["citizen", "inspector", "dispatcher"])
    @pytest.mark.parametrize("path", ["/planning/", "/planning/districts/west/"])
    def test_other_roles_get_the_forbidden_page(self, town, role, path):
        with translation.override("en"):
            response = signed_in(role, english=True).get(f"{path}?{RANGE}")
        assert response.status_code == 403
        assert b"This page is for planners" in response.content
        assert b"srcdoc" not in response.content

    @pytest.mark.parametrize("role", ["planner", "admin"])
    def test_planners_and_administrators_get_the_dashboard(self, town, role):
        response = signed_in(role).get(f"/planning/?{RANGE}")
        assert response.status_code == 200
        assert b'dir="rtl"' in response.content
        assert b'lang="ar"' in response.content


class TestDashboard:
    def test_one_shape_per_district_with_names_and_a_legend(self, town):
        with translation.override("en"):
            response = signed_in("planner", english=True).get(
                f"/planning/?{RANGE}&indicator=waste_points_per_10k"
            )
        assert response.status_code == 200
        (document,) = map_documents(response.content.decode())
        # One feature per district in the districts layer, each named for its tooltip.
        assert document.count('"code": "west"') == 1
        assert document.count('"code": "east"') == 1
        assert "indicator-district" in document
        assert "indicator-legend" in document
        assert "Waste-sorting points per 10,000 residents" in document
        # The initiatives, coloured by status, are on the map too.
        assert "indicator-initiative--done" in document
        assert "indicator-initiative--in_progress" in document

    def test_the_table_has_every_district_and_the_total(self, town):
        response = signed_in("planner").get(f"/planning/?{RANGE}")
        page = response.content.decode()
        assert page.count('<tr data-district="') == 2
        assert 'href="/planning/districts/west/?jurisdiction=test-indicators&amp;from=2026-01-01' in page
        total = re.search(r"<tr data-total>(.*?)</tr>", page, re.S)
        assert total is not None
        cells = re.findall(r"<td>([^<]*)</td>", total.group(1))
        assert len(cells) == 10
        assert cells[5] == "1.20"  # waste-sorting points per 10,000 residents: 3 / 25,000
        assert cells[6] == "0.2"  # requests per 1,000 residents: 4 / 25,000, one decimal
        assert cells[7] == "36.0"  # median resolution time (hours)
        assert (
            'href="/api/v1/indicators/?jurisdiction=test-indicators&amp;from=2026-01-01&amp;to=2026-06-30&amp;format=csv"'
            in page
        )

    def test_the_trend_has_a_bar_per_month(self, town):
        response = signed_in("planner").get(f"/planning/?{RANGE}&indicator=waste_points_per_10k")
        trend = re.search(
            r"<div class=\"indicators-trend\" data-trend>(.*?)</div>", response.content.decode(), re.S
        )
        assert trend is not None
        values = [float(v) for v in re.findall(r'class="trend-bar"[^>]*data-value="([^"]+)"', trend.group(1))]
        # Points done by each month's end: 1 (Jan), 2 (Feb to Apr), 3 (May, Jun) per 25,000 residents.
        assert values == pytest.approx([0.4, 0.8, 0.8, 0.8, 1.2, 1.2])

    @pytest.mark.parametrize(
        ("query", "words"),
        [
            ("from=2026-07-01&to=2026-06-30", "is after to"),
            ("from=yesterday", "from must be a date written YYYY-MM-DD"),
            ("indicator=happiness", "indicator: unknown value 'happiness'"),
            ("jurisdiction=atlantis", "Unknown jurisdiction 'atlantis'"),
        ],
    )
    def test_bad_choices_are_explained_on_the_page(self, town, query, words):
        with translation.override("en"):
            response = signed_in("planner", english=True).get(
                f"/planning/?jurisdiction=test-indicators&{query}"
            )
        assert response.status_code == 400
        assert words in html.unescape(response.content.decode())
        assert b"<form" in response.content

    def test_no_script_or_style_comes_from_outside_the_app(self, town, settings):
        settings.BASEMAP_TILE_URL = ""
        for path in (f"/planning/?{RANGE}", f"/planning/districts/west/?{RANGE}"):
            page = signed_in("planner").get(path).content.decode()
            documents = map_documents(page)
            assert len(documents) == 1
            for text in (page, *documents):
                assert not OUTSIDE_ASSET.search(text), OUTSIDE_ASSET.search(text)
                assert not OUTSIDE_SCRIPT_OR_STYLE.search(text)
            # folium's own CDN list is replaced by the app's Leaflet.
            assert '<script src="/static/leaflet/leaflet.js">' in documents[0]
            assert "cdn" not in documents[0].lower()
            assert "jquery" not in documents[0].lower()

    def test_a_basemap_when_configured_is_the_only_outside_address(self, town, settings):
        settings.BASEMAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"
        page = signed_in("planner").get(f"/planning/?{RANGE}").content.decode()
        (document,) = map_documents(page)
        assert "https://tiles.example.org/{z}/{x}/{y}.png" in document
        assert not OUTSIDE_ASSET.search(document)
        assert not OUTSIDE_SCRIPT_OR_STYLE.search(document)


class TestDistrictPage:
    def test_figures_trends_and_initiatives(self, town):
        with translation.override("en"):
            response = signed_in("planner", english=True).get(f"/planning/districts/west/?{RANGE}")
        assert response.status_code == 200
        page = response.content.decode()
        assert "<h1>West</h1>" in page
        waste = re.search(r'<tr data-indicator="waste_points_per_10k">(.*?)</tr>', page, re.S)
        assert waste is not None
        assert re.findall(r"<td>([^<]*)</td>", waste.group(1))[1:] == [
            "1.00",
            "1.20",
        ]  # district, jurisdiction
        assert page.count('<figure class="indicators-trend"') == 10
        # Initiatives with any share in the district: park B and the done sidewalk cross the border.
        codes = re.findall(r'<tr data-initiative="([^"]+)">', page)
        assert sorted(codes) == ["bin-w1", "bin-w2", "park-a", "park-b", "walk-done", "walk-planned"]
        (document,) = map_documents(page)
        assert document.count("indicator-district") >= 1
        assert "indicator-initiative--planned" in document

    def test_an_unknown_district_is_explained(self, town):
        with translation.override("en"):
            response = signed_in("planner", english=True).get(f"/planning/districts/north/?{RANGE}")
        assert response.status_code == 400
        assert "has no district 'north'" in html.unescape(response.content.decode())


def test_the_amman_demo_dashboard_has_one_shape_per_district(amman):
    from geo_services.core.models import District

    response = signed_in("planner").get("/planning/?jurisdiction=amman&from=2025-01-01&to=2026-12-31")
    assert response.status_code == 200
    (document,) = map_documents(response.content.decode())
    codes = list(District.objects.filter(jurisdiction=amman).values_list("code", flat=True))
    assert len(codes) == 22
    for code in codes:
        assert document.count(f'"code": "{code}"') >= 1
    assert response.content.decode().count('<tr data-district="') == 22


def test_the_layers_page_links_the_dashboard(db):
    page = signed_in("planner").get("/planning/layers/").content.decode()
    assert 'href="/planning/"' in page


def test_a_planner_sees_their_own_jurisdiction_when_none_is_chosen(town):
    planner = UserFactory.create(roles=["planner"])
    make_staff(planner, jurisdiction=town.jurisdiction)
    client = Client()
    client.force_login(planner)
    response = client.get("/planning/?from=2026-01-01&to=2026-06-30")
    assert response.status_code == 200
    assert response.content.decode().count('<tr data-district="') == 2
