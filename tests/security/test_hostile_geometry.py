"""Hostile GeoJSON at every endpoint that takes a geometry: huge, deep, unclosed, non-numeric,
non-finite or mistyped shapes are a 4xx with a message, and nothing is written.

Each endpoint is first attacked with every case, then sent a valid shape that it accepts, so a case
refused for an unrelated reason (a missing field, a wrong role) would show up as a failure.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from geo_services.core import parsing as core_parsing
from geo_services.initiatives.models import ServiceKind
from tests.factories import UserFactory, make_staff
from tests.initiatives.factories import City, make_city
from tests.security.hostile import many_vertices_ring, raw_json, square, table_counts
from tests.service_requests import new_key

pytestmark = pytest.mark.usefixtures("no_rate_limits")

# A valid place inside the test city's west district (46.6-46.7 E, 24.6-24.7 N).
LON, LAT = 46.62, 24.62
RING = square(LON, LAT)["coordinates"][0]
DEEP = "[" * 100_000 + "]" * 100_000


def _polygon(coordinates: Any) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": coordinates}


def _hostile_cases() -> list[tuple[str, str]]:
    """(name, the geometry as raw JSON text); raw so that bare NaN and Infinity can be sent."""
    cases: list[tuple[str, Any]] = [
        ("ring not closed", _polygon([[*RING[:-1], [LON + 0.0005, LAT + 0.0005]]])),
        ("too few points", _polygon([[RING[0], RING[1], RING[0]]])),
        ("empty coordinates", _polygon([])),
        ("coordinates as text", _polygon("46.62 24.62")),
        ("position as strings", _polygon([[[str(x), str(y)] for x, y in RING]])),
        ("position with null", _polygon([[[None, LAT], *RING[1:]]])),
        ("position with booleans", _polygon([[[True, False], *RING[1:]]])),
        ("position of five numbers", _polygon([[[LON, LAT, 0, 0, 0], *RING[1:]]])),
        ("outside WGS84 degrees", _polygon([[[200.0, 100.0], *RING[1:]]])),
        ("wrong type name", {"type": "Polygonn", "coordinates": [RING]}),
        ("type missing", {"coordinates": [RING]}),
        ("feature instead of geometry", {"type": "Feature", "geometry": _polygon([RING])}),
        (
            "geometry collection inside a geometry collection",
            {
                "type": "GeometryCollection",
                "geometries": [{"type": "GeometryCollection", "geometries": [_polygon([RING])]}],
            },
        ),
        ("self-intersecting", _polygon([[RING[0], RING[2], RING[1], RING[3], RING[0]]])),
        ("not an object", [RING]),
        ("too many vertices", many_vertices_ring(60_000, LON, LAT)),
    ]
    text = [(name, json.dumps(value)) for name, value in cases]
    for literal in ("NaN", "Infinity", "-Infinity", "1e400", "-1e400"):
        text.append(
            (
                f"coordinate {literal}",
                raw_json(_polygon([[["@", LAT], *RING[1:-1], ["@", LAT]]]), **{"@": literal}),
            )
        )
    text.append(("nested too deeply", json.dumps(_polygon("@")).replace('"@"', DEEP)))
    return text


HOSTILE = _hostile_cases()


@pytest.fixture(scope="module")
def millions_of_vertices() -> str:
    """A polygon of two million vertices (about 50 MB of JSON), built once."""
    return json.dumps(many_vertices_ring(2_000_000, LON, LAT))


@pytest.fixture(scope="module")
def half_a_million_vertices() -> str:
    """Under the request cap (AMANAH_MAX_REQUEST_BYTES) but over DATA_UPLOAD_MAX_MEMORY_SIZE."""
    return json.dumps(many_vertices_ring(500_000, LON, LAT))


@dataclass(frozen=True)
class GeometryEndpoint:
    name: str
    method: str
    path: Callable[[City], str]
    role: str | None
    body: Callable[[City, str], str]  # the JSON body text around the geometry's JSON text
    writes: bool = True

    def send(self, client: APIClient, city: City, geometry: str) -> Any:
        if self.method == "get":
            return client.get(self.path(city) + "&intersects=" + urllib.parse.quote(geometry))
        return client.generic(
            self.method.upper(), self.path(city), self.body(city, geometry), content_type="application/json"
        )


def _body(**fields: Any) -> Callable[[City, str], str]:
    def build(city: City, geometry: str) -> str:
        values = {key: (value(city) if callable(value) else value) for key, value in fields.items()}
        return raw_json(values, **{"@geometry": geometry})

    return build


ENDPOINTS = [
    GeometryEndpoint(
        "initiative",
        "post",
        lambda city: "/api/v1/initiatives/",
        "planner",
        _body(
            jurisdiction=lambda city: city.jurisdiction.code,
            kind="green_space",
            feature_type="park",
            name_ar="حديقة",
            name_en="Park",
            planned_start="2026-03-01",
            planned_end="2026-10-31",
            department="parks",
            geometry="@geometry",
        ),
    ),
    GeometryEndpoint(
        "proposal",
        "post",
        lambda city: "/api/v1/proposals/",
        "citizen",
        _body(
            jurisdiction=lambda city: city.jurisdiction.code,
            title="Trees",
            description="Shade",
            geometry="@geometry",
        ),
    ),
    GeometryEndpoint(
        "partner service area",
        "post",
        lambda city: "/api/v1/partners/",
        "planner",
        _body(
            jurisdiction=lambda city: city.jurisdiction.code,
            kind="community_group",
            name_ar="جمعية",
            name_en="Association",
            services=["greening"],
            served_area="@geometry",
        ),
    ),
    GeometryEndpoint(
        "layer query (POST)",
        "post",
        lambda city: "/api/v1/layers/districts/features/",
        None,
        _body(intersects="@geometry"),
        writes=False,
    ),
    GeometryEndpoint(
        "layer aggregate (POST)",
        "post",
        lambda city: "/api/v1/layers/districts/aggregate/",
        None,
        _body(intersects="@geometry"),
        writes=False,
    ),
    GeometryEndpoint(
        "layer query (GET)",
        "get",
        lambda city: "/api/v1/layers/districts/features/?limit=1",
        None,
        _body(),
        writes=False,
    ),
    GeometryEndpoint(
        "layer export",
        "get",
        lambda city: "/api/v1/layers/districts/export/?format=geojson",
        "planner",
        _body(),
        writes=False,
    ),
]


@pytest.fixture
def city(db: None) -> City:
    # A data migration writes the service kinds, but a transactional test elsewhere may have flushed them.
    ServiceKind.objects.get_or_create(code="greening", defaults={"name_ar": "تشجير", "name_en": "Greening"})
    return make_city()


def _client(city: City, role: str | None) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if role is not None:
        user = UserFactory.create(roles=[role])
        if role != "citizen":
            make_staff(user, jurisdiction=city.jurisdiction)
        client.force_authenticate(user)
    return client


def assert_refused(response: Any, *, statuses: tuple[int, ...] = (400,), label: str = "") -> str:
    assert response.status_code in statuses, (label, response.status_code, response.content[:300])
    message = response.json()["error"]["message"]
    assert message.strip(), label
    return message


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda endpoint: endpoint.name)
def test_hostile_geometries_are_refused_and_nothing_is_written(city, endpoint, settings):
    client = _client(city, endpoint.role)
    before = table_counts()
    failures: list[Any] = []
    with translation.override("en"):
        for name, geometry in HOSTILE:
            response = endpoint.send(client, city, geometry)
            if response.status_code != 400 or not response.json().get("error", {}).get("message"):
                failures.append((name, response.status_code, response.content[:200]))
            elif table_counts() != before:
                failures.append((name, "wrote rows"))
    assert failures == []

    # The same request with a valid shape is accepted: the cases above were refused for their shape.
    response = endpoint.send(client, city, json.dumps(square(LON, LAT)))
    assert response.status_code in (200, 201), response.content[:300]
    assert (table_counts() != before) == endpoint.writes


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.method == "post"], ids=lambda e: e.name)
def test_millions_of_vertices_are_refused_before_any_geometry_is_built(
    city, endpoint, millions_of_vertices, half_a_million_vertices, monkeypatch
):
    parsed: list[object] = []

    # The GeoJSON parser's first step; never reached when the body is refused on its size.
    def count_leaves(coordinates: object) -> int:
        parsed.append(coordinates)
        return 0

    monkeypatch.setattr(core_parsing, "_count_leaves", count_leaves)
    client = _client(city, endpoint.role)
    before = table_counts()
    with translation.override("en"):
        for geometry in (millions_of_vertices, half_a_million_vertices):
            started = time.monotonic()
            response = endpoint.send(client, city, geometry)
            assert_refused(response, statuses=(413,), label=endpoint.name)
            assert response.json()["error"]["code"] == "request_too_large"
            # Refused on its size, not after decoding: well under a second even on a busy machine.
            assert time.monotonic() - started < 5
    assert parsed == []
    assert table_counts() == before


def test_vertex_cap_is_counted_before_geos_builds_the_shape(city, monkeypatch):
    """Under the body limit but over the vertex cap: refused on a count of the lists, no GEOS object."""
    built: list[object] = []
    monkeypatch.setitem(core_parsing._GEOJSON_BUILDERS, "Polygon", lambda *args: built.append(args))
    client = _client(city, None)
    with translation.override("en"):
        response = client.post(
            "/api/v1/layers/districts/features/",
            {"intersects": many_vertices_ring(60_000, LON, LAT)},
            format="json",
        )
    message = assert_refused(response)
    assert "more than 10000 vertices" in message
    assert built == []


# --- coordinates sent as numbers in text: query strings and forms ----------------------------------

BAD_NUMBERS = ["NaN", "nan", "Infinity", "-Infinity", "inf", "1e400", "-1e400", "abc", "0x10", "1,5", "%00"]


@pytest.mark.django_db
def test_hostile_coordinates_in_query_strings_and_forms(amman):
    """lat/lon, near, bbox and Open311's lat/long: never a non-finite or unreadable number."""
    inspector = UserFactory.create(roles=["inspector"])
    make_staff(inspector, jurisdiction=amman)
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_authenticate(inspector)
    page = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    page.cookies["django_language"] = "en"
    key = new_key(amman)
    good_lat, good_lon = "31.9516", "35.9393"
    before = table_counts()
    failures: list[Any] = []
    with translation.override("en"):
        for bad in BAD_NUMBERS:
            quoted = bad if bad == "%00" else urllib.parse.quote(bad)
            for url in (
                f"/api/v1/districts/lookup/?lat={quoted}&lon={good_lon}",
                f"/api/v1/districts/lookup/?lat={good_lat}&lon={quoted}",
                f"/api/v1/field/today/?lat={quoted}&lon={good_lon}",
                f"/api/v1/venues/?near={quoted},{good_lon}",
                f"/api/v1/venues/?near={good_lat},{good_lon}&radius={quoted}",
                f"/api/v1/venues/?bbox=35.9,31.9,{quoted},32.0",
                f"/api/v1/layers/districts/features/?bbox=35.9,{quoted},36.0,32.0",
                f"/api/v1/layers/districts/features/?within=POINT(35.93 31.95)&distance={quoted}",
                f"/ogc/collections/districts/items?f=json&bbox={quoted},31.9,36.0,32.0",
            ):
                response = api.get(url)
                if response.status_code != 400 or not response.json()["error"]["message"]:
                    failures.append((url, response.status_code))
            form = {"api_key": key, "service_code": "street-light", "attribute[problem]": "out"}
            bad = urllib.parse.unquote(bad)
            response = page.post("/open311/v2/requests.json", {**form, "lat": bad, "long": good_lon})
            if response.status_code != 400:
                failures.append(("open311 lat", bad, response.status_code))
            report = {
                "service_code": "street-light",
                "attribute[problem]": "out",
                "lat": bad,
                "lon": good_lon,
            }
            response = page.post("/", report)
            if response.status_code != 400:
                failures.append(("report page lat", bad, response.status_code))
    assert failures == []
    assert table_counts() == before
    # The same calls with real numbers are answered (a refusal above was of the number).
    assert api.get(f"/api/v1/districts/lookup/?lat={good_lat}&lon={good_lon}").status_code == 200
    assert api.get(f"/api/v1/venues/?near={good_lat},{good_lon}&radius=500").status_code == 200


