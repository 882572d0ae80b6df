"""The app's HTML pages, each with the role that may open it, for the Content-Security-Policy tests.

`demo_pages()` loads the Amman demo (districts, venues, initiatives, partners, the demo users and the
demo inspector's jobs of the day), files one service request for its status page, and returns every
page with concrete ids filled in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.management import call_command
from django.test import Client

from geo_services.core.models import District
from geo_services.service_requests import services as request_services
from geo_services.venues.models import Venue

# A <script> element that runs code: not loaded from a file and not a JSON data island.
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)(?![^>]*\btype=\"application/(?:ld\+)?json\")[^>]*>", re.I
)
# An inline event handler (onclick=, onload=, …) or a javascript: URL in the markup.
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
JAVASCRIPT_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)


@dataclass(frozen=True)
class Page:
    path: str
    role: str  # the demo user who opens it; "" for a visitor
    # The CSS selector of what the page's scripts draw (a map's features, Swagger UI's operations):
    # it proves that the scripts ran under the policy.
    drawn: str = ""
    # The map sits in an iframe of this selector (the indicators pages' folium maps).
    frame: str = ""


def demo_pages() -> list[Page]:
    call_command("load_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    district = District.objects.get(jurisdiction__code="amman", code="al-madina")
    submitted = request_services.submit_request(
        jurisdiction_code="amman",
        service_code="street-light",
        point=district.geom.point_on_surface,
        answers={"problem": ["out"]},
        description="Lamp out",
    )
    venue = Venue.objects.order_by("pk").first()
    assert venue is not None
    token = submitted.request.token
    planning = "jurisdiction=amman&from=2025-01-01&to=2026-12-31"
    markers = ".leaflet-marker-pane > *, .leaflet-overlay-pane path"
    return [
        Page("/", "", drawn=".leaflet-container"),
        Page("/requests/", ""),
        Page(f"/requests/{token}/", "", drawn=markers),
        Page("/venues/", "", drawn=markers),
        Page(f"/venues/{venue.pk}/", "", drawn=markers),
        Page("/venues/mine/", "citizen"),
        Page("/community/coverage/", "", drawn=".leaflet-overlay-pane path"),
        Page("/community/proposals/", "citizen", drawn=".leaflet-container"),
        Page("/field/", "inspector", drawn=markers),
        Page("/dispatch/", "dispatcher", drawn=".leaflet-container"),
        Page("/dispatch/inspections/", "dispatcher", drawn=markers),
        Page(
            f"/planning/?{planning}",
            "planner",
            drawn="path.indicator-district",
            frame="iframe.indicators-map",
        ),
        Page(
            f"/planning/districts/{district.code}/?{planning}",
            "planner",
            drawn="path.indicator-district",
            frame="iframe.indicators-map",
        ),
        Page("/planning/layers/", "planner", drawn=".leaflet-overlay-pane path"),
        Page("/ogc/?f=html", ""),
        Page("/ogc/collections?f=html", ""),
        Page("/ogc/collections/districts?f=html", ""),
        Page("/ogc/collections/districts/items?f=html&limit=5", "", drawn=".leaflet-overlay-pane path"),
        Page(
            f"/ogc/collections/districts/items/{district.pk}?f=html", "", drawn=".leaflet-overlay-pane path"
        ),
        Page("/api/docs/", "admin", drawn=".swagger-ui .opblock"),  # Swagger UI drew the operations
        Page("/accounts/login/", ""),
        Page("/admin/", "admin"),
        Page(f"/admin/core/district/{district.pk}/change/", "admin", drawn=".leaflet-overlay-pane path"),
        Page(f"/admin/venues/venue/{venue.pk}/change/", "admin", drawn=".leaflet-marker-pane > *"),
        Page("/admin/inspections/inspectionjob/add/", "admin", drawn=".leaflet-container"),
    ]


def client_for(role: str) -> Client:
    from django.contrib.auth import get_user_model

    client = Client()
    if role:
        client.force_login(get_user_model().objects.get(username=role))
    return client
