"""Initiatives of the municipality's strategy on the map: green spaces, model sidewalks, waste sorting.

An initiative is one shape whose geometry type follows from what is built (its feature type): a park
or a planted strip is a Polygon, trees planted are a MultiPoint (one point per tree), a model
sidewalk segment is a LineString, a waste-sorting station or container is a Point. CHECK constraints
hold the type, validity and SRID; triggers (migration 0002) keep what is derived from the shape:

- `length_m` (lines) and `area_m2` (polygons), measured by PostGIS on the WGS84 ellipsoid
  (geography), never from degrees; written by the database only, so they are always right;
- the district shares. **Crossing rule: attributed by share, never split.** An initiative stays one
  row; InitiativeDistrictShare holds, for every district its shape falls in, the share (0 to 1) of its
  length (lines), area (polygons) or points (trees, stations) there, and the metres or square metres
  that share stands for. `district` is the district with the largest share (ties: the lower id).
  District figures (sidewalk km, green m² per resident) sum the shares, so a park across a border
  counts once in total, in each district for its part. A line running exactly along a border is
  inside both districts; its shares are normalised so they sum to 1 (half to each side).
  A point on a border belongs to the district with the lower id.
- The shape must lie within the districts of its jurisdiction (to 0.1 % of its length or area: the
  tolerance absorbs the seams of the subdivided district parts); the trigger refuses anything else.

Progress moves only forward, through ProgressUpdate rows: a trigger refuses an update below the
initiative's progress and moves the initiative's progress, status and actual dates with it, in the
same transaction as the insert.
"""

from __future__ import annotations

import functools
import operator

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import CharField, F, FloatField, Func, Q
from django.db.models.functions import Now
from django.db.models.lookups import Exact, GreaterThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from geo_services.core.models import (
    STORAGE_SRID,
    Department,
    District,
    Jurisdiction,
    geometry_constraints,
)


class InitiativeKind(models.TextChoices):
    GREEN_SPACE = "green_space", _("green space")
    MODEL_SIDEWALK = "model_sidewalk", _("model sidewalk")
    WASTE_SORTING = "waste_sorting", _("waste sorting")


class FeatureType(models.TextChoices):
    PARK = "park", _("park")
    PLANTED_STRIP = "planted_strip", _("planted strip")
    TREES = "trees", _("trees planted")
    SIDEWALK_SEGMENT = "sidewalk_segment", _("sidewalk segment")
    SORTING_STATION = "sorting_station", _("waste-sorting station")
    SORTING_CONTAINER = "sorting_container", _("waste-sorting container")


# What each kind builds, and the one geometry type each feature type is drawn as.
FEATURE_TYPES_OF_KIND: dict[str, tuple[str, ...]] = {
    InitiativeKind.GREEN_SPACE: (FeatureType.PARK, FeatureType.PLANTED_STRIP, FeatureType.TREES),
    InitiativeKind.MODEL_SIDEWALK: (FeatureType.SIDEWALK_SEGMENT,),
    InitiativeKind.WASTE_SORTING: (FeatureType.SORTING_STATION, FeatureType.SORTING_CONTAINER),
}
GEOMETRY_TYPE_OF_FEATURE: dict[str, str] = {
    FeatureType.PARK: "Polygon",
    FeatureType.PLANTED_STRIP: "Polygon",
    FeatureType.TREES: "MultiPoint",
    FeatureType.SIDEWALK_SEGMENT: "LineString",
    FeatureType.SORTING_STATION: "Point",
    FeatureType.SORTING_CONTAINER: "Point",
}


class Status(models.TextChoices):
    PLANNED = "planned", _("planned")
    IN_PROGRESS = "in_progress", _("in progress")
    DONE = "done", _("done")


class SidewalkSurface(models.TextChoices):
    INTERLOCKING_TILES = "interlocking_tiles", _("interlocking tiles")
    CONCRETE = "concrete", _("concrete")
    NATURAL_STONE = "natural_stone", _("natural stone")
    ASPHALT = "asphalt", _("asphalt")


