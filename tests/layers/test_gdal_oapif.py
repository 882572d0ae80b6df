"""GDAL's OGC API - Features driver (what QGIS uses) reads every public layer from a live server."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pyogrio
import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.gis.geos import Point
from django.db import connection

from geo_services.service_requests.services import submit_request
from geo_services.venues.models import Venue
from layers.registry import registry

pytestmark = pytest.mark.skipif(shutil.which("ogr2ogr") is None, reason="gdal-bin is not installed")


def gdal(*args: str) -> str:
    # No proxy for the test server; GDAL would otherwise honour one from the environment.
    env = {**os.environ, "NO_PROXY": "*", "GDAL_HTTP_TIMEOUT": "30"}
    result = subprocess.run(  # noqa: S603 - GDAL's own tools, arguments made here
        args, capture_output=True, text=True, timeout=120, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def server(transactional_db, amman, live_server) -> str:
    return f"{live_server.url}/ogc/"


def test_ogrinfo_lists_every_public_layer(server):
    summary = gdal("ogrinfo", "-ro", "-al", "-so", f"OAPIF:{server}")
    assert "Layer name: districts" in summary
    assert "Layer name: venues" in summary
    assert f"Feature Count: {Venue.objects.filter(active=True).count()}" in summary


PUBLIC_LAYERS = [layer.id for layer in registry.readable_by(AnonymousUser())]


def public_rows(layer_id: str) -> list[tuple[object, ...]]:
    """(id, code or None) of the layer's public rows, read straight from its table or view."""
    layer = registry.require(layer_id)
    code = "code" if "code" in layer.attribute_by_name else "NULL"
    condition = layer.public_condition or "TRUE"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {layer.id_column}, {code} FROM {layer.table} WHERE {condition}")
        return cursor.fetchall()


def test_every_public_layer_is_tested():
    assert set(PUBLIC_LAYERS) >= {
        "districts",
        "venues",
        "service-requests",
        "green-spaces",
        "trees",
        "sidewalks",
        "waste-points",
    }
    assert "inspections" not in PUBLIC_LAYERS


@pytest.mark.parametrize("collection", PUBLIC_LAYERS)
def test_ogr2ogr_copies_a_whole_layer_page_by_page(server, tmp_path: Path, collection):
    Venue.objects.filter(code=Venue.objects.order_by("id").values("code")[:1]).update(active=False)
    for offset in range(7):  # more than a page of requests
        submit_request(
            jurisdiction_code="amman",
            service_code="pothole",
            point=Point(35.93 + offset / 1000, 31.95, srid=4326),
            answers={"size": ["large"]},
        )
    expected = public_rows(collection)
    assert expected, f"the demo data has no {collection}"
    out = tmp_path / f"{collection}.gpkg"
    # A page size far below most layers' size, so the copy must follow several `next` links.
    gdal("ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{server}collections/{collection}", "-oo", "PAGE_SIZE=5")
    frame = pyogrio.read_dataframe(out)
    assert len(frame) == len(expected)
    assert frame.geometry.notna().all()
    if "code" in frame:
        assert sorted(frame["code"]) == sorted(str(code) for _id, code in expected)
