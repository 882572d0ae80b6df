"""The planner's layer query page, /planning/layers/: who may open it, and a planner's query in Chromium.

A planner signs in, opens the page in Arabic (right to left) on a closed network (only the live
server answers), picks the venues layer and a district, searches, and sees the district's venues
in the results table, one row per district touched in the aggregate table, and download links
carrying the same selection.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from tests.browser.support import record_local_failures
from tests.factories import TEST_PASSWORD, UserFactory
from tests.layers.planning_data import build_town

DESKTOP = {"width": 1280, "height": 900}


class TestWhoMayOpenIt:
    def test_a_visitor_is_sent_to_sign_in(self, client, db):
        response = client.get("/planning/layers/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/planning/layers/")

    @pytest.mark.parametrize("role", ["citizen", "inspector", "dispatcher"])
    def test_other_roles_get_the_forbidden_page(self, db, role):
        client = Client()
        client.force_login(UserFactory.create(roles=[role]))
        client.cookies["django_language"] = "en"  # pages are Arabic unless the person chose English
        response = client.get("/planning/layers/")
        assert response.status_code == 403
        assert b"This page is for planners" in response.content

    @pytest.mark.parametrize("role", ["planner", "admin"])
    def test_planners_and_administrators_get_the_page(self, db, role):
        client = Client()
        client.force_login(UserFactory.create(roles=[role]))
        response = client.get("/planning/layers/")
        assert response.status_code == 200
        assert b'dir="rtl"' in response.content
        assert b"planning-config" in response.content
        # Only the app's own scripts and styles: no CDN, no inline script.
        page = response.content.decode()
        assert "leaflet/draw/leaflet.draw.js" in page
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", page)
        sources = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
        assert sources
        assert all(source.startswith("/") for source in sources)


def park_on_screen(page) -> tuple[float, float]:
    """Where the first result marker is in the viewport, with the map scrolled into view."""
    page.locator("#planning-map").scroll_into_view_if_needed()
    box = page.locator("#planning-map path.planning-result").first.bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_planner_queries_venues_in_a_district(live_server, browser):
    town = build_town()
    UserFactory.create(username="planner", roles=["planner"])
    server_host = urlparse(live_server.url).hostname
    context = browser.new_context(viewport=DESKTOP, locale="ar-JO", timezone_id="Asia/Amman")
    failed_local = record_local_failures(context, server_host)
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if urlparse(route.request.url).hostname == server_host else route.abort()
        ),
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/planning/layers/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/planning/layers/$"))
    page.fill("#id_username", "planner")
    page.fill("#id_password", TEST_PASSWORD)
    page.click(".login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/planning/layers/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"

    page.select_option("[data-layer]", "venues")
    page.locator("[data-district][data-ready=true]").wait_for(state="attached")
    # The district menu is filled from the districts layer, in Arabic.
    page.select_option("[data-district]", label="الغرب (west)")
    page.select_option("[data-sum]", "capacity")
    page.click("[data-query-form] button[type=submit]")

    page.wait_for_function("() => document.querySelectorAll('[data-results-rows] tr').length === 3")
    codes = sorted(page.locator("[data-results-rows] tr td:nth-child(2)").all_inner_texts())
    assert codes == ["w-hall", "w-park-1", "w-park-2"]
    page.wait_for_function("() => document.querySelectorAll('[data-aggregate-rows] tr').length === 1")
    aggregate_row = page.locator("[data-aggregate-rows] tr")
    assert aggregate_row.get_attribute("data-district") == "west"
    assert [cell.strip() for cell in aggregate_row.locator("th, td").all_inner_texts()] == [
        "الغرب (west)",
        "3",
        "450",
    ]
    total = [cell.strip() for cell in page.locator("[data-aggregate-total] tr td").all_inner_texts()]
    assert total == ["3", "450"]
    assert page.locator("#planning-map path.planning-result").count() == 3  # the results on the map

    link = page.locator('[data-download="gpkg"]').get_attribute("href")
    assert link is not None
    address = urlparse(link)
    assert address.path == "/api/v1/layers/venues/export/"
    assert parse_qs(address.query) == {"format": ["gpkg"], "district": [str(town.west.pk)]}
    csv = parse_qs(urlparse(page.locator('[data-download="csv"]').get_attribute("href") or "").query)
    assert csv == {"format": ["csv"], "district": [str(town.west.pk)]}

    # An attribute filter narrows all three the same way.
    page.fill("#planning-attribute-kind", "park")
    page.click("[data-query-form] button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('[data-results-rows] tr').length === 2")
    page.wait_for_function(
        "() => document.querySelector('[data-aggregate-total] tr td') && "
        "document.querySelector('[data-aggregate-total] tr td').textContent.trim() === '2'"
    )
    gpkg = parse_qs(urlparse(page.locator('[data-download="gpkg"]').get_attribute("href") or "").query)
    assert gpkg == {"format": ["gpkg"], "district": [str(town.west.pk)], "kind": ["park"]}
    assert page.locator("[data-error]").is_hidden()

    # A polygon drawn around one of the two parks, with no district: only that park.
    page.wait_for_function(
        "() => document.querySelectorAll('#planning-map path.planning-result').length === 2"
    )
    page.select_option("[data-district]", "")
    page.click("[data-draw]")
    x, y = park_on_screen(page)
    for dx, dy in ((-20, -20), (20, -20), (20, 20), (-20, 20)):
        # As a person clicks: Leaflet.draw ignores a click that follows the last one too closely.
        page.mouse.move(x + dx, y + dy, steps=4)
        page.mouse.down()
        page.mouse.up()
        page.wait_for_timeout(200)
    page.locator(".leaflet-marker-icon.leaflet-div-icon").first.click()  # the first corner closes it
    page.click("[data-query-form] button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('[data-results-rows] tr').length === 1")
    drawn = parse_qs(urlparse(page.locator('[data-download="geojson"]').get_attribute("href") or "").query)
    assert drawn["kind"] == ["park"]
    assert drawn["intersects"][0].startswith("POLYGON((")
    assert "district" not in drawn

    # Instead of the polygon, 2 km from a point picked on that park: every park (the farthest pair,
    # w-park-1 and e-park, are 1.9 km apart), in both districts since none is chosen.
    page.click("[data-clear-shape]")
    page.click("[data-pick-point]")
    x, y = park_on_screen(page)
    page.mouse.click(x, y)
    page.fill("[data-distance]", "2000")
    page.click("[data-query-form] button[type=submit]")
    page.wait_for_function("() => document.querySelectorAll('[data-results-rows] tr').length === 3")
    near = parse_qs(urlparse(page.locator('[data-download="geojson"]').get_attribute("href") or "").query)
    assert near["within"][0].startswith("POINT(")
    assert near["distance"] == ["2000"]
    assert "intersects" not in near
    assert page.locator("[data-error]").is_hidden()
    page.wait_for_load_state("networkidle")
    page.close()
    context.close()
    assert failed_local == []