class PartnerKind(models.TextChoices):
    CHARITY = "charity", _("charity")
    COMMUNITY_GROUP = "community_group", _("community group")
    COMPANY = "company", _("company")
    VOLUNTEER_TEAM = "volunteer_team", _("volunteer team")


class ServiceKind(models.Model):
    """What a partner provides: social care, disability services, training and jobs, greening, clean-ups…

    One list for every jurisdiction, so that coverage reads the same in Amman and in Riyadh; the
    first kinds are seeded by migration 0003, more are added in the admin.
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name = _("service kind")
        verbose_name_plural = _("service kinds")

    def __str__(self) -> str:
        return f"{self.name_ar} / {self.name_en}"


class Partner(models.Model):
    """An organisation taking part in community work: what it provides and the areas it serves.

    It serves whole districts (`districts`) and/or drawn areas (`served_area`, valid and within the
    districts of its jurisdiction: a trigger of migration 0003 refuses anything else). The districts a
    drawn area reaches are derived by PostGIS (initiatives_partner_served_districts, the same share
    rule as initiatives), never stored by hand. Its contact is for staff only; the rest is public.
    """

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", verbose_name=_("jurisdiction")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    # Inactive partners stay on record (initiatives name them) but count for no coverage.
    active = models.BooleanField(_("active"), default=True, db_default=True)
    services = models.ManyToManyField(
        ServiceKind, blank=True, related_name="partners", verbose_name=_("services provided")
    )
    districts = models.ManyToManyField(
        District, blank=True, related_name="+", verbose_name=_("whole districts served")
    )
    served_area = models.MultiPolygonField(_("drawn areas served"), srid=STORAGE_SRID, null=True, blank=True)
    # For staff only (personal data of the organisation's contact person).
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)

    class Meta:
        ordering = ["jurisdiction_id", "name_en"]
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=PartnerKind.values), name="initiatives_partner_kind_known"
            ),
            *geometry_constraints("initiatives_partner", "served_area", nullable=True),
        ]

    def __str__(self) -> str:
        return f"{self.name_ar} / {self.name_en}"


def _geometry_type(field: str) -> Func:
    return Func(F(field), function="GeometryType", output_field=CharField())


def _geometry_type_matches() -> Q:
    """One Q per geometry type: the feature types drawn as it, and that type (PostGIS's name)."""
    conditions = [
        Q(feature_type__in=[f for f, t in GEOMETRY_TYPE_OF_FEATURE.items() if t == geometry_type])
        & Q(Exact(_geometry_type("geom"), geometry_type.upper()))
        for geometry_type in sorted(set(GEOMETRY_TYPE_OF_FEATURE.values()))
    ]
    return functools.reduce(operator.or_, conditions)


class Initiative(models.Model):
    """A green-space, model-sidewalk or waste-sorting initiative: one shape with its plan and progress.

    Crossing districts: attributed by share, never split — one row, with its share in each district
    in InitiativeDistrictShare and `district` the largest share. The module's docstring says what
    the database keeps (measures, district shares, progress) and how.
    """

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", verbose_name=_("jurisdiction")
    )
    code = models.SlugField(_("code"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=InitiativeKind.choices)
    feature_type = models.CharField(_("feature type"), max_length=20, choices=FeatureType.choices)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_ar = models.TextField(_("description (Arabic)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED, db_default=Status.PLANNED
    )
    # Calendar dates of the jurisdiction (local), not moments.
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    # In the jurisdiction's currency (Jurisdiction.currency: JOD, SAR…); 3 decimals as the dinar has.
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=3, null=True, blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("responsible department")
    )
    progress_percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0, db_default=0)
    partners = models.ManyToManyField(
        Partner, blank=True, related_name="initiatives", verbose_name=_("partners")
    )
    # The people signed up for any of its work days, each counted once: written by the database
    # (triggers of migration 0003) from the sign-ups only, whatever a client sends.
    volunteers_count = models.PositiveIntegerField(_("volunteers"), default=0, db_default=0, editable=False)
    geom = models.GeometryField(_("shape"), srid=STORAGE_SRID)
    # Written by the database (trigger) from geom; whatever a client sends is replaced.
    length_m = models.FloatField(_("length (m)"), null=True, blank=True, editable=False)
    area_m2 = models.FloatField(_("area (m²)"), null=True, blank=True, editable=False)
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("district (largest share)"),
        null=True,  # only until the trigger has run: the database never stores a row without one
        blank=True,
        editable=False,
    )
    # Model sidewalks only.
    width_m = models.DecimalField(_("width (m)"), max_digits=5, decimal_places=2, null=True, blank=True)
    surface = models.CharField(_("surface"), max_length=20, choices=SidewalkSurface.choices, blank=True)
    ramps_count = models.PositiveSmallIntegerField(_("ramps"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["jurisdiction_id", "code"]
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        indexes = [models.Index(fields=["jurisdiction", "feature_type"], name="initiatives_jur_feature")]
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "code"], name="initiatives_unique_code"),
            models.CheckConstraint(
                condition=Q(
                    kind=InitiativeKind.GREEN_SPACE, feature_type__in=FEATURE_TYPES_OF_KIND["green_space"]
                )
                | Q(
                    kind=InitiativeKind.MODEL_SIDEWALK,
                    feature_type__in=FEATURE_TYPES_OF_KIND["model_sidewalk"],
                )
                | Q(
                    kind=InitiativeKind.WASTE_SORTING, feature_type__in=FEATURE_TYPES_OF_KIND["waste_sorting"]
                ),
                name="initiatives_feature_type_of_kind",
                violation_error_message=_("The feature type does not belong to the initiative's kind."),
            ),
            models.CheckConstraint(
                condition=Q(status=Status.PLANNED, progress_percent=0)
                | Q(status=Status.IN_PROGRESS, progress_percent__lt=100)
                | Q(status=Status.DONE, progress_percent=100),
                name="initiatives_status_matches_progress",
                violation_error_message=_(
                    "A planned initiative has 0 %% progress, one in progress less than 100 %%, a done one 100 %%."
                ),
            ),
            models.CheckConstraint(
                condition=Q(progress_percent__gte=0, progress_percent__lte=100),
                name="initiatives_progress_0_100",
                violation_error_message=_("Progress is a percentage from 0 to 100."),
            ),
            models.CheckConstraint(
                condition=Q(planned_end__gte=F("planned_start")),
                name="initiatives_planned_dates_in_order",
                violation_error_message=_("The planned end cannot be before the planned start."),
            ),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True)
                | (Q(actual_start__isnull=False) & Q(actual_end__gte=F("actual_start"))),
                name="initiatives_actual_dates_in_order",
                violation_error_message=_("The actual end needs an actual start on or before it."),
            ),
            models.CheckConstraint(
                condition=Q(budget__isnull=True) | Q(budget__gte=0),
                name="initiatives_budget_not_negative",
                violation_error_message=_("The budget cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(feature_type=FeatureType.SIDEWALK_SEGMENT, width_m__gt=0)
                | (
                    ~Q(feature_type=FeatureType.SIDEWALK_SEGMENT)
                    & Q(width_m__isnull=True, ramps_count__isnull=True, surface="")
                ),
                name="initiatives_sidewalk_attributes",
                violation_error_message=_(
                    "A sidewalk segment has a width above 0 m; width, surface and ramps belong to sidewalks only."
                ),
            ),
            models.CheckConstraint(
                condition=Q(surface="") | Q(surface__in=SidewalkSurface.values),
                name="initiatives_surface_known",
            ),
            # Set by the trigger from the shape; a row never exists without it.
            models.CheckConstraint(condition=Q(district__isnull=False), name="initiatives_has_district"),
            *geometry_constraints("initiatives_initiative", "geom", nullable=False),
            models.CheckConstraint(
                condition=_geometry_type_matches(),
                name="initiatives_geom_type_of_feature",
                violation_error_message=_("The shape's geometry type does not match the feature type."),
            ),
            models.CheckConstraint(
                condition=~Q(Exact(_geometry_type("geom"), "LINESTRING"))
                | Q(GreaterThan(Func(F("geom"), function="ST_Length", output_field=FloatField()), 0)),
                name="initiatives_line_has_length",
                violation_error_message=_("A line must have a length above zero."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_ar} / {self.name_en} ({self.code})"


class InitiativeDistrictShare(models.Model):
    """The part of an initiative in one district. Rows are written by a trigger only (migration 0002)."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="district_shares")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    share = models.FloatField(_("share"))
    length_m = models.FloatField(_("length in the district (m)"), null=True)
    area_m2 = models.FloatField(_("area in the district (m²)"), null=True)

    class Meta:
        ordering = ["initiative_id", "-share", "district_id"]
        verbose_name = _("district share")
        verbose_name_plural = _("district shares")
        constraints = [
            models.UniqueConstraint(fields=["initiative", "district"], name="initiatives_share_unique"),
            models.CheckConstraint(condition=Q(share__gt=0, share__lte=1), name="initiatives_share_0_1"),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id} @ {self.district_id}: {self.share:.3f}"


def _progress_photo_path(instance: ProgressUpdate, filename: str) -> str:
    return f"initiatives/{instance.initiative_id}/progress/{filename}"


class ProgressUpdate(models.Model):
    """A step of an initiative's progress, with an optional photo; written, never edited.

    Inserting one moves the initiative (trigger, migration 0002): progress to `percent`, status to in
    progress above 0 % and to done at 100 %, actual start and end dates in the jurisdiction's calendar.
    """

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="progress_updates")
    percent = models.PositiveSmallIntegerField(_("progress (%)"))
    note = models.TextField(_("note"), blank=True)
    photo = models.ImageField(_("photo"), upload_to=_progress_photo_path, blank=True)
    photo_thumbnail = models.ImageField(_("thumbnail"), upload_to=_progress_photo_path, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("author"),
    )
    # An inspection that found this progress on site (optional).
    inspection = models.ForeignKey(
        "inspections.Inspection",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("inspection"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now())

    class Meta:
        ordering = ["initiative_id", "created_at", "id"]
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gte=0, percent__lte=100),
                name="initiatives_update_percent_0_100",
                violation_error_message=_("Progress is a percentage from 0 to 100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id}: {self.percent} %"


# --- Residents' proposals -------------------------------------------------------------------------


class ProposalStatus(models.TextChoices):
    OPEN = "open", _("open")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")


def _proposal_photo_path(instance: Proposal, filename: str) -> str:
    return f"initiatives/proposals/{instance.pk}/{filename}"


class Proposal(models.Model):
    """A resident's proposal of an initiative: a point or an area on the map, a description, a photo.

    What the database keeps (migration 0003): the district (the largest share of the shape, as for
    initiatives) and that the shape lies within the districts of the jurisdiction; the number of
    supporters, one per resident (ProposalSupport), counted under a row lock; a decision is final
    (open -> accepted with its initiative, or open -> declined with a reason), and every status,
    the first one too, is written to ProposalStatusChange by a trigger.
    """

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", verbose_name=_("jurisdiction")
    )
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    geom = models.GeometryField(_("place"), srid=STORAGE_SRID)
    district = models.ForeignKey(
        District,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("district"),
        null=True,  # only until the trigger has run: the database never stores a row without one
        editable=False,
    )
    photo = models.ImageField(_("photo"), upload_to=_proposal_photo_path, blank=True)
    photo_thumbnail = models.ImageField(_("thumbnail"), upload_to=_proposal_photo_path, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ProposalStatus.choices,
        default=ProposalStatus.OPEN,
        db_default=ProposalStatus.OPEN,
    )
    # Written by the database from the support rows only.
    supporters_count = models.PositiveIntegerField(_("supporters"), default=0, db_default=0, editable=False)
    initiative = models.ForeignKey(
        Initiative,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposals",
        verbose_name=_("initiative"),
    )
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now())

    class Meta:
        ordering = ["jurisdiction_id", "-created_at", "-id"]
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        indexes = [models.Index(fields=["jurisdiction", "status"], name="initiatives_proposal_jur_st")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=ProposalStatus.OPEN, initiative__isnull=True, decided_at__isnull=True)
                | Q(status=ProposalStatus.ACCEPTED, initiative__isnull=False, decided_at__isnull=False)
                | (
                    Q(status=ProposalStatus.DECLINED, initiative__isnull=True, decided_at__isnull=False)
                    & ~Q(decision_reason__regex=r"^\s*$")
                ),
                name="initiatives_proposal_decision",
                violation_error_message=_(
                    "An open proposal has no decision; an accepted one has its initiative; "
                    "a declined one has a reason."
                ),
            ),
            models.CheckConstraint(
                condition=Q(Exact(_geometry_type("geom"), "POINT"))
                | Q(Exact(_geometry_type("geom"), "POLYGON")),
                name="initiatives_proposal_point_or_area",
                violation_error_message=_("A proposal is a point or an area (a polygon) on the map."),
            ),
            models.CheckConstraint(
                condition=Q(district__isnull=False), name="initiatives_proposal_has_district"
            ),
            *geometry_constraints("initiatives_proposal", "geom", nullable=False),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"


class ProposalSupport(models.Model):
    """One resident's support of a proposal: at most one per resident (the proposer's own included)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now())

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "user"], name="initiatives_support_once"),
        ]


