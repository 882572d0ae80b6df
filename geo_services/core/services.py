"""Writes of the core app: each a plain function with explicit arguments, in one transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import cast

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.db import connection, transaction
from django.utils.translation import gettext as _

from geo_services.core.boundary_import import BoundaryRecord
from geo_services.core.errors import InvalidInput
from geo_services.core.models import STORAGE_SRID, Department, District, Jurisdiction, validate_time_zone

# Two geometries closer than this (in degrees, about 1 mm) count as unchanged on re-import.
_UNCHANGED_TOLERANCE_DEG = 1e-8


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    repaired: list[tuple[str, str]] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)
    jurisdiction_created: bool = False
    dry_run: bool = False

    def summary(self) -> str:
        text = _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged") % {
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
        }
        if self.repaired:
            text += _(", %(count)d repaired") % {"count": len(self.repaired)}
        if self.not_in_file:
            text += _(", %(count)d in the database but not in the file (kept)") % {
                "count": len(self.not_in_file)
            }
        if self.dry_run:
            text += _(" (dry run: nothing was written)")
        return text


class _DryRunRollback(Exception):
    pass


def ensure_jurisdiction(
    *, code: str, name_ar: str, name_en: str, time_zone: str
) -> tuple[Jurisdiction, bool]:
    """The jurisdiction with this code, created with the given names and zone if it is new."""
    validate_time_zone(time_zone)
    return Jurisdiction.objects.get_or_create(
        code=code, defaults={"name_ar": name_ar, "name_en": name_en, "time_zone": time_zone}
    )


def _district_changes(
    district: District, record: BoundaryRecord, geometry: GEOSGeometry
) -> dict[str, object]:
    changes: dict[str, object] = {}
    for attribute in ("name_en", "name_ar", "population"):
        if getattr(district, attribute) != getattr(record, attribute):
            changes[attribute] = getattr(record, attribute)
    if not district.geom.equals_exact(geometry, _UNCHANGED_TOLERANCE_DEG):
        changes["geom"] = geometry
    return changes


def _refresh_jurisdiction_boundary(jurisdiction: Jurisdiction) -> None:
    # The union is computed by PostGIS; ST_MakeValid guards against slivers between neighbours.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE core_jurisdiction j SET boundary = u.geom, updated_at = now()
            FROM (
                SELECT ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Union(geom)), 3)) AS geom
                FROM core_district WHERE jurisdiction_id = %(id)s
            ) u
            WHERE j.id = %(id)s AND u.geom IS NOT NULL
              AND (j.boundary IS NULL OR NOT ST_Equals(j.boundary, u.geom))
            """,
            {"id": jurisdiction.pk},
        )


def import_boundaries(
    records: Iterable[BoundaryRecord],
    *,
    jurisdiction_code: str,
    jurisdiction_name_ar: str | None = None,
    jurisdiction_name_en: str | None = None,
    time_zone: str,
    dry_run: bool = False,
    progress: Callable[[Iterable[BoundaryRecord]], Iterable[BoundaryRecord]] = lambda items: items,
) -> ImportReport:
    """Create or update a jurisdiction's districts from checked records, matched by code.

    All or nothing: any failure (or dry_run) rolls the whole import back. Re-importing the same
    file changes nothing. Districts missing from the file are kept and reported.
    """
    records = list(records)
    if not records:
        raise InvalidInput(_("There are no districts to import."))
    report = ImportReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # A large boundary file may take longer than the web statement limit.
                cursor.execute("SET LOCAL statement_timeout = 0")
            jurisdiction, report.jurisdiction_created = ensure_jurisdiction(
                code=jurisdiction_code,
                name_ar=jurisdiction_name_ar or jurisdiction_code,
                name_en=jurisdiction_name_en or jurisdiction_code,
                time_zone=time_zone,
            )
            existing = {d.code: d for d in District.objects.filter(jurisdiction=jurisdiction)}
            for record in progress(records):
                # read_boundaries guarantees a MultiPolygon; WKB keeps every bit of every coordinate.
                geometry = cast(
                    MultiPolygon, GEOSGeometry(memoryview(record.geometry.wkb), srid=STORAGE_SRID)
                )
                if record.repair_note:
                    report.repaired.append((record.code, record.repair_note))
                district = existing.pop(record.code, None)
                if district is None:
                    District.objects.create(
                        jurisdiction=jurisdiction,
                        code=record.code,
                        name_en=record.name_en,
                        name_ar=record.name_ar,
                        population=record.population,
                        geom=geometry,
                    )
                    report.created.append(record.code)
                    continue
                changes = _district_changes(district, record, geometry)
                if not changes:
                    report.unchanged.append(record.code)
                    continue
                for attribute, value in changes.items():
                    setattr(district, attribute, value)
                district.save(update_fields=[*changes, "updated_at"])
                report.updated.append(record.code)
            report.not_in_file = sorted(existing)
            _refresh_jurisdiction_boundary(jurisdiction)
            if dry_run:
                raise _DryRunRollback
    except _DryRunRollback:
        pass
    return report


@dataclass(frozen=True)
class DepartmentSpec:
    code: str
    name_ar: str
    name_en: str
    contact_email: str = ""


def upsert_departments(*, jurisdiction: Jurisdiction, departments: Iterable[DepartmentSpec]) -> ImportReport:
    """Create or update departments by code; unchanged ones are left alone."""
    report = ImportReport()
    with transaction.atomic():
        for spec in departments:
            values = {"name_ar": spec.name_ar, "name_en": spec.name_en, "contact_email": spec.contact_email}
            department, created = Department.objects.get_or_create(
                jurisdiction=jurisdiction, code=spec.code, defaults=values
            )
            if created:
                report.created.append(spec.code)
            elif any(getattr(department, k) != v for k, v in values.items()):
                Department.objects.filter(pk=department.pk).update(**values)
                report.updated.append(spec.code)
            else:
                report.unchanged.append(spec.code)
    return report
