"""Jurisdictions, their districts and departments.

Every table carries its jurisdiction so that queries never join across jurisdictions (and the
database can later be distributed by it). Geometry invariants live in CHECK constraints: whatever
writes a row — API, admin, importer or raw SQL — cannot store an invalid, empty or non-4326 shape.
"""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.gis.db.models.functions import IsValid
from django.core.exceptions import ValidationError
from django.db.models import BooleanField as _Bool
from django.db.models import Func, IntegerField, Q
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

STORAGE_SRID = 4326


def geometry_constraints(prefix: str, field: str, *, nullable: bool) -> list[models.BaseConstraint]:
    """CHECKs that a stored geometry is valid, non-empty and in SRID 4326."""
    srid = Func(models.F(field), function="ST_SRID", output_field=IntegerField())
    empty = Func(models.F(field), function="ST_IsEmpty", output_field=_Bool())
    conditions = {
        "valid": Q(IsValid(field)),
        "srid_4326": Q(Exact(srid, STORAGE_SRID)),
        "not_empty": Q(Exact(empty, False)),
    }
    messages = {
        "valid": _("The shape is not a valid geometry (for example it crosses itself)."),
        "srid_4326": _("The shape must be stored in EPSG:4326 (longitude, latitude)."),
        "not_empty": _("The shape is empty."),
    }
    constraints: list[models.BaseConstraint] = []
    for suffix, condition in conditions.items():
        if nullable:
            condition = Q(**{f"{field}__isnull": True}) | condition
        constraints.append(
            models.CheckConstraint(
                condition=condition,
                name=f"{prefix}_{field}_{suffix}",
                violation_error_message=messages[suffix],
            )
        )
    return constraints


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(zone)s is not a known IANA time zone."), params={"zone": value})


class Jurisdiction(models.Model):
    """A municipality the system serves (Greater Amman, Riyadh, the Eastern Province…)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    # ISO 4217: JOD for Amman, SAR for Riyadh and the Eastern Province; prices are in it.
    currency = models.CharField(_("currency"), max_length=3, default="JOD")
    # The union of the districts, kept by the boundary import; null until districts exist.
    boundary = models.MultiPolygonField(_("boundary"), srid=STORAGE_SRID, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("jurisdiction")
        verbose_name_plural = _("jurisdictions")
        constraints = geometry_constraints("core_jurisdiction", "boundary", nullable=True)

    def __str__(self) -> str:
        return f"{self.name_ar} / {self.name_en} ({self.code})"


class District(models.Model):
    """An administrative district of a jurisdiction: the unit requests are routed by."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="districts", verbose_name=_("jurisdiction")
    )
    code = models.SlugField(_("code"), max_length=80, allow_unicode=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    geom = models.MultiPolygonField(_("boundary"), srid=STORAGE_SRID)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["jurisdiction_id", "code"]  # no join: a default order must stay cheap
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "code"], name="core_district_unique_code"),
            *geometry_constraints("core_district", "geom", nullable=False),
        ]

    def __str__(self) -> str:
        return f"{self.name_ar} / {self.name_en} ({self.code})"


class DistrictPart(models.Model):
    """A piece of a district cut by ST_Subdivide, for fast point lookups.

    Rows are written only by a database trigger on core_district (see migration 0002), so they are
    always in step with the districts whatever path changed them. Lookups test small pieces with
    few vertices instead of one large polygon with thousands.
    """

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="parts")
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="+")
    geom = models.GeometryField(srid=STORAGE_SRID)

    class Meta:
        verbose_name = _("district part")
        verbose_name_plural = _("district parts")


class Department(models.Model):
    """A municipal department requests are routed to (lighting, parks, waste…)."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="departments", verbose_name=_("jurisdiction")
    )
    code = models.SlugField(_("code"), max_length=80)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)

    class Meta:
        ordering = ["jurisdiction_id", "code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "code"], name="core_department_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.name_ar} / {self.name_en} ({self.code})"


class StaffMember(models.Model):
    """Where a member of staff works: their jurisdiction, department and districts.

    A dispatcher sees the requests of their department in their districts; no districts means every
    district of the jurisdiction. Inspectors and supervisors use the same record.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_member",
        verbose_name=_("user"),
    )
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="staff", verbose_name=_("jurisdiction")
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("department"),
    )
    districts = models.ManyToManyField(
        District, blank=True, related_name="staff", verbose_name=_("districts")
    )

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff members")

    def __str__(self) -> str:
        return f"{self.user} @ {self.department or self.jurisdiction}"