HOSTILE_WKT = [
    "POLYGON" + "(" * 300_000 + ")" * 300_000,
    "GEOMETRYCOLLECTION(" * 20_000 + "POINT(46.62 24.62)" + ")" * 20_000,
    "POINT(1e400 1)",
    "POINT(nan nan)",
    "POINT(inf 1)",
    "LINESTRING(46.62 24.62)",
    "POLYGON((46.62 24.62, 46.63 24.62, 46.63 24.63, 46.62 24.62)",
    "POLYGON((46.62 24.62, 46.63 24.62, 46.63 24.63, 46.64 24.64))",
    "POINT(200 100)",
    "0101000000000000000000F03F000000000000F03F",  # hex WKB: not WKT
]


def test_hostile_wkt_in_layer_queries(city):
    client = _client(city, None)
    failures: list[Any] = []
    with translation.override("en"):
        for text in HOSTILE_WKT:
            for parameter in ("intersects", "within"):
                extra = "&distance=10" if parameter == "within" else ""
                url = f"/api/v1/layers/districts/features/?{parameter}={urllib.parse.quote(text)}{extra}"
                response = client.get(url)
                if response.status_code != 400 or not response.json()["error"]["message"]:
                    failures.append((text[:40], parameter, response.status_code))
    assert failures == []
    ok = client.get(
        "/api/v1/layers/districts/features/?intersects=" + urllib.parse.quote(f"POINT({LON} {LAT})")
    )
    assert ok.status_code == 200


def test_deep_nesting_in_a_multipart_form_field(city):
    """A proposal sent as a form carries its geometry as GeoJSON text: nesting is refused there too."""
    client = _client(city, "citizen")
    before = table_counts()
    body = {
        "jurisdiction": city.jurisdiction.code,
        "title": "Trees",
        "description": "Shade",
        "geometry": json.dumps({"type": "Point", "coordinates": "@"}).replace('"@"', DEEP),
    }
    with translation.override("en"):
        response = client.post("/api/v1/proposals/", body, format="multipart")
        assert "geometry" in assert_refused(response)
        body["geometry"] = json.dumps({"type": "Point", "coordinates": [LON, LAT]}).replace(f"{LON}", "NaN")
        assert "geometry" in assert_refused(client.post("/api/v1/proposals/", body, format="multipart"))
    assert table_counts() == before
    body["geometry"] = json.dumps({"type": "Point", "coordinates": [LON, LAT]})
    response = client.post("/api/v1/proposals/", body, format="multipart")
    assert response.status_code == 201, response.content
