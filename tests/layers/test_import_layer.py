"""import_layer: round trip with the export, reprojection, field mapping, row report, all-or-nothing."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import geopandas
import pytest
import shapely
from django.core.management import CommandError, call_command
from django.utils import translation

from geo_services.core.models import District, Jurisdiction
from geo_services.venues.models import Venue
from tests.layers.conftest import district_layer

# A "bow tie": its ring crosses itself.
BOW_TIE = [[[35.90, 31.90], [35.95, 31.95], [35.95, 31.90], [35.90, 31.95], [35.90, 31.90]]]
SQUARE = [[[35.90, 31.90], [35.95, 31.90], [35.95, 31.95], [35.90, 31.95], [35.90, 31.90]]]
VENUE_FIELDS = ("code", "kind", "name_ar", "name_en", "capacity")


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command(command, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def amman_copy(amman) -> Jurisdiction:
    """A second jurisdiction with the same districts as Amman, to import Amman's venues into."""
    copy = Jurisdiction.objects.create(
        code="amman-copy", name_ar="نسخة عمّان", name_en="Amman copy", time_zone="Asia/Amman"
    )
    District.objects.bulk_create(
        District(jurisdiction=copy, code=d.code, name_ar=d.name_ar, name_en=d.name_en, geom=d.geom)
        for d in District.objects.filter(jurisdiction=amman)
    )
    return copy


def venue_table(jurisdiction: Jurisdiction) -> dict[str, tuple]:
    return {
        v["code"]: (*(v[f] for f in VENUE_FIELDS), v["district__code"])
        for v in Venue.objects.filter(jurisdiction=jurisdiction, active=True).values(
            *VENUE_FIELDS, "district__code"
        )
    }


def locations(jurisdiction: Jurisdiction) -> dict[str, shapely.Point]:
    return {
        v.code: shapely.Point(v.location.x, v.location.y)
        for v in Venue.objects.filter(jurisdiction=jurisdiction)
    }


def write_geojson(path: Path, features: list[dict]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False))
    return path


def district_feature(code: str, coordinates: list) -> dict:
    return {
        "type": "Feature",
        "properties": {"code": code, "name_ar": f"منطقة {code}", "name_en": f"District {code}"},
        "geometry": {"type": "Polygon", "coordinates": coordinates},
    }


@pytest.mark.django_db
class TestRoundTrip:
    @pytest.mark.parametrize("suffix", [".gpkg", ".zip"])
    def test_exported_venues_import_into_another_jurisdiction(self, amman, amman_copy, tmp_path, suffix):
        path = tmp_path / f"venues{suffix}"
        run("export_layer", "venues", str(path))
        output = run("import_layer", "venues", str(path), "--set", "jurisdiction=amman-copy")
        original = venue_table(amman)
        assert f"venues: {len(original)} created, 0 rejected" in output
        if suffix == ".gpkg":
            # The file names Amman; the person's --set wins over a field matched only by its name.
            assert "Replaced by --set: jurisdiction" in output
        # Same attributes, Arabic included, and the same district found from the location.
        assert venue_table(amman_copy) == original
        copied = locations(amman_copy)
        for code, point in locations(amman).items():
            if code in original:
                assert copied[code].distance(point) < 1e-9

    def test_importing_the_same_file_again_reports_each_duplicate_and_writes_nothing(
        self, amman, amman_copy, tmp_path
    ):
        path = tmp_path / "venues.gpkg"
        run("export_layer", "venues", str(path))
        run("import_layer", "venues", str(path), "--set", "jurisdiction=amman-copy")
        before = Venue.objects.count()
        report = tmp_path / "report.csv"
        with pytest.raises(CommandError, match=r"rows rejected; nothing was written"):
            run(
                "import_layer",
                "venues",
                str(path),
                "--set",
                "jurisdiction=amman-copy",
                "--report",
                str(report),
            )
        assert Venue.objects.count() == before
        rows = list(csv.DictReader(report.open(encoding="utf-8-sig")))
        assert len(rows) == len(venue_table(amman))
        assert all("already exists" in row["message"] for row in rows)

    def test_dry_run_checks_and_writes_nothing(self, amman, amman_copy, tmp_path):
        path = tmp_path / "venues.gpkg"
        run("export_layer", "venues", str(path))
        output = run("import_layer", "venues", str(path), "--set", "jurisdiction=amman-copy", "--dry-run")
        assert "dry run: nothing was written" in output
        assert not Venue.objects.filter(jurisdiction=amman_copy).exists()


