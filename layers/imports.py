"""Import a file of features into a registered layer, all or nothing, with a report per row.

What is read: GeoJSON, GeoPackage (one layer of it), a zipped Shapefile or a CSV with a WKT column,
reprojected to EPSG:4326 from the file's CRS (or from an EPSG code the person gives), through the
same reader as the district boundary import.

Where values go: each source field goes to the layer attribute or model field of the same name,
unless mapped to another (`field_map`, source -> target); `constants` give one value to a field for
every row (e.g. the jurisdiction, which a model that has one requires), replacing a file field
matched to it by name only. A foreign key takes the related row's `code` (within the row's
jurisdiction when the related model has one), or its id for a model without codes. The file's
id/fid column is never imported: every row becomes a new feature.

What is checked, for every row before anything is written: the model's own validation (full_clean:
required values, choices, lengths, uniqueness against the database), the geometry (present, valid,
of the layer's type; a Polygon is taken as a one-part MultiPolygon where the layer holds those),
that it lies inside the districts of its jurisdiction (when the model has one), and that no two rows
of the file claim the same unique values. A model with a `district` and no district given gets the
district its location falls in (core.selectors.district_for_point, the routing rule).

Re-importing the same file therefore does not update anything: each row that repeats a unique value
already stored (a venue's code in its jurisdiction, say) is reported as a duplicate, and nothing is
written. All rows valid: all are created in one transaction; any row invalid: none is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas
import shapely
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.aggregates import Union
from django.contrib.gis.geos import GEOSGeometry, Point
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _
from shapely.geometry import MultiLineString, MultiPoint, MultiPolygon
from shapely.geometry.base import BaseGeometry

from geo_services.core import selectors
from geo_services.core.boundary_import import READABLE_SUFFIXES, read_geo_file
from geo_services.core.errors import ImportProblem, OutsideDistricts
from geo_services.core.models import STORAGE_SRID, District, Jurisdiction
from layers.registry import Layer

IMPORT_SUFFIXES = READABLE_SUFFIXES | {".csv"}
# Columns that carry a feature id of the source (ours or another system's), never imported.
SOURCE_ID_COLUMNS = frozenset({"id", "fid", "ogc_fid", "feature_id"})
# Rows written per INSERT.
INSERT_BATCH_ROWS = 1_000
_MULTI_OF = {"Point": "MultiPoint", "LineString": "MultiLineString", "Polygon": "MultiPolygon"}
_MULTI_CLASSES: Mapping[str, Callable[[list[Any]], BaseGeometry]] = {
    "MultiPoint": MultiPoint,
    "MultiLineString": MultiLineString,
    "MultiPolygon": MultiPolygon,
}
# Django's geometry field type names -> shapely's.
_GEOMETRY_TYPES = {
    "POINT": "Point",
    "LINESTRING": "LineString",
    "POLYGON": "Polygon",
    "MULTIPOINT": "MultiPoint",
    "MULTILINESTRING": "MultiLineString",
    "MULTIPOLYGON": "MultiPolygon",
    "GEOMETRYCOLLECTION": "GeometryCollection",
    "GEOMETRY": "Geometry",
}

Progress = Callable[[Iterable[Any]], Iterable[Any]]


@dataclass(frozen=True)
class RowProblem:
    row: int  # 1 is the file's first feature (in a CSV, the line after the header)
    field: str  # the target field, "geometry", or "" for the row as a whole
    message: str


@dataclass
class ImportReport:
    layer_id: str
    source_crs: str
    rows: int
    created: int = 0
    dry_run: bool = False
    problems: list[RowProblem] = field(default_factory=list)
    ignored_fields: list[str] = field(default_factory=list)  # no layer field of that name
    replaced_fields: list[str] = field(default_factory=list)  # given by a constant instead

    @property
    def rejected_rows(self) -> int:
        return len({problem.row for problem in self.problems})


def parse_assignments(items: Iterable[str], *, option: str) -> dict[str, str]:
    """`NAME=VALUE` strings (as given on the command line) as a mapping; ImportProblem if malformed."""
    parsed: dict[str, str] = {}
    for item in items:
        name, separator, value = item.partition("=")
        if not separator or not name.strip():
            raise ImportProblem(
                _("%(option)s takes NAME=VALUE, not %(item)r.") % {"option": option, "item": item},
                code="invalid_option",
            )
        if name.strip() in parsed:
            raise ImportProblem(
                _("%(option)s names %(name)s twice.") % {"option": option, "name": name.strip()},
                code="invalid_option",
            )
        parsed[name.strip()] = value
    return parsed


@dataclass(frozen=True)
class _Targets:
    """The fields of a layer's model a file may fill, by every name they are known under."""

    by_name: Mapping[str, models.Field]
    geometry: GeometryField

    def names(self) -> str:
        return ", ".join(sorted(self.by_name))


