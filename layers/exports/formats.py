"""Export files of a layer: GeoPackage, zipped Shapefile, CSV with WKT (pyogrio) and GeoJSON (PostGIS).

Rows are read by one SQL statement (attributes, and the geometry as WKB) through a server-side
cursor a batch at a time; each batch becomes a GeoDataFrame appended to the file by pyogrio, so
memory stays bounded by a batch, not by the layer. GeoJSON is written from the streamed
FeatureCollection (streaming.py) instead: PostGIS already writes it.

Every format carries the feature id (column `id`) and the layer's public attributes under their
public names, in UTF-8, geometries in EPSG:4326:
- GeoPackage: one table named after the layer.
- Shapefile: a zip of .shp .shx .dbf .prj .cpg (UTF-8) and README.txt; attribute names longer than
  the format's 10 characters are shortened (see `shapefile_field_names`), README.txt lists them.
- CSV: comma-separated, UTF-8 *with* a byte-order mark (so spreadsheet programs read Arabic
  correctly), geometry as WKT in the first column `WKT`.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import IO, Any, Literal, get_args

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from geo_services.core.errors import InvalidInput
from geo_services.core.models import STORAGE_SRID
from layers.exports.streaming import stream_feature_collection
from layers.provider import _q
from layers.registry import Layer
from layers.selection import Selection, where_sql

ExportFormat = Literal["gpkg", "shp", "geojson", "csv"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = get_args(ExportFormat)


@dataclass(frozen=True)
class FormatSpec:
    extension: str  # of the file handed out (a Shapefile travels as a zip)
    media_type: str


FORMAT_SPECS: Mapping[ExportFormat, FormatSpec] = {
    "gpkg": FormatSpec("gpkg", "application/geopackage+sqlite3"),
    "shp": FormatSpec("zip", "application/zip"),
    "geojson": FormatSpec("geojson", "application/geo+json"),
    "csv": FormatSpec("csv", "text/csv; charset=utf-8"),
}
# File name endings the export command recognises when no format is given.
FORMAT_BY_SUFFIX: Mapping[str, ExportFormat] = {
    ".gpkg": "gpkg",
    ".zip": "shp",
    ".shp": "shp",
    ".geojson": "geojson",
    ".json": "geojson",
    ".csv": "csv",
}
# Rows per GeoDataFrame appended to a file: bounded memory, few appends.
FILE_BATCH_ROWS = 10_000
ID_FIELD = "id"
SHAPEFILE_NAME_LENGTH = 10
_PANDAS_DTYPES = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}
_SQL_TYPES = {"string": "text", "integer": "bigint", "number": "double precision", "boolean": "boolean"}
_PYOGRIO_GEOMETRY_TYPES = {"Geometry": "Unknown"}


def parse_export_format(raw: str | None) -> ExportFormat:
    if raw in EXPORT_FORMATS:
        return raw  # type: ignore[return-value]
    choices = ", ".join(EXPORT_FORMATS)
    if raw is None or raw == "":
        message = _("Give the export format: format=%(choices)s.") % {"choices": choices}
    else:
        message = _("Unknown export format %(value)r: format must be one of %(choices)s.") % {
            "value": raw[:30],
            "choices": choices,
        }
    raise InvalidInput(message, code="unknown_format")


def format_from_path(path: Path) -> ExportFormat:
    """The format a file name asks for by its ending (.gpkg, .zip/.shp, .geojson/.json, .csv)."""
    try:
        return FORMAT_BY_SUFFIX[path.suffix.lower()]
    except KeyError:
        raise InvalidInput(
            _("Cannot tell the format from %(name)s: end the name in %(suffixes)s or give --format.")
            % {"name": path.name, "suffixes": ", ".join(FORMAT_BY_SUFFIX)},
            code="unknown_format",
        ) from None


def export_filename(layer: Layer, export_format: ExportFormat, day: date) -> str:
    return f"{layer.id}-{day:%Y%m%d}.{FORMAT_SPECS[export_format].extension}"


def check_export_size(layer: Layer, where_sql: str, params: Mapping[str, Any]) -> int:
    """The number of rows to export; InvalidInput when above AMANAH_EXPORT_MAX_FEATURES.

    Counts at most one row past the cap, so asking for an export of a huge table costs a bounded scan.
    """
    cap = settings.AMANAH_EXPORT_MAX_FEATURES
    sql = f"""
        SELECT count(*) FROM (SELECT 1 FROM {_q(layer.table)} WHERE {where_sql} LIMIT %(export_cap)s) capped
    """  # noqa: S608 - registered identifiers, quoted; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, {**params, "export_cap": cap + 1})
        (count,) = cursor.fetchone()
    if count > cap:
        raise InvalidInput(
            _(
                "The export would hold more than %(cap)s features of %(layer)s, the most one export may hold. "
                "Narrow the selection (for example with bbox or district) and export in parts."
            )
            % {"cap": f"{cap:,}", "layer": layer.id},
            code="too_many_features",
        )
    return int(count)


def selected_rows(layer: Layer, selection: Selection) -> tuple[str, dict[str, Any]]:
    """The SQL condition and parameters of an export of the selection, its size checked."""
    params: dict[str, Any] = {}
    condition = where_sql(layer, selection, params)
    check_export_size(layer, condition, params)
    return condition, params


def _id_field(layer: Layer) -> str:
    # An attribute may itself be called `id`; the feature id then gets a name of its own.
    return "feature_id" if ID_FIELD in layer.attribute_by_name else ID_FIELD


def export_field_names(layer: Layer) -> list[str]:
    """The attribute columns of a GeoPackage or CSV export, in order (before the geometry)."""
    return [_id_field(layer), *(attribute.name for attribute in layer.attributes)]


def shapefile_field_names(names: list[str]) -> dict[str, str]:
    """Each export field name -> its Shapefile name: at most 10 characters, unique.

    A name that fits is kept; a longer one is cut to 10 characters, and when that collides with
    another, its end is replaced by _1, _2… (`inspection_date`, `inspection_score` -> `inspection`,
    `inspecti_1`).
    """
    shortened: dict[str, str] = {}
    taken = {name for name in names if len(name) <= SHAPEFILE_NAME_LENGTH}
    for name in names:
        if len(name) <= SHAPEFILE_NAME_LENGTH:
            shortened[name] = name
            continue
        candidate = name[:SHAPEFILE_NAME_LENGTH]
        number = 0
        while candidate in taken:
            number += 1
            suffix = f"_{number}"
            candidate = name[: SHAPEFILE_NAME_LENGTH - len(suffix)] + suffix
        taken.add(candidate)
        shortened[name] = candidate
    return shortened


def _select_sql(layer: Layer, where_sql: str) -> str:
    # Cast each attribute to its declared type, so every batch (and every format) has the same schema
    # whatever the column behind it (an enum, a varchar, a smallint…).
    attributes = "".join(
        f", {_q(attribute.column)}::{_SQL_TYPES[attribute.type]}" for attribute in layer.attributes
    )
    return f"""
        SELECT {_q(layer.id_column)}{attributes}, ST_AsBinary({_q(layer.geometry_column)})
        FROM {_q(layer.table)} WHERE {where_sql} ORDER BY {_q(layer.id_column)}
    """  # noqa: S608 - registered identifiers, quoted; values are parameters


def _batches(layer: Layer, where_sql: str, params: Mapping[str, Any]) -> Iterator[Any]:
    """GeoDataFrames of at most FILE_BATCH_ROWS rows; always at least one (maybe empty) frame."""
    import geopandas  # imported here: only exports and imports need GDAL's Python bindings
    import pandas
    import shapely

    names = export_field_names(layer)
    types: list[str] = ["integer" if layer.id_type == "integer" else "string"]
    types += [attribute.type for attribute in layer.attributes]

    def frame(rows: list[tuple[Any, ...]]) -> Any:
        columns = list(zip(*rows, strict=True)) if rows else [()] * (len(names) + 1)
        data = {
            name: pandas.array(list(values), dtype=_PANDAS_DTYPES[kind])
            for name, kind, values in zip(names, types, columns, strict=False)
        }
        geometry = shapely.from_wkb([bytes(wkb) if wkb is not None else None for wkb in columns[-1]])
        return geopandas.GeoDataFrame(data, geometry=geometry, crs=f"EPSG:{STORAGE_SRID}")

    sent = False
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(_select_sql(layer, where_sql), dict(params))
        while rows := cursor.fetchmany(FILE_BATCH_ROWS):
            sent = True
            yield frame(rows)
    if not sent:
        yield frame([])


def _write_with_pyogrio(
    layer: Layer,
    where_sql: str,
    params: Mapping[str, Any],
    path: Path,
    *,
    driver: str,
    layer_name: str | None,
    rename: Mapping[str, str] | None = None,
    layer_options: Mapping[str, str] | None = None,
) -> None:
    import pyogrio

    geometry_type = _PYOGRIO_GEOMETRY_TYPES.get(layer.geometry_type, layer.geometry_type)
    for index, batch in enumerate(_batches(layer, where_sql, params)):
        pyogrio.write_dataframe(
            batch.rename(columns=dict(rename)) if rename else batch,
            path,
            layer=layer_name,
            driver=driver,
            append=index > 0,
            geometry_type=geometry_type,
            encoding="UTF-8",
            layer_options=dict(layer_options or {}),
        )


def _shapefile_readme(layer: Layer, names: Mapping[str, str]) -> str:
    lines = [
        _("%(layer)s: %(title)s") % {"layer": layer.id, "title": layer.title},
        _("Coordinates: EPSG:4326 (longitude, latitude). Text encoding: UTF-8 (see the .cpg file)."),
        _("Shapefile field names have at most 10 characters. Field in this file = attribute of the layer:"),
        *(f"{short} = {name}" for name, short in names.items()),
    ]
    return "\n".join(lines) + "\n"


def write_export(
    layer: Layer, where_sql: str, params: Mapping[str, Any], export_format: ExportFormat, path: Path
) -> Path:
    """Write the rows matching `where_sql` to `path` in the given format.

    `where_sql` is a complete condition, the layer's public condition included (as
    `layers.selection.where_sql` writes it), over the table named without an alias.

    The caller has checked the size (check_export_size). `path` names the file handed out; for a
    Shapefile that is the zip.
    """
    # A file left from an earlier export is replaced, never appended to.
    path.unlink(missing_ok=True)
    if export_format == "geojson":
        with path.open("wb") as output:
            for piece in stream_feature_collection(layer, where_sql, params):
                output.write(piece)
    elif export_format == "gpkg":
        _write_with_pyogrio(layer, where_sql, params, path, driver="GPKG", layer_name=layer.id)
    elif export_format == "csv":
        # The CSV driver appends only to a layer named like the file.
        _write_with_pyogrio(
            layer,
            where_sql,
            params,
            path,
            driver="CSV",
            layer_name=path.stem,
            layer_options={"GEOMETRY": "AS_WKT", "WRITE_BOM": "YES"},
        )
    else:
        names = shapefile_field_names(export_field_names(layer))
        with TemporaryDirectory(prefix="amanah-shp-") as folder:
            shapefile = Path(folder) / f"{layer.id}.shp"
            _write_with_pyogrio(
                layer, where_sql, params, shapefile, driver="ESRI Shapefile", layer_name=None, rename=names
            )
            with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for part in sorted(Path(folder).iterdir()):
                    archive.write(part, arcname=part.name)
                archive.writestr("README.txt", _shapefile_readme(layer, names))
    return path


def open_export(
    layer: Layer, where_sql: str, params: Mapping[str, Any], export_format: ExportFormat, filename: str
) -> IO[bytes]:
    """The export written to a temporary file and opened for reading; the file is gone once closed.

    The folder is removed before returning: the open handle keeps the data readable (POSIX), so
    nothing is left behind however the response ends.
    """
    with TemporaryDirectory(prefix="amanah-export-") as folder:
        path = write_export(layer, where_sql, params, export_format, Path(folder) / filename)
        return path.open("rb")