@pytest.mark.django_db
class TestSourcesAndMapping:
    def test_a_web_mercator_file_is_reprojected(self, amman, amman_copy, tmp_path):
        frame = geopandas.read_file(self._export(tmp_path)).to_crs(3857)
        path = tmp_path / "mercator.gpkg"
        frame.head(3).to_file(path, engine="pyogrio")
        output = run("import_layer", "venues", str(path), "--set", "jurisdiction=amman-copy")
        assert "EPSG:3857 -> EPSG:4326" in output
        copied = locations(amman_copy)
        assert len(copied) == 3
        for code, point in locations(amman).items():
            if code in copied:
                assert copied[code].distance(point) < 1e-7

    def test_fields_are_mapped_and_a_csv_needs_its_epsg(self, amman, amman_copy, tmp_path):
        source = Venue.objects.filter(jurisdiction=amman, active=True).order_by("code")[:2]
        path = tmp_path / "from-a-spreadsheet.csv"
        with path.open("w", newline="", encoding="utf-8") as output:
            writer = csv.writer(output)
            writer.writerow(["WKT", "ref", "type", "arabic", "english", "notes"])
            for venue in source:
                writer.writerow(
                    [venue.location.wkt, venue.code, venue.kind, venue.name_ar, venue.name_en, "x"]
                )
        mapping = [
            "--map",
            "ref=code",
            "--map",
            "type=kind",
            "--map",
            "arabic=name_ar",
            "--map",
            "english=name_en",
        ]
        args = ["venues", str(path), "--set", "jurisdiction=amman-copy", *mapping]
        with pytest.raises(
            CommandError, match=r"does not say which coordinate reference system.*--source-epsg"
        ):
            run("import_layer", *args)
        output = run("import_layer", *args, "--source-epsg", "4326")
        assert "Not imported (no field of that name in venues; use --map): notes" in output
        imported = venue_table(amman_copy)
        assert {code: row[:4] for code, row in imported.items()} == {
            v.code: (v.code, v.kind, v.name_ar, v.name_en) for v in source
        }

    def test_unknown_map_set_and_epsg_are_refused(self, amman, tmp_path):
        path = self._export(tmp_path)
        with pytest.raises(CommandError, match=r"--map colour: the file has no field 'colour'"):
            run("import_layer", "venues", str(path), "--map", "colour=kind")
        with pytest.raises(CommandError, match=r"venues has no field 'colour'"):
            run("import_layer", "venues", str(path), "--map", "kind=colour")
        with pytest.raises(CommandError, match=r"--set colour: venues has no field 'colour'"):
            run("import_layer", "venues", str(path), "--set", "colour=red")
        with pytest.raises(
            CommandError, match=r"--set jurisdiction: There is no jurisdiction with code 'atlantis'"
        ):
            run("import_layer", "venues", str(path), "--set", "jurisdiction=atlantis")
        frame = geopandas.read_file(path)
        without_jurisdiction = tmp_path / "no-jurisdiction.gpkg"
        frame.drop(columns=["jurisdiction"]).to_file(without_jurisdiction, engine="pyogrio")
        with pytest.raises(CommandError, match=r"--set jurisdiction=CODE \(codes: amman\)"):
            run("import_layer", "venues", str(without_jurisdiction))
        with pytest.raises(
            CommandError, match=r"EPSG:999999 is not a coordinate reference system known here"
        ):
            run("import_layer", "venues", str(path), "--source-epsg", "999999")

    def test_a_shapefile_without_its_projection_needs_an_epsg(self, amman, tmp_path):
        exported = tmp_path / "venues.zip"
        run("export_layer", "venues", str(exported))
        stripped = tmp_path / "no-prj.zip"
        with zipfile.ZipFile(exported) as source, zipfile.ZipFile(stripped, "w") as target:
            for name in source.namelist():
                if not name.endswith(".prj"):
                    target.writestr(name, source.read(name))
        with pytest.raises(CommandError, match=r"no-prj\.zip does not say which coordinate reference system"):
            run("import_layer", "venues", str(stripped), "--set", "jurisdiction=amman")

    @staticmethod
    def _export(folder: Path) -> Path:
        path = folder / "venues.gpkg"
        run("export_layer", "venues", str(path))
        return path