def _targets(layer: Layer, model: type[models.Model]) -> _Targets:
    fields = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.editable and not isinstance(f, GeometryField)
    ]
    by_name: dict[str, models.Field] = {f.name: f for f in fields}
    by_column = {f.column: f for f in fields}
    for attribute in layer.attributes:
        if attribute.column in by_column:
            by_name.setdefault(attribute.name, by_column[attribute.column])
    geometry = next(
        f
        for f in model._meta.concrete_fields
        if isinstance(f, GeometryField) and f.column == layer.geometry_column
    )
    return _Targets(by_name=by_name, geometry=geometry)


def _blank(value: Any) -> bool:
    """A missing value as a data frame holds it (None, NaN, NA, NaT)."""
    if value is None:
        return True
    if isinstance(value, str | BaseGeometry):
        return False
    try:
        return bool(pandas.isna(value))
    except (TypeError, ValueError):  # not a scalar
        return False


def _plain(value: Any) -> Any:
    """A value from a data frame as plain Python (numpy and pandas scalars, missing -> None)."""
    if _blank(value):
        return None
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str | bytes | date | datetime):
        return value.item()
    return value


class _RowError(Exception):
    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message


class _Converter:
    """Turns source values into what the model's fields take; looks up related rows once each."""

    def __init__(self) -> None:
        self._related: dict[tuple[Any, ...], models.Model | None] = {}

    def value(self, target: models.Field, name: str, raw: Any, jurisdiction: Jurisdiction | None) -> Any:
        value = _plain(raw)
        if value is None:
            return None
        if isinstance(target, models.ForeignKey):
            return self._related_row(target, name, value, jurisdiction)
        if isinstance(target, models.IntegerField) and isinstance(value, float):
            if not value.is_integer():
                raise _RowError(name, _("%(value)s is not a whole number.") % {"value": value})
            return int(value)
        if isinstance(target, models.CharField | models.TextField) and not isinstance(value, str):
            return str(value)
        return value

    def _related_row(
        self, target: models.ForeignKey, name: str, value: Any, jurisdiction: Jurisdiction | None
    ) -> models.Model:
        related: type[models.Model] = target.related_model  # type: ignore[assignment]
        text = str(value).strip()
        scoped = jurisdiction is not None and any(
            f.name == "jurisdiction" for f in related._meta.concrete_fields
        )
        key = (related, text, jurisdiction.pk if scoped and jurisdiction else None)
        if key not in self._related:
            lookup: dict[str, Any] = {}
            if any(f.name == "code" for f in related._meta.concrete_fields):
                lookup["code"] = text
            elif text.isdigit():
                lookup["pk"] = int(text)
            if scoped:
                lookup["jurisdiction"] = jurisdiction
            found = list(related._default_manager.filter(**lookup)[:2]) if lookup else []
            self._related[key] = found[0] if len(found) == 1 else None
        row = self._related[key]
        if row is None:
            raise _RowError(
                name,
                _("There is no %(model)s with code %(value)r.")
                % {"model": related._meta.verbose_name, "value": text[:60]},
            )
        return row


class _Boundaries:
    """Each jurisdiction's districts as one prepared shape, fetched once, for the inside test."""

    def __init__(self) -> None:
        self._by_jurisdiction: dict[int, BaseGeometry | None] = {}

    def covers(self, jurisdiction: Jurisdiction, geometry: BaseGeometry) -> bool:
        if jurisdiction.pk not in self._by_jurisdiction:
            union = District.objects.filter(jurisdiction=jurisdiction).aggregate(shape=Union("geom"))["shape"]
            shape = shapely.from_wkb(bytes(union.wkb)) if union is not None else None
            if shape is not None:
                shapely.prepare(shape)
            self._by_jurisdiction[jurisdiction.pk] = shape
        shape = self._by_jurisdiction[jurisdiction.pk]
        return shape is not None and bool(shape.covers(geometry))


