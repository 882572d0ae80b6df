"""GDAL's OGC API - Features driver (what QGIS uses) reads every public layer from a live server."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pyogrio
import pytest

from geo_services.core.models import District
from geo_services.venues.models import Venue

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


@pytest.mark.parametrize(
    ("collection", "expected"),
    [
        ("venues", lambda: set(Venue.objects.filter(active=True).values_list("code", flat=True))),
        ("districts", lambda: set(District.objects.values_list("code", flat=True))),
    ],
)
def test_ogr2ogr_copies_a_whole_layer_page_by_page(server, tmp_path: Path, collection, expected):
    Venue.objects.filter(code=Venue.objects.order_by("id").values("code")[:1]).update(active=False)
    out = tmp_path / f"{collection}.gpkg"
    # A page size far below the layer's size, so the copy must follow several `next` links.
    gdal("ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{server}collections/{collection}", "-oo", "PAGE_SIZE=5")
    frame = pyogrio.read_dataframe(out)
    assert set(frame["code"]) == expected()
    assert len(frame) == len(expected())
    assert frame.geometry.notna().all()
