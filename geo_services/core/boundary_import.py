"""Reading district boundaries from GeoJSON, GeoPackage or zipped Shapefile (geopandas/pyogrio).

Reading is separate from writing: `read_boundaries` turns a file into checked, repaired,
EPSG:4326 records or raises ImportProblem naming what is wrong; `services.import_boundaries`
writes them in one transaction. The management command and the admin share both.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from django.utils.text import slugify
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo_services.core.archives import check_zip_archive
from geo_services.core.errors import ImportProblem
from geo_services.core.models import STORAGE_SRID

READABLE_SUFFIXES = frozenset({".geojson", ".json", ".gpkg", ".zip", ".shp"})
# Spreadsheet-made files: a CSV with the geometry as WKT text in a column of one of these names.
CSV_GEOMETRY_COLUMNS = ("WKT", "wkt", "geometry", "geom", "the_geom")


@dataclass(frozen=True)
class BoundaryRecord:
    code: str
    name_en: str
    name_ar: str
    population: int | None
    geometry: MultiPolygon  # EPSG:4326, valid, 2D
    repair_note: str | None = None  # why the geometry had to be repaired, if it did


@dataclass
class BoundaryFile:
    records: list[BoundaryRecord]
    source_crs: str
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GeoFile:
    """The features of a file, reprojected to EPSG:4326, and the CRS the file was in."""

    frame: Any  # a GeoDataFrame: column "geometry" plus the file's fields as read
    source_crs: str


def _csv_open_options() -> dict[str, str]:
    # GDAL reads a CSV's geometry from a WKT column of one of these names, and drops that column.
    return {"GEOM_POSSIBLE_NAMES": ",".join(CSV_GEOMETRY_COLUMNS), "KEEP_GEOM_COLUMNS": "NO"}


def read_geo_file(
    path: Path,
    *,
    layer: str | None = None,
    source_epsg: int | None = None,
    suffixes: frozenset[str] = READABLE_SUFFIXES,
    epsg_option: str | None = None,
) -> GeoFile:
    """Read a spatial file (GeoJSON, GeoPackage, zipped Shapefile; CSV with WKT if allowed) and
    reproject it to EPSG:4326; ImportProblem, naming what is wrong, when it cannot be.

    `source_epsg` states the file's CRS when the file does not (or overrides what it says); it is
    an EPSG number, so no free-form spatial reference text from a person ever reaches GDAL/PROJ.
    `epsg_option` names the command option that sets it, for the message about a missing CRS.
    Both importers (district boundaries, any layer) read through here.
    """
    import pyogrio  # imported here: only importers need GDAL's Python bindings
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    if not path.exists():
        raise ImportProblem(_("File not found: %(path)s") % {"path": path}, code="file_not_found")
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise ImportProblem(
            (
                _(
                    "Cannot read %(name)s: use GeoJSON (.geojson/.json), GeoPackage (.gpkg), a zipped Shapefile (.zip) or CSV with a WKT column (.csv)."
                )
                if ".csv" in suffixes
                else _(
                    "Cannot read %(name)s: use GeoJSON (.geojson/.json), GeoPackage (.gpkg) or a zipped Shapefile (.zip)."
                )
            )
            % {"name": path.name},
            code="unsupported_format",
        )
    if suffix == ".zip":
        check_zip_archive(path)
    stated_crs = None
    if source_epsg is not None:
        try:
            stated_crs = CRS.from_epsg(source_epsg)
        except CRSError:
            raise ImportProblem(
                _("EPSG:%(code)s is not a coordinate reference system known here.") % {"code": source_epsg},
                code="unknown_crs",
            ) from None
    open_options = _csv_open_options() if suffix == ".csv" else {}
    try:
        frame = pyogrio.read_dataframe(path, layer=layer, **open_options)
    except Exception as exc:  # pyogrio raises several DataSource/DataLayer errors with GDAL's text
        raise ImportProblem(
            _("Cannot read %(name)s: %(reason)s")
            % {"name": path.name, "reason": str(exc).splitlines()[0][:300]},
            code="unreadable_file",
        ) from None
    if "geometry" not in frame.columns:
        raise ImportProblem(
            _("%(name)s has no geometry; a CSV needs a column named %(names)s holding WKT.")
            % {"name": path.name, "names": " / ".join(CSV_GEOMETRY_COLUMNS)},
            code="no_geometry",
        )
    if len(frame) == 0:
        raise ImportProblem(_("%(name)s holds no features.") % {"name": path.name}, code="no_features")
    if stated_crs is not None:
        frame = frame.set_crs(stated_crs, allow_override=True)
    elif frame.crs is None:
        if epsg_option:
            message = _(
                "%(name)s does not say which coordinate reference system it uses: give its EPSG code "
                "with %(option)s (for example %(option)s 4326 for longitude/latitude), or add a .prj."
            ) % {"name": path.name, "option": epsg_option}
        else:
            message = _(
                "%(name)s does not say which coordinate reference system it uses; add a .prj or use GeoJSON."
            ) % {"name": path.name}
        raise ImportProblem(message, code="unknown_crs")
    source_crs = frame.crs.to_string()
    if frame.crs.to_epsg() != STORAGE_SRID:
        frame = frame.to_crs(epsg=STORAGE_SRID)
    return GeoFile(frame=frame, source_crs=source_crs)


def code_from_name(name: str) -> str:
    """A stable code derived from a name: the same name gives the same code on every import."""
    return slugify(name) or slugify(name, allow_unicode=True)


def _polygonal_part(geometry: BaseGeometry) -> MultiPolygon | None:
    polygons: list[Polygon] = []
    for part in shapely.get_parts(geometry):
        if isinstance(part, Polygon) and not part.is_empty:
            polygons.append(part)
        elif isinstance(part, MultiPolygon):
            polygons.extend(p for p in part.geoms if not p.is_empty)
        elif part.geom_type == "GeometryCollection":
            nested = _polygonal_part(part)
            if nested is not None:
                polygons.extend(nested.geoms)
    if not polygons:
        return None
    return MultiPolygon(polygons)


def _repaired(geometry: BaseGeometry) -> tuple[MultiPolygon | None, str | None]:
    """The geometry as a valid MultiPolygon, and the reason it needed repair (None if it did not)."""
    geometry = shapely.force_2d(geometry)
    note = None
    if not geometry.is_valid:
        note = shapely.is_valid_reason(geometry)
        geometry = shapely.make_valid(geometry)
    polygonal = _polygonal_part(geometry)
    if polygonal is not None and not polygonal.is_valid:
        # Parts that touch along an edge form an invalid MultiPolygon; their union is valid.
        merged = _polygonal_part(shapely.union_all(list(polygonal.geoms)))
        note = note or shapely.is_valid_reason(polygonal)
        polygonal = merged
    return polygonal, note


def _population(raw: object, *, row: int) -> int | None:
    if raw is None or (isinstance(raw, float) and math.isnan(raw)) or raw == "":
        return None
    try:
        value = float(str(raw).replace(",", ""))
    except ValueError:
        raise ImportProblem(
            _("Feature %(row)d: population %(value)r is not a number.") % {"row": row, "value": raw}
        ) from None
    if not math.isfinite(value) or value < 0 or value != int(value):
        raise ImportProblem(
            _("Feature %(row)d: population %(value)r is not a whole number of people.")
            % {"row": row, "value": raw}
        )
    return int(value)


def read_boundaries(
    path: Path,
    *,
    name_field: str,
    name_ar_field: str | None = None,
    code_field: str | None = None,
    population_field: str | None = None,
    layer: str | None = None,
) -> BoundaryFile:
    """Read, reproject to EPSG:4326, check and repair the boundaries in a file."""
    geo_file = read_geo_file(path, layer=layer)
    frame = geo_file.frame
    columns = [str(c) for c in frame.columns if c != "geometry"]
    for option, wanted in (
        ("--name-field", name_field),
        ("--name-ar-field", name_ar_field),
        ("--code-field", code_field),
        ("--population-field", population_field),
    ):
        if wanted is not None and wanted not in frame.columns:
            raise ImportProblem(
                _("%(option)s %(field)r is not a field of %(name)s. Its fields are: %(fields)s.")
                % {"option": option, "field": wanted, "name": path.name, "fields": ", ".join(columns) or "-"},
                code="unknown_field",
            )
    source_crs = geo_file.source_crs

    geom_types = set(frame.geometry.dropna().geom_type)
    if not geom_types & {"Polygon", "MultiPolygon", "GeometryCollection"}:
        raise ImportProblem(
            _("%(name)s holds no polygons (found: %(types)s); district boundaries must be areas.")
            % {"name": path.name, "types": ", ".join(sorted(geom_types)) or _("no geometries")},
            code="no_polygons",
        )

    records: list[BoundaryRecord] = []
    problems: list[str] = []
    for row, feature in enumerate(frame.itertuples(index=False), start=1):
        values = feature._asdict()
        name = str(values.get(name_field) or "").strip()
        label = name or f"#{row}"
        if not name:
            problems.append(_("Feature %(row)d has an empty %(field)s.") % {"row": row, "field": name_field})
            continue
        geometry = values.get("geometry")
        if geometry is None or geometry.is_empty:
            problems.append(_("Feature %(label)s has no geometry.") % {"label": label})
            continue
        polygonal, note = _repaired(geometry)
        if polygonal is None:
            problems.append(
                _("Feature %(label)s is a %(type)s, not a polygon.")
                % {"label": label, "type": geometry.geom_type}
            )
            continue
        raw_code = str(values.get(code_field) or "").strip() if code_field else ""
        code = code_from_name(raw_code) if raw_code else code_from_name(name)
        if not code:
            problems.append(_("Feature %(label)s: cannot derive a code from its name.") % {"label": label})
            continue
        name_ar = str(values.get(name_ar_field) or "").strip() if name_ar_field else ""
        records.append(
            BoundaryRecord(
                code=code,
                name_en=name,
                name_ar=name_ar or name,
                population=_population(values.get(population_field), row=row) if population_field else None,
                geometry=polygonal,
                repair_note=note,
            )
        )

    duplicates = sorted(code for code, count in Counter(r.code for r in records).items() if count > 1)
    if duplicates:
        problems.append(
            _("Several features share the code(s) %(codes)s; give each district its own code or name.")
            % {"codes": ", ".join(duplicates)}
        )
    if problems:
        raise ImportProblem(" ".join(problems), code="invalid_features", details=problems)
    return BoundaryFile(records=records, source_crs=source_crs)
