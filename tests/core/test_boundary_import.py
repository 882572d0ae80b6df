"""import_boundaries: formats, reprojection, repair, all-or-nothing, idempotence, clear errors."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation
from shapely.geometry import shape

from geo_services.core.boundary_import import code_from_name
from geo_services.core.models import District, Jurisdiction
from tests.conftest import LIWA_FILE

LIWA_ARGS = ["--name-field", "name_en", "--name-ar-field", "name_ar", "--population-field", "population_2024"]


def run_import(path: Path | str, *args: str) -> str:
    """Runs the command in English (the project's default language is Arabic)."""
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_boundaries", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def feature(name: str, coordinates: list, geometry_type: str = "Polygon", **properties) -> dict:
    return {
        "type": "Feature",
        "properties": {"name": name, **properties},
        "geometry": {"type": geometry_type, "coordinates": coordinates},
    }


SQUARE_A = [[[46.60, 24.60], [46.70, 24.60], [46.70, 24.70], [46.60, 24.70], [46.60, 24.60]]]
SQUARE_B = [[[46.70, 24.60], [46.80, 24.60], [46.80, 24.70], [46.70, 24.70], [46.70, 24.60]]]
# A "bow tie": its ring crosses itself at (46.65, 24.65).
BOW_TIE = [[[46.60, 24.60], [46.70, 24.70], [46.70, 24.60], [46.60, 24.70], [46.60, 24.60]]]


def state() -> list[tuple]:
    """Everything the import can touch, to compare before and after."""
    return list(
        District.objects.order_by("jurisdiction__code", "code").values_list(
            "jurisdiction__code", "code", "name_en", "name_ar", "population", "geom"
        )
    ) + list(Jurisdiction.objects.values_list("code", "boundary"))


@pytest.mark.django_db
class TestRealFile:
    def test_imports_nine_districts_with_names_and_populations(self, tmp_path):
        output = run_import(LIWA_FILE, "--jurisdiction", "amman-liwa", *LIWA_ARGS)
        assert "9 created" in output
        jurisdiction = Jurisdiction.objects.get(code="amman-liwa")
        source = {
            f["properties"]["name_en"]: f["properties"] for f in json.loads(LIWA_FILE.read_text())["features"]
        }
        districts = District.objects.filter(jurisdiction=jurisdiction)
        assert districts.count() == 9
        for district in districts:
            assert district.population == source[district.name_en]["population_2024"]
            assert district.name_ar == source[district.name_en]["name_ar"]
            assert district.code == code_from_name(district.name_en)
        # The jurisdiction's boundary is the union of its districts.
        assert jurisdiction.boundary is not None
        assert jurisdiction.boundary.area == pytest.approx(sum(d.geom.area for d in districts), rel=1e-3)

    def test_reimport_is_idempotent(self):
        run_import(LIWA_FILE, "--jurisdiction", "amman-liwa", *LIWA_ARGS)
        before = state()
        output = run_import(LIWA_FILE, "--jurisdiction", "amman-liwa", *LIWA_ARGS)
        assert "0 created, 0 updated, 9 unchanged" in output
        assert state() == before

    def test_reimport_updates_changed_districts_by_code(self, tmp_path):
        run_import(LIWA_FILE, "--jurisdiction", "amman-liwa", *LIWA_ARGS)
        data = json.loads(LIWA_FILE.read_text())
        data["features"][0]["properties"]["population_2024"] = 1
        changed = tmp_path / "changed.geojson"
        changed.write_text(json.dumps(data))
        output = run_import(changed, "--jurisdiction", "amman-liwa", *LIWA_ARGS)
        assert "0 created, 1 updated, 8 unchanged" in output
        assert District.objects.count() == 9
        assert District.objects.get(name_en=data["features"][0]["properties"]["name_en"]).population == 1

    def test_geopackage_in_a_metric_projection_is_reprojected(self, tmp_path):
        frame = geopandas.read_file(LIWA_FILE).to_crs(32637)  # UTM zone 37N, metres
        path = tmp_path / "liwa_utm.gpkg"
        frame.to_file(path, layer="districts", driver="GPKG")
        output = run_import(path, "--jurisdiction", "amman-liwa", "--layer", "districts", *LIWA_ARGS)
        assert "EPSG:32637 -> EPSG:4326" in output
        for district in District.objects.all():
            original = shape(
                next(
                    f["geometry"]
                    for f in json.loads(LIWA_FILE.read_text())["features"]
                    if f["properties"]["name_en"] == district.name_en
                )
            )
            assert district.geom.srid == 4326
            assert district.geom.area == pytest.approx(original.area, rel=1e-4)

    def test_zipped_shapefile(self, tmp_path):
        frame = geopandas.read_file(LIWA_FILE)
        # Shapefile field names are limited to 10 characters.
        frame = frame.rename(columns={"population_2024": "pop2024"})[
            ["name_en", "name_ar", "pop2024", "geometry"]
        ]
        shp_dir = tmp_path / "shp"
        shp_dir.mkdir()
        frame.to_file(shp_dir / "liwa.shp", encoding="utf-8")
        archive = tmp_path / "liwa.zip"
        with zipfile.ZipFile(archive, "w") as zf:
            for part in shp_dir.iterdir():
                zf.write(part, part.name)
        output = run_import(
            archive, "--jurisdiction", "amman-liwa", "--name-field", "name_en", "--name-ar-field", "name_ar",
            "--population-field", "pop2024",
        )  # fmt: skip
        assert "9 created" in output
        assert District.objects.get(code="sahab-district").name_ar == "لواء سحاب"


@pytest.mark.django_db
class TestRepairAndRejection:
    def test_self_intersecting_polygon_is_repaired_and_reported(self, tmp_path):
        path = write_geojson(tmp_path / "bowtie.geojson", [feature("Bow Tie", BOW_TIE)])
        output = run_import(
            path, "--jurisdiction", "riyadh", "--name-field", "name", "--time-zone", "Asia/Riyadh"
        )
        assert "Repaired bow-tie: Self-intersection" in output
        district = District.objects.get(code="bow-tie")
        assert district.geom.valid
        assert district.geom.area == pytest.approx(0.005, rel=1e-6)  # two triangles of 0.0025 deg²
        assert Jurisdiction.objects.get(code="riyadh").time_zone == "Asia/Riyadh"

    def test_a_line_feature_rejects_the_whole_file(self, tmp_path):
        path = write_geojson(
            tmp_path / "mixed.geojson",
            [feature("Good", SQUARE_A), feature("Road", [[46.6, 24.6], [46.7, 24.7]], "LineString")],
        )
        with pytest.raises(CommandError, match="Road is a LineString, not a polygon"):
            run_import(path, "--jurisdiction", "riyadh", "--name-field", "name")
        assert not Jurisdiction.objects.filter(code="riyadh").exists()
        assert District.objects.count() == 0

    def test_database_refusal_midway_leaves_nothing(self, tmp_path):
        """The last feature passes the file checks but the database refuses it: the first stays unwritten."""
        run_import(LIWA_FILE, "--jurisdiction", "amman-liwa", *LIWA_ARGS)
        before = state()
        data = json.loads(LIWA_FILE.read_text())
        data["features"][0]["properties"]["population_2024"] = 5
        data["features"][-1]["properties"]["population_2024"] = 10**12  # too large for the column
        path = tmp_path / "overflow.geojson"
        path.write_text(json.dumps(data))
        with pytest.raises(CommandError, match="nothing was written"):
            run_import(path, "--jurisdiction", "amman-liwa", *LIWA_ARGS)
        assert state() == before

    def test_dry_run_writes_nothing(self, tmp_path):
        output = run_import(LIWA_FILE, "--jurisdiction", "amman-liwa", "--dry-run", *LIWA_ARGS)
        assert "9 created" in output
        assert "dry run" in output
        assert not Jurisdiction.objects.filter(code="amman-liwa").exists()
        assert District.objects.count() == 0

    def test_duplicate_names_are_refused(self, tmp_path):
        path = write_geojson(tmp_path / "dup.geojson", [feature("Same", SQUARE_A), feature("Same", SQUARE_B)])
        with pytest.raises(CommandError, match="share the code"):
            run_import(path, "--jurisdiction", "riyadh", "--name-field", "name")
        assert District.objects.count() == 0

    def test_code_field_is_used_when_given(self, tmp_path):
        path = write_geojson(
            tmp_path / "codes.geojson",
            [feature("Olaya", SQUARE_A, ref="R-01"), feature("Malaz", SQUARE_B, ref="R-02")],
        )
        run_import(path, "--jurisdiction", "riyadh", "--name-field", "name", "--code-field", "ref")
        assert sorted(District.objects.values_list("code", flat=True)) == ["r-01", "r-02"]

    def test_arabic_only_names_get_a_stable_code(self, tmp_path):
        path = write_geojson(tmp_path / "ar.geojson", [feature("العليا", SQUARE_A)])
        run_import(path, "--jurisdiction", "riyadh", "--name-field", "name")
        run_import(path, "--jurisdiction", "riyadh", "--name-field", "name")
        assert list(District.objects.values_list("code", flat=True)) == ["العليا"]


@pytest.mark.django_db
class TestClearErrors:
    def test_missing_file(self, tmp_path):
        with pytest.raises(CommandError, match="File not found"):
            run_import(tmp_path / "nope.geojson", "--jurisdiction", "x", "--name-field", "name")

    def test_unknown_field_lists_the_fields(self):
        with pytest.raises(CommandError, match=r"'nom' is not a field .* Its fields are: .*name_en"):
            run_import(LIWA_FILE, "--jurisdiction", "x", "--name-field", "nom")
        with pytest.raises(CommandError, match="--population-field 'people' is not a field"):
            run_import(
                LIWA_FILE, "--jurisdiction", "x", "--name-field", "name_en", "--population-field", "people"
            )

    def test_file_with_no_polygons(self, tmp_path):
        path = write_geojson(tmp_path / "points.geojson", [feature("Spot", [46.6, 24.6], "Point")])
        with pytest.raises(CommandError, match="holds no polygons"):
            run_import(path, "--jurisdiction", "x", "--name-field", "name")

    def test_not_a_geodata_file(self, tmp_path):
        path = tmp_path / "notes.geojson"
        path.write_text("this is not json")
        with pytest.raises(CommandError, match=r"Cannot read notes\.geojson"):
            run_import(path, "--jurisdiction", "x", "--name-field", "name")

    def test_bad_population_value(self, tmp_path):
        path = write_geojson(tmp_path / "pop.geojson", [feature("A", SQUARE_A, people="many")])
        with pytest.raises(CommandError, match=r"population 'many' is not a number"):
            run_import(path, "--jurisdiction", "x", "--name-field", "name", "--population-field", "people")

    def test_unknown_time_zone_for_a_new_jurisdiction(self, tmp_path):
        path = write_geojson(tmp_path / "a.geojson", [feature("A", SQUARE_A)])
        with pytest.raises(CommandError, match="Mars/Olympus"):
            run_import(path, "--jurisdiction", "x", "--name-field", "name", "--time-zone", "Mars/Olympus")
        assert not Jurisdiction.objects.exists()


@pytest.mark.django_db
def test_messages_are_arabic_by_default(tmp_path):
    with pytest.raises(CommandError, match="الملف غير موجود"):
        call_command(
            "import_boundaries", str(tmp_path / "nope.geojson"), "--jurisdiction", "x", "--name-field", "n"
        )


@pytest.mark.django_db
def test_parts_follow_districts_on_update(tmp_path):
    path = write_geojson(tmp_path / "a.geojson", [feature("A", SQUARE_A)])
    run_import(path, "--jurisdiction", "riyadh", "--name-field", "name")
    moved = write_geojson(tmp_path / "b.geojson", [feature("A", SQUARE_B)])
    run_import(moved, "--jurisdiction", "riyadh", "--name-field", "name")
    with connection.cursor() as cursor:
        cursor.execute("SELECT ST_AsText(ST_Envelope(ST_Union(geom))) FROM core_districtpart")
        (envelope,) = cursor.fetchone()
    assert envelope.startswith("POLYGON((46.7 24.6")