def _storage_geometry(geometry: Any, target: GeometryField) -> GEOSGeometry:
    """The row's geometry as the layer stores it, or _RowError saying what is wrong with it."""
    if _blank(geometry) or geometry.is_empty:
        raise _RowError("geometry", _("The feature has no geometry."))
    geometry = shapely.force_2d(geometry)
    wanted = _GEOMETRY_TYPES[target.geom_type]
    if wanted != "Geometry" and geometry.geom_type != wanted:
        if _MULTI_OF.get(geometry.geom_type) == wanted:
            geometry = _MULTI_CLASSES[wanted]([geometry])
        else:
            raise _RowError(
                "geometry",
                _("The geometry is a %(found)s; this layer holds %(wanted)s features.")
                % {"found": geometry.geom_type, "wanted": wanted},
            )
    if not geometry.is_valid:
        raise _RowError(
            "geometry",
            _(
                "The geometry is not valid (%(reason)s); repair it (e.g. in QGIS: Fix geometries) and import again."
            )
            % {"reason": shapely.is_valid_reason(geometry)},
        )
    return GEOSGeometry(memoryview(shapely.to_wkb(geometry)), srid=STORAGE_SRID)


def _unique_keys(model: type[models.Model]) -> list[tuple[str, ...]]:
    """The field-name tuples the database keeps unique (unconditional constraints and unique fields)."""
    keys: list[tuple[str, ...]] = [
        (f.name,) for f in model._meta.concrete_fields if f.unique and not f.primary_key
    ]
    for constraint in model._meta.constraints:
        if (
            isinstance(constraint, models.UniqueConstraint)
            and constraint.fields
            and constraint.condition is None
        ):
            keys.append(tuple(constraint.fields))
    return keys


def _key_value(instance: models.Model, key: tuple[str, ...]) -> tuple[Any, ...] | None:
    values = []
    for name in key:
        f = instance._meta.get_field(name)
        value = getattr(instance, f.attname)  # type: ignore[union-attr]
        if value is None:
            return None  # NULLs never collide
        values.append(value)
    return tuple(values)


def _validation_problems(row: int, exc: ValidationError) -> Iterator[RowProblem]:
    for name, messages in exc.message_dict.items():
        for message in messages:
            yield RowProblem(row, "" if name == NON_FIELD_ERRORS else name, message)


@dataclass(frozen=True)
class _ColumnPlan:
    targets: Mapping[str, str]  # source column -> target name
    ignored: list[str]  # columns with no target
    replaced: list[str]  # columns whose target a constant fills instead


