"""Unknown or malicious spatial reference systems never reach GDAL, OSR, PROJ or pyogrio.

GDAL 3.6 cannot stop a spatial reference string from opening files or URLs (`+init=/etc/passwd`,
`/vsicurl/…`), so user text must never be handed to it. Every place a person can name a CRS — a
GeoJSON `crs` member, an EWKT `SRID=` prefix, the OGC API's `crs` / `bbox-crs`, any API's query
string — is sent each hostile value; the answer is a 4xx with a message, nothing is written, and
spies on the GDAL/PROJ entry points prove none of them ever saw the text.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pyogrio
import pyproj
import pytest
from django.contrib.gis import gdal
from django.utils import translation
from rest_framework.test import APIClient

from tests.factories import UserFactory, make_staff
from tests.initiatives.factories import make_city
from tests.security.hostile import square, table_counts

LON, LAT = 46.62, 24.62
HOSTILE_SRS = [
    "EPSG:999999",
    "urn:ogc:def:crs:EPSG::0",
    "EPSG:3857",  # a real CRS, but a GeoJSON geometry here is WGS84 longitude/latitude only
    "+proj=longlat +init=/etc/passwd",
    'GEOGCS["x",DATUM["y",SPHEROID["z",6378137,298.257223563]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433]]',
    "http://127.0.0.1:9/x",
    "file:///etc/passwd",
    "/vsicurl/http://127.0.0.1:9/x",
    "/vsizip//etc/passwd.zip/x.prj",
]
# (SRID=0 is PostGIS's "no SRID" and is read as plain WKT, WGS84, like WKT without a prefix.)
HOSTILE_SRIDS = ["999999", "-1", "3857", "900913", "4326000"]


@pytest.fixture
def gdal_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...]]]:
    """Every call of a GDAL / OSR / PROJ / pyogrio entry point, with its arguments."""
    calls: list[tuple[str, tuple[Any, ...]]] = []

    def spy_init(cls: type, name: str) -> None:
        real = cls.__init__  # type: ignore[misc]

        def spy(self: Any, *args: Any, **kwargs: Any) -> None:
            calls.append((name, args + tuple(kwargs.values())))
            real(self, *args, **kwargs)

        monkeypatch.setattr(cls, "__init__", spy)

    for cls, name in (
        (gdal.SpatialReference, "SpatialReference"),
        (gdal.CoordTransform, "CoordTransform"),
        (gdal.OGRGeometry, "OGRGeometry"),
        (gdal.DataSource, "DataSource"),
        (gdal.GDALRaster, "GDALRaster"),
        (pyproj.CRS, "pyproj.CRS"),
    ):
        spy_init(cls, name)

    def spy_function(owner: Any, attribute: str, name: str) -> None:
        real = getattr(owner, attribute)

        def spy(*args: Any, **kwargs: Any) -> Any:
            calls.append((name, args + tuple(kwargs.values())))
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, attribute, spy)

    spy_function(pyogrio, "read_dataframe", "pyogrio.read_dataframe")
    spy_function(pyogrio, "read_info", "pyogrio.read_info")
    spy_function(pyproj.Transformer, "from_crs", "pyproj.Transformer.from_crs")
    return calls


def _crs_member(name: str) -> dict[str, Any]:
    return {**square(LON, LAT), "crs": {"type": "name", "properties": {"name": name}}}


def _crs_link(href: str) -> dict[str, Any]:
    return {**square(LON, LAT), "crs": {"type": "link", "properties": {"href": href, "type": "proj4"}}}


def _requests(srs: str, city_code: str) -> list[tuple[str, str, Any]]:
    """(method, path, JSON body or None) naming `srs` in every way a person can."""
    quoted = urllib.parse.quote(srs)
    bbox = f"{LON},{LAT},{LON + 0.01},{LAT + 0.01}"
    initiative = {
        "jurisdiction": city_code,
        "kind": "green_space",
        "feature_type": "park",
        "name_ar": "حديقة",
        "name_en": "Park",
        "planned_start": "2026-03-01",
        "planned_end": "2026-10-31",
        "department": "parks",
    }
    return [
        ("post", "/api/v1/layers/districts/features/", {"intersects": _crs_member(srs)}),
        ("post", "/api/v1/layers/districts/features/", {"intersects": _crs_link(srs)}),
        ("post", "/api/v1/initiatives/", {**initiative, "geometry": _crs_member(srs)}),
        ("post", "/api/v1/proposals/", {"jurisdiction": city_code, "title": "T", "geometry": _crs_member(srs)}),
        ("get", "/api/v1/layers/districts/features/?intersects=" + urllib.parse.quote(json.dumps(_crs_member(srs))), None),
        ("get", f"/api/v1/layers/districts/features/?crs={quoted}", None),
        ("get", f"/api/v1/layers/districts/export/?format=gpkg&crs={quoted}", None),
        ("get", f"/ogc/collections/districts/items?f=json&crs={quoted}", None),
        ("get", f"/ogc/collections/districts/items?f=json&bbox={bbox}&bbox-crs={quoted}", None),
        ("get", f"/api/v1/venues/?crs={quoted}", None),
    ]  # fmt: skip


def _ewkt_requests(srid: str) -> list[tuple[str, str, Any]]:
    point = f"SRID={srid};POINT({LON} {LAT})"
    return [
        ("get", "/api/v1/layers/districts/features/?intersects=" + urllib.parse.quote(point), None),
        ("get", "/api/v1/layers/districts/export/?format=gpkg&intersects=" + urllib.parse.quote(point), None),
        ("post", "/api/v1/layers/districts/features/", {"within": point, "distance": 100}),
    ]


@pytest.mark.django_db
def test_hostile_spatial_references_never_reach_gdal(gdal_calls):
    city = make_city()
    planner = UserFactory.create(roles=["planner"])
    make_staff(planner, jurisdiction=city.jurisdiction)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(planner)
    citizen = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    citizen.force_authenticate(UserFactory.create(roles=["citizen"]))
    before = table_counts()
    failures = []
    cases = [(srs, request) for srs in HOSTILE_SRS for request in _requests(srs, city.jurisdiction.code)]
    cases += [(f"SRID={srid}", request) for srid in HOSTILE_SRIDS for request in _ewkt_requests(srid)]
    with translation.override("en"):
        for srs, (method, path, body) in cases:
            sender = citizen if path.startswith("/api/v1/proposals/") else client
            if body is None:
                response = getattr(sender, method)(path)
            else:
                response = getattr(sender, method)(path, body, format="json")
            if response.status_code != 400:
                failures.append((srs, path[:100], response.status_code))
            elif not response.json().get("error", {}).get("message"):
                failures.append((srs, path[:80], "no message"))
    assert failures == []
    assert table_counts() == before
    leaked = [
        (name, args)
        for name, args in gdal_calls
        for srs in [*HOSTILE_SRS, *HOSTILE_SRIDS]
        if any(srs in repr(argument) for argument in args)
    ]
    assert leaked == []
    # Nothing on these paths needs GDAL or PROJ at all.
    assert gdal_calls == []


@pytest.mark.django_db
def test_the_spies_do_see_gdal_when_it_is_used(gdal_calls):
    """The spies are live: a legitimate GeoPackage export reaches PROJ with EPSG:4326 only."""
    make_city()
    planner = UserFactory.create(roles=["planner"])
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(planner)
    response = client.get("/api/v1/layers/districts/export/?format=gpkg")
    assert response.status_code == 200, response.content[:300]
    assert b"".join(response.streaming_content).startswith(b"SQLite format 3")
    assert gdal_calls, "the export should have used pyproj or GDAL"
    assert all("passwd" not in repr(args) for _, args in gdal_calls)


@pytest.mark.django_db
def test_a_geojson_crs_naming_wgs84_is_still_accepted():
    """The refusals above are of the hostile names, not of the crs member as such."""
    make_city()
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        "/api/v1/layers/districts/features/",
        {"intersects": _crs_member("urn:ogc:def:crs:OGC:1.3:CRS84")},
        format="json",
    )
    assert response.status_code == 200, response.content[:300]
    assert response.json()["numberReturned"] == 1
