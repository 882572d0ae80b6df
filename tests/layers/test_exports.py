"""Layer exports: every format read back by geopandas, selections, streaming, permissions, refusals."""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path
from typing import Any

import geopandas
import pytest
import shapely
from django.contrib.gis.geos import Polygon
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import StreamingHttpResponse
from django.utils import translation

from geo_services.core.models import District
from geo_services.core.roles import Role
from geo_services.venues.models import Venue
from layers.exports.formats import export_field_names, shapefile_field_names
from layers.exports.streaming import stream_feature_collection
from layers.registry import registry
from layers.selection import Selection, where_sql

URL = "/api/v1/layers/{}/export/"
FILE_SUFFIX = {"gpkg": ".gpkg", "shp": ".zip", "geojson": ".geojson", "csv": ".csv"}
# Coordinates are written with 7 decimals in GeoJSON (about 1 cm); the binary formats keep them all.
TOLERANCE_DEGREES = 1e-6
# A box over the west of Amman: some of the demo venues, not all.
WEST_AMMAN = (35.80, 31.90, 35.90, 32.05)


@pytest.fixture
def venues(venues: list[Venue]) -> list[Venue]:
    """The shared venues (one inactive, never exported), the first without a capacity (an empty value)."""
    Venue.objects.filter(pk=venues[0].pk).update(capacity=None)
    return list(Venue.objects.filter(active=True).order_by("id"))


def export(client, layer_id: str, **params: str):
    # API messages follow Accept-Language (Arabic without it); the tests read the English ones.
    return client.get(URL.format(layer_id), params, HTTP_ACCEPT_LANGUAGE="en")