class ProposalStatusChange(models.Model):
    """A proposal's status as it changed: written by a trigger (migration 0003), never edited."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="status_changes")
    previous_status = models.CharField(_("previous status"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ProposalStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now())

    class Meta:
        ordering = ["proposal_id", "created_at", "id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")


# --- Volunteers -----------------------------------------------------------------------------------


class WorkDay(models.Model):
    """A day of work on an initiative that volunteers sign up for, up to its capacity.

    `starts_at`/`ends_at` are moments (UTC); `day` is the calendar day in the jurisdiction's zone and
    `jurisdiction` that of the initiative, both written by the database (trigger). `signups_count` is
    kept by the sign-up triggers under the row lock of this work day, and a CHECK holds it at or
    below `capacity`: the cap holds whatever writes the rows, also under concurrent sign-ups.
    """

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="work_days")
    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", null=True, editable=False
    )
    day = models.DateField(_("day"), null=True, editable=False)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("meeting place"), max_length=300)
    capacity = models.PositiveIntegerField(_("volunteers wanted"))
    signups_count = models.PositiveIntegerField(
        _("volunteers signed up"), default=0, db_default=0, editable=False
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now())

    class Meta:
        ordering = ["initiative_id", "starts_at", "id"]
        verbose_name = _("work day")
        verbose_name_plural = _("work days")
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gt=0),
                name="initiatives_workday_capacity_positive",
                violation_error_message=_("A work day needs room for at least one volunteer."),
            ),
            models.CheckConstraint(
                condition=Q(signups_count__lte=F("capacity")),
                name="initiatives_workday_within_capacity",
                violation_error_message=_("The work day is full."),
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="initiatives_workday_times_in_order",
                violation_error_message=_("A work day ends after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(jurisdiction__isnull=False, day__isnull=False),
                name="initiatives_workday_placed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative_id} @ {self.day}: {self.signups_count}/{self.capacity}"


class VolunteerSignup(models.Model):
    """A person signed up for a work day: once per person and day; cancelling deletes the row."""

    work_day = models.ForeignKey(WorkDay, on_delete=models.CASCADE, related_name="signups")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_default=Now())

    class Meta:
        ordering = ["work_day_id", "created_at", "id"]
        verbose_name = _("volunteer sign-up")
        verbose_name_plural = _("volunteer sign-ups")
        constraints = [
            models.UniqueConstraint(fields=["work_day", "user"], name="initiatives_signup_once"),
        ]