def _column_plan(
    layer: Layer,
    targets: _Targets,
    columns: list[str],
    field_map: Mapping[str, str],
    constants: Mapping[str, str],
) -> _ColumnPlan:
    """Which file column fills which field; ImportProblem for a name that does not exist, a field
    filled twice, or a missing jurisdiction."""
    for source, target in field_map.items():
        if source not in columns:
            raise ImportProblem(
                _("--map %(source)s: the file has no field %(source)r. Its fields are: %(fields)s.")
                % {"source": source, "fields": ", ".join(columns) or "-"},
                code="unknown_field",
            )
        if target not in targets.by_name:
            raise ImportProblem(
                _(
                    "--map %(source)s=%(target)s: %(layer)s has no field %(target)r. Its fields are: %(fields)s."
                )
                % {"source": source, "target": target, "layer": layer.id, "fields": targets.names()},
                code="unknown_field",
            )
    for name in constants:
        if name not in targets.by_name:
            raise ImportProblem(
                _("--set %(name)s: %(layer)s has no field %(name)r. Its fields are: %(fields)s.")
                % {"name": name, "layer": layer.id, "fields": targets.names()},
                code="unknown_field",
            )
    # source column -> target name, by explicit map or by equal name; a --set value replaces a
    # column matched only by its name (a re-import into another jurisdiction, say).
    constant_fields = {targets.by_name[name].name for name in constants}
    plan: dict[str, str] = {}
    ignored: list[str] = []
    replaced: list[str] = []
    for column in columns:
        if column in field_map:
            mapped: str | None = field_map[column]
        else:
            mapped = None if column in SOURCE_ID_COLUMNS else column
        if mapped is None or mapped not in targets.by_name:
            ignored.append(column)
        elif column not in field_map and targets.by_name[mapped].name in constant_fields:
            replaced.append(column)
        else:
            plan[column] = mapped
    sources_by_field: dict[str, list[str]] = {}
    for column, name in plan.items():
        sources_by_field.setdefault(targets.by_name[name].name, []).append(column)
    for name in constants:
        sources_by_field.setdefault(targets.by_name[name].name, []).append(f"--set {name}")
    filled_twice = sorted(name for name, sources in sources_by_field.items() if len(sources) > 1)
    if filled_twice:
        raise ImportProblem(
            _("%(fields)s would be filled from more than one source (file fields, --map, --set): keep one.")
            % {"fields": ", ".join(filled_twice)},
            code="ambiguous_field",
        )

    if "jurisdiction" in targets.by_name and "jurisdiction" not in sources_by_field:
        codes = ", ".join(Jurisdiction.objects.order_by("code").values_list("code", flat=True)[:20])
        raise ImportProblem(
            _("Say which municipality the features belong to: --set jurisdiction=CODE (codes: %(codes)s).")
            % {"codes": codes or "-"},
            code="missing_jurisdiction",
        )
    return _ColumnPlan(targets=plan, ignored=ignored, replaced=replaced)


def import_layer_file(
    layer: Layer,
    path: Path,
    *,
    field_map: Mapping[str, str] | None = None,
    constants: Mapping[str, str] | None = None,
    source_layer: str | None = None,
    source_epsg: int | None = None,
    dry_run: bool = False,
    progress: Progress = lambda rows: rows,
) -> ImportReport:
    """Check every row of the file, then create all of them or none; see the module's docstring.

    Returns the report; when it holds problems nothing was written. ImportProblem when the file or
    the options cannot be used at all (unreadable file, unknown CRS, unknown field names…).
    """
    model = layer.model
    if model is None:
        raise ImportProblem(
            _("The layer %(layer)s is read-only: its features are made by the system, not imported.")
            % {"layer": layer.id},
            code="read_only_layer",
        )
    field_map = dict(field_map or {})
    constants = dict(constants or {})
    geo_file = read_geo_file(
        path,
        layer=source_layer,
        source_epsg=source_epsg,
        suffixes=frozenset(IMPORT_SUFFIXES),
        epsg_option="--source-epsg",
    )
    frame = geo_file.frame
    targets = _targets(layer, model)
    columns = [str(c) for c in frame.columns if c != "geometry"]

    plan = _column_plan(layer, targets, columns, field_map, constants)
    report = ImportReport(
        layer_id=layer.id,
        source_crs=geo_file.source_crs,
        rows=len(frame),
        dry_run=dry_run,
        ignored_fields=plan.ignored,
        replaced_fields=plan.replaced,
    )
    rows = _RowChecker(layer, model, targets, plan.targets)
    instances: list[models.Model] = []
    with transaction.atomic():
        rows.set_constants(constants)
        for row, record in enumerate(progress(frame.to_dict("records")), start=1):
            instance, problems = rows.check(row, record)
            report.problems.extend(problems)
            instances.append(instance)
        if report.problems or dry_run:
            transaction.set_rollback(True)
            return report
        model._default_manager.bulk_create(instances, batch_size=INSERT_BATCH_ROWS)
        report.created = len(instances)
    return report