def body_of(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.getvalue()


def read_back(response, export_format: str, folder: Path) -> geopandas.GeoDataFrame:
    """The downloaded file as geopandas reads it (through pyogrio)."""
    path = folder / f"download{FILE_SUFFIX[export_format]}"
    path.write_bytes(body_of(response))
    if export_format == "geojson":
        # GeoJSON carries the id as the feature's `id` member, which GDAL reads as the feature id.
        frame = geopandas.read_file(path, engine="pyogrio", fid_as_index=True)
        return frame.assign(id=frame.index)
    return geopandas.read_file(path, engine="pyogrio")


def plain(value: Any) -> Any:
    """One spelling for a value across formats: CSV has only text, the others nulls and numbers."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str) and value.isdigit():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def venue_rows(venues: list[Venue]) -> dict[str, dict[str, Any]]:
    return {
        venue.code: {
            "kind": venue.kind,
            "name_ar": venue.name_ar,
            "name_en": venue.name_en,
            "capacity": venue.capacity,
            "id": venue.pk,
        }
        for venue in venues
    }


def assert_same_venues(frame: geopandas.GeoDataFrame, venues: list[Venue]) -> None:
    expected = venue_rows(venues)
    assert len(frame) == len(expected)
    assert sorted(frame["code"]) == sorted(expected)
    for record in frame.to_dict("records"):
        want = expected[record["code"]]
        got = {name: plain(record[name]) for name in want}
        assert got == want
        venue = next(v for v in venues if v.code == record["code"])
        assert record["geometry"].geom_type == "Point"
        assert (
            record["geometry"].distance(shapely.Point(venue.location.x, venue.location.y)) < TOLERANCE_DEGREES
        )


@pytest.mark.django_db
class TestFormatsReadBack:
    @pytest.mark.parametrize("export_format", ["gpkg", "shp", "geojson", "csv"])
    def test_every_format_holds_the_public_venues_with_arabic_names(
        self, client, venues, tmp_path, export_format
    ):
        response = export(client, "venues", format=export_format)
        assert response.status_code == 200, body_of(response)[:300]
        assert any("\u0600" <= ch <= "\u06ff" for v in venues for ch in v.name_ar)
        frame = read_back(response, export_format, tmp_path)
        assert_same_venues(frame, venues)
        assert "closed-park" not in set(frame["code"])

    @pytest.mark.parametrize("export_format", ["gpkg", "shp"])
    def test_district_polygons_survive(self, client, amman, tmp_path, export_format):
        response = export(client, "districts", format=export_format)
        assert response.status_code == 200
        frame = read_back(response, export_format, tmp_path)
        districts = {d.code: d for d in District.objects.all()}
        assert len(frame) == len(districts)
        for record in frame.to_dict("records"):
            district = districts[record["code"]]
            assert record["name_ar"] == district.name_ar
            stored = shapely.from_wkb(bytes(district.geom.wkb))
            # Same shape: the symmetric difference has (next to) no area.
            assert record["geometry"].symmetric_difference(stored).area < 1e-12
        assert frame.crs.to_epsg() == 4326

    def test_file_name_and_media_type(self, client, venues):
        response = export(client, "venues", format="gpkg")
        disposition = response["Content-Disposition"]
        assert disposition.startswith('attachment; filename="venues-')
        assert disposition.endswith('.gpkg"')
        assert len(disposition.split('"')[1]) == len("venues-20260101.gpkg")
        assert response["Content-Type"] == "application/geopackage+sqlite3"
        assert response["Cache-Control"] == "private, no-store"

    def test_shapefile_zip_has_its_parts_utf8_and_a_readme(self, client, venues, tmp_path):
        response = export(client, "venues", format="shp")
        assert response["Content-Disposition"].endswith('.zip"')
        path = tmp_path / "venues.zip"
        path.write_bytes(body_of(response))
        archive = zipfile.ZipFile(path)
        names = set(archive.namelist())
        assert {f"venues.{ext}" for ext in ("shp", "shx", "dbf", "prj", "cpg")} <= names
        assert archive.read("venues.cpg").decode().strip() == "UTF-8"
        readme = archive.read("README.txt").decode().splitlines()
        shortened = shapefile_field_names(export_field_names(registry.require("venues")))
        for name, short in shortened.items():
            assert f"{short} = {name}" in readme
        frame = geopandas.read_file(path, engine="pyogrio")
        assert set(frame.columns) - {"geometry"} == set(shortened.values())

    def test_csv_is_utf8_with_bom_and_wkt_first(self, client, venues):
        response = export(client, "venues", format="csv")
        content = body_of(response)
        assert content.startswith(b"\xef\xbb\xbf")
        header = content[3:].decode().splitlines()[0]
        assert header.split(",")[:3] == ["WKT", "id", "code"]
        assert venues[1].name_ar in content.decode("utf-8-sig")

    def test_an_empty_selection_is_a_valid_empty_file(self, client, venues, tmp_path):
        response = export(client, "venues", format="gpkg", bbox="10,10,10.1,10.1")
        assert response.status_code == 200
        assert len(read_back(response, "gpkg", tmp_path)) == 0


def test_shapefile_names_are_cut_to_ten_characters_and_stay_unique():
    names = shapefile_field_names(["id", "inspection_date", "inspection_score", "inspectio", "code"])
    assert names == {
        "id": "id",
        "inspection_date": "inspection",
        "inspection_score": "inspecti_1",
        "inspectio": "inspectio",
        "code": "code",
    }
    assert all(len(short) <= 10 for short in names.values())


@pytest.mark.django_db
class TestSelection:
    def test_bbox_narrows_the_export(self, client, venues, tmp_path):
        box = Polygon.from_bbox(WEST_AMMAN)
        inside = [v for v in venues if box.intersects(v.location)]
        assert 0 < len(inside) < len(venues)
        response = export(client, "venues", format="gpkg", bbox=",".join(map(str, WEST_AMMAN)))
        assert_same_venues(read_back(response, "gpkg", tmp_path), inside)

    def test_district_narrows_the_export(self, client, venues, tmp_path):
        district = District.objects.get(pk=venues[0].district_id)
        inside = [v for v in venues if district.geom.intersects(v.location)]
        assert 0 < len(inside) < len(venues)
        response = export(client, "venues", format="geojson", district=district.code)
        assert_same_venues(read_back(response, "geojson", tmp_path), inside)

    def test_intersects_and_attribute_filter_narrow_the_export(self, client, venues, tmp_path):
        box = Polygon.from_bbox(WEST_AMMAN)
        kind = venues[0].kind
        inside = [v for v in venues if box.intersects(v.location) and v.kind == kind]
        response = export(client, "venues", format="csv", intersects=box.wkt, kind=kind)
        assert response.status_code == 200
        frame = read_back(response, "csv", tmp_path)
        assert sorted(frame["code"]) == sorted(v.code for v in inside)


@pytest.mark.django_db
class TestStreaming:
    def test_geojson_is_streamed_and_valid(self, client, venues):
        response = export(client, "venues", format="geojson")
        assert response.status_code == 200
        assert isinstance(response, StreamingHttpResponse)
        assert response["Content-Type"] == "application/geo+json"
        assert response["Content-Disposition"].endswith('.geojson"')
        document = json.loads(body_of(response))
        assert document["type"] == "FeatureCollection"
        assert len(document["features"]) == len(venues)
        by_code = {f["properties"]["code"]: f for f in document["features"]}
        assert by_code[venues[1].code]["properties"]["name_ar"] == venues[1].name_ar
        assert by_code[venues[1].code]["id"] == venues[1].pk

    def test_features_come_in_batches_from_a_server_side_cursor(self, venues):
        layer = registry.require("venues")
        params: dict[str, Any] = {}
        condition = where_sql(layer, Selection(), params)
        pieces = stream_feature_collection(
            layer, condition, params, members={"title": "مرافق"}, count_member="numberReturned", batch_size=5
        )
        received = [next(pieces), next(pieces)]
        with connection.cursor() as cursor:
            # While the first batch is out, the rest waits in a cursor on the database server.
            cursor.execute("SELECT count(*) FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
            assert cursor.fetchone()[0] == 1
        received.extend(pieces)
        # head, ceil(n / 5) batches, tail
        assert len(received) == 2 + math.ceil(len(venues) / 5)
        document = json.loads(b"".join(received))
        assert document["title"] == "مرافق"
        assert document["numberReturned"] == len(venues)
        assert [f["id"] for f in document["features"]] == [v.pk for v in venues]

    def test_an_empty_collection_is_valid(self, venues):
        layer = registry.require("venues")
        pieces = stream_feature_collection(layer, "FALSE", {})
        assert json.loads(b"".join(pieces)) == {"type": "FeatureCollection", "features": []}


@pytest.mark.django_db
class TestPermissionsAndRefusals:
    def test_staff_only_layer_is_hidden_from_anonymous_and_open_to_planners(
        self, client, amman, planners_only_layer, user_with_role
    ):
        assert export(client, planners_only_layer.id, format="geojson").status_code == 404
        inspector = user_with_role(Role.INSPECTOR)
        client.force_login(inspector)
        assert export(client, planners_only_layer.id, format="geojson").status_code == 404
        client.force_login(user_with_role(Role.PLANNER))
        response = export(client, planners_only_layer.id, format="geojson")
        assert response.status_code == 200
        assert len(json.loads(body_of(response))["features"]) == District.objects.count()

    def test_unknown_layer_is_404_listing_the_layers(self, client, db):
        with translation.override("en"):
            response = export(client, "nope", format="gpkg")
        assert response.status_code == 404
        error = response.json()["error"]
        assert error["code"] == "unknown_layer"
        assert "venues" in error["message"]

    @pytest.mark.parametrize("raw", ["kml", ""])
    def test_bad_or_missing_format_lists_the_formats(self, client, venues, raw):
        with translation.override("en"):
            response = export(client, "venues", format=raw)
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "unknown_format"
        assert "gpkg, shp, geojson, csv" in response.json()["error"]["message"]

    def test_over_the_cap_asks_to_narrow_the_selection(self, client, venues, settings, tmp_path):
        settings.AMANAH_EXPORT_MAX_FEATURES = len(venues) - 1
        with translation.override("en"):
            response = export(client, "venues", format="geojson")
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "too_many_features"
        assert "Narrow the selection" in error["message"]
        box = Polygon.from_bbox(WEST_AMMAN)
        response = export(client, "venues", format="gpkg", bbox=",".join(map(str, WEST_AMMAN)))
        assert response.status_code == 200
        assert len(read_back(response, "gpkg", tmp_path)) == sum(box.intersects(v.location) for v in venues)

    def test_bad_selection_and_unknown_parameters_are_400(self, client, venues):
        with translation.override("en"):
            bad_bbox = export(client, "venues", format="gpkg", bbox="36,32,35,31")
            unknown = export(client, "venues", format="gpkg", colour="red")
        assert bad_bbox.status_code == 400
        assert bad_bbox.json()["error"]["code"] == "invalid_bbox"
        assert unknown.status_code == 400
        assert "colour" in unknown.json()["error"]["message"]


def run_export(*args: str) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("export_layer", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
class TestExportCommand:
    def test_format_from_the_name_and_a_bbox(self, venues, tmp_path):
        box = Polygon.from_bbox(WEST_AMMAN)
        inside = [v for v in venues if box.intersects(v.location)]
        path = tmp_path / "west.gpkg"
        output = run_export("venues", str(path), "--bbox", ",".join(map(str, WEST_AMMAN)))
        assert f"Exported {len(inside)} features of venues" in output
        assert_same_venues(geopandas.read_file(path), inside)

    def test_explicit_format_and_attribute_filter(self, venues, tmp_path):
        path = tmp_path / "parks.data"
        kind = venues[0].kind
        run_export("venues", str(path), "--format", "geojson", "--filter", f"kind={kind}")
        document = json.loads(path.read_text())
        assert {f["properties"]["kind"] for f in document["features"]} == {kind}
        assert len(document["features"]) == sum(v.kind == kind for v in venues)

    def test_refusals(self, venues, tmp_path, settings):
        with pytest.raises(CommandError, match="There is no layer 'nope'"):
            run_export("nope", str(tmp_path / "x.gpkg"))
        with pytest.raises(CommandError, match=r"Cannot tell the format from x\.kml"):
            run_export("venues", str(tmp_path / "x.kml"))
        with pytest.raises(CommandError, match="--filter takes ATTRIBUTE=VALUE"):
            run_export("venues", str(tmp_path / "x.gpkg"), "--filter", "colour=red")
        settings.AMANAH_EXPORT_MAX_FEATURES = 1
        with pytest.raises(CommandError, match="Narrow the selection"):
            run_export("venues", str(tmp_path / "x.gpkg"))
        assert not (tmp_path / "x.gpkg").exists()