@pytest.mark.django_db
class TestRowChecks:
    def test_one_self_intersecting_district_and_nothing_is_written(self, amman, tmp_path):
        riyadh = Jurisdiction.objects.create(
            code="test-city", name_ar="مدينة", name_en="Test city", time_zone="Asia/Riyadh"
        )
        path = write_geojson(
            tmp_path / "districts.geojson",
            [
                district_feature("north", SQUARE),
                district_feature("bow-tie", BOW_TIE),
                district_feature("south", SQUARE),
            ],
        )
        report = tmp_path / "report.csv"
        with pytest.raises(CommandError, match=r"districts: 1 of 3 rows rejected; nothing was written"):
            run(
                "import_layer",
                "districts",
                str(path),
                "--set",
                "jurisdiction=test-city",
                "--report",
                str(report),
            )
        assert not District.objects.filter(jurisdiction=riyadh).exists()
        rows = list(csv.DictReader(report.open(encoding="utf-8-sig")))
        assert [(r["row"], r["field"]) for r in rows] == [("2", "geometry")]
        assert "Self-intersection" in rows[0]["message"]

    def test_valid_districts_are_created_polygons_as_multipolygons(self, amman, tmp_path):
        Jurisdiction.objects.create(
            code="test-city", name_ar="مدينة", name_en="Test city", time_zone="Asia/Riyadh"
        )
        path = write_geojson(tmp_path / "districts.geojson", [district_feature("north", SQUARE)])
        output = run("import_layer", "districts", str(path), "--set", "jurisdiction=test-city")
        assert "districts: 1 created, 0 rejected" in output
        district = District.objects.get(jurisdiction__code="test-city")
        assert (district.code, district.name_ar, district.geom.geom_type) == (
            "north",
            "منطقة north",
            "MultiPolygon",
        )

    def test_missing_values_duplicates_and_outside_are_reported_per_row(self, amman, tmp_path):
        point = {"type": "Point", "coordinates": [35.93, 31.95]}
        features = [
            {
                "type": "Feature",
                "properties": {"code": "a", "kind": "park", "name_ar": "أ", "name_en": "A"},
                "geometry": point,
            },
            {
                "type": "Feature",
                "properties": {"code": "b", "kind": "park", "name_ar": "ب"},
                "geometry": point,
            },
            {
                "type": "Feature",
                "properties": {"code": "a", "kind": "park", "name_ar": "أ", "name_en": "A"},
                "geometry": point,
            },
            {
                "type": "Feature",
                "properties": {"code": "riyadh", "kind": "park", "name_ar": "ر", "name_en": "R"},
                "geometry": {"type": "Point", "coordinates": [46.7, 24.7]},
            },
            {
                "type": "Feature",
                "properties": {"code": "road", "kind": "park", "name_ar": "ط", "name_en": "Road"},
                "geometry": {"type": "LineString", "coordinates": [[35.9, 31.9], [35.95, 31.95]]},
            },
        ]
        path = write_geojson(tmp_path / "venues.geojson", features)
        before = Venue.objects.count()
        out = io.StringIO()
        with translation.override("en"), pytest.raises(CommandError, match=r"4 of 5 rows rejected"):
            call_command(
                "import_layer",
                "venues",
                str(path),
                "--set",
                "jurisdiction=amman",
                stdout=out,
                stderr=io.StringIO(),
            )
        assert Venue.objects.count() == before
        printed = out.getvalue()
        assert "Row 2, name_en: This field cannot be" in printed
        assert "Row 3, jurisdiction, code: Row 1 has the same jurisdiction, code" in printed
        assert f"Row 4, geometry: The feature lies outside the districts of {amman.name_en}." in printed
        assert "Row 5, geometry: The geometry is a LineString; this layer holds Point features." in printed
        assert "Row 1," not in printed
        assert ", district:" not in printed  # derived from the location, never asked of the file


@pytest.mark.django_db
class TestLayerRefusals:
    def test_unknown_layer(self, db, tmp_path):
        with pytest.raises(CommandError, match=r"There is no layer 'parks'. Layers: .*venues"):
            run("import_layer", "parks", str(tmp_path / "x.geojson"))

    def test_read_only_layer(self, db, tmp_path):
        with district_layer("district-codes"):
            path = write_geojson(tmp_path / "d.geojson", [district_feature("north", SQUARE)])
            with pytest.raises(CommandError, match=r"The layer district-codes is read-only"):
                run("import_layer", "district-codes", str(path))

    def test_unreadable_and_missing_files(self, db, tmp_path):
        with pytest.raises(CommandError, match=r"File not found"):
            run("import_layer", "venues", str(tmp_path / "nothing.gpkg"))
        notes = tmp_path / "notes.txt"
        notes.write_text("not a map")
        with pytest.raises(
            CommandError, match=r"Cannot read notes\.txt: use GeoJSON .* CSV with a WKT column"
        ):
            run("import_layer", "venues", str(notes))