class _RowChecker:
    """Builds each row's model instance and says everything that is wrong with it."""

    def __init__(
        self, layer: Layer, model: type[models.Model], targets: _Targets, plan: Mapping[str, str]
    ) -> None:
        self.model = model
        self.targets = targets
        self.plan = plan
        field_names = {f.name for f in model._meta.concrete_fields}
        # The districts themselves are what "inside the districts" is measured against.
        self.has_jurisdiction = "jurisdiction" in field_names and model is not District
        self.derives_district = self.has_jurisdiction and "district" in field_names
        self.geometry_fields = [f.name for f in model._meta.concrete_fields if isinstance(f, GeometryField)]
        self.unique_keys = _unique_keys(model)
        self.converter = _Converter()
        self.boundaries = _Boundaries()
        self.constant_values: dict[str, Any] = {}
        self.seen: dict[tuple[tuple[str, ...], tuple[Any, ...]], int] = {}

    def set_constants(self, constants: Mapping[str, str]) -> None:
        # Constants come first: the jurisdiction they may set scopes the look-up of related codes.
        ordered = sorted(
            constants.items(), key=lambda item: self.targets.by_name[item[0]].name != "jurisdiction"
        )
        for name, raw in ordered:
            target = self.targets.by_name[name]
            try:
                self.constant_values[target.name] = self.converter.value(
                    target, name, raw, self.constant_values.get("jurisdiction")
                )
            except _RowError as exc:
                raise ImportProblem(f"--set {name}: {exc.message}", code="invalid_option") from None

    def check(self, row: int, record: Mapping[str, Any]) -> tuple[models.Model, list[RowProblem]]:
        problems: list[RowProblem] = []
        values: dict[str, Any] = dict(self.constant_values)
        # The jurisdiction first, for the same reason as in set_constants.
        ordered = sorted(
            self.plan.items(), key=lambda item: self.targets.by_name[item[1]].name != "jurisdiction"
        )
        for source, name in ordered:
            target = self.targets.by_name[name]
            try:
                values[target.name] = self.converter.value(
                    target, name, record[source], values.get("jurisdiction")
                )
            except _RowError as exc:
                problems.append(RowProblem(row, target.name, exc.message))
        try:
            geometry: GEOSGeometry | None = _storage_geometry(record.get("geometry"), self.targets.geometry)
            values[self.targets.geometry.name] = geometry
        except _RowError as exc:
            problems.append(RowProblem(row, exc.field_name, exc.message))
            geometry = None
        jurisdiction = values.get("jurisdiction")
        if geometry is not None and self.has_jurisdiction and isinstance(jurisdiction, Jurisdiction):
            problems.extend(self._place(row, geometry, jurisdiction, values))
        instance = self.model(**values)
        # Geometry fields are checked above (present, valid, typed, 4326) and again by the database's
        # CHECK constraints on insert: leaving them out here saves a query per constraint per row. A
        # district that could not be derived has its reason reported already.
        exclude = list(self.geometry_fields)
        if self.derives_district and values.get("district") is None and "district_id" not in values:
            exclude.append("district")
        try:
            instance.full_clean(exclude=exclude)
        except ValidationError as exc:
            problems.extend(_validation_problems(row, exc))
        if not problems:
            problems.extend(self._repeated(row, instance))
        return instance, problems

    def _place(
        self, row: int, geometry: GEOSGeometry, jurisdiction: Jurisdiction, values: dict[str, Any]
    ) -> list[RowProblem]:
        """Inside the jurisdiction's districts; the district filled in when the model has one."""
        if not self.boundaries.covers(jurisdiction, shapely.from_wkb(bytes(geometry.wkb))):
            message = _("The feature lies outside the districts of %(jurisdiction)s.") % {
                "jurisdiction": jurisdiction.name_en
            }
            return [RowProblem(row, "geometry", message)]
        if self.derives_district and values.get("district") is None:
            point = Point(geometry.point_on_surface.coords, srid=STORAGE_SRID)
            try:
                match = selectors.district_for_point(point, jurisdiction_code=jurisdiction.code)
            except OutsideDistricts as exc:
                return [RowProblem(row, "district", exc.message)]
            values.pop("district", None)
            values["district_id"] = match.district.id
        return []

    def _repeated(self, row: int, instance: models.Model) -> list[RowProblem]:
        """Unique values an earlier row of the same file already claimed (the database cannot see those yet)."""
        problems = []
        for key in self.unique_keys:
            value = _key_value(instance, key)
            if value is None:
                continue
            first = self.seen.setdefault((key, value), row)
            if first != row:
                problems.append(
                    RowProblem(
                        row,
                        ", ".join(key),
                        _("Row %(first)d has the same %(fields)s; each must be unique.")
                        % {"first": first, "fields": ", ".join(key)},
                    )
                )
        return problems
