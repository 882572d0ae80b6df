"""Checklist templates (versioned), inspection jobs, the inspections sent from tablets, their photos,
and the audit trail.

The database holds the invariants:
- a template's versions are numbered uniquely, and a published version — its settings and its
  items — can never change or disappear (a trigger, migration 0002), so a finished inspection
  always points at the checklist it was filled against;
- an item's type is known, its weight is not negative, a score item has a positive maximum, a
  choice item has choices with points between 0 and 1;
- an offline submission is keyed by the tablet's UUID, and a job has at most one inspection, and an
  inspection at most one photo per photo UUID: a retry can never create a duplicate;
- audit events are only ever added (a trigger refuses changes and deletions).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import BooleanField, F, Func, Q, Value
from django.db.models.lookups import Exact
from django.utils.translation import gettext_lazy as _

from geo_services.core.models import STORAGE_SRID, District, Jurisdiction, geometry_constraints


class TemplateKind(models.TextChoices):
    BUSINESS = "business", _("business")
    FACILITY = "facility", _("facility")
    PARK = "park", _("park")
    PITCH = "pitch", _("sports pitch")
    SIDEWALK = "sidewalk", _("sidewalk")
    REQUEST_FOLLOWUP = "request_followup", _("service request follow-up")


class ItemType(models.TextChoices):
    YES_NO = "yes_no", _("yes / no")
    SCORE = "score", _("score")
    NUMBER = "number", _("number")
    TEXT = "text", _("text")
    CHOICE = "choice", _("choice")
    PHOTO = "photo", _("photo")


# Types whose answer earns points; text and photos are evidence, never scored.
SCORED_TYPES = (ItemType.YES_NO, ItemType.SCORE, ItemType.NUMBER, ItemType.CHOICE)


class ChecklistTemplate(models.Model):
    """A kind of inspection a jurisdiction carries out; its checklist lives in numbered versions."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, related_name="+", verbose_name=_("jurisdiction")
    )
    code = models.SlugField(_("code"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=TemplateKind.choices)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["jurisdiction_id", "code"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "code"], name="insp_template_unique_code"),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in TemplateKind]), name="insp_template_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_ar} / {self.name_en} ({self.code})"


class TemplateVersion(models.Model):
    """One published state of a template's checklist. Written once by services.publish_template_version
    and never changed afterwards (the database refuses it)."""

    template = models.ForeignKey(
        ChecklistTemplate, on_delete=models.PROTECT, related_name="versions", verbose_name=_("template")
    )
    number = models.PositiveIntegerField(_("version"))
    # The position must be at least this precise (the device's reported accuracy, in metres).
    min_gps_accuracy_m = models.FloatField(_("required GPS accuracy (metres)"))
    max_distance_m = models.FloatField(_("greatest distance from the target (metres)"))
    pass_score = models.DecimalField(_("pass score (0-100)"), max_digits=5, decimal_places=2)
    note = models.CharField(_("what changed"), max_length=500, blank=True)
    # False only while its items are being written, inside the publishing transaction.
    published = models.BooleanField(default=False, editable=False)
    published_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        ordering = ["template_id", "-number"]
        verbose_name = _("checklist version")
        verbose_name_plural = _("checklist versions")
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="insp_version_unique_number"),
            models.CheckConstraint(condition=Q(number__gte=1), name="insp_version_number_positive"),
            models.CheckConstraint(
                condition=Q(min_gps_accuracy_m__gt=0), name="insp_version_gps_accuracy_positive"
            ),
            models.CheckConstraint(condition=Q(max_distance_m__gt=0), name="insp_version_distance_positive"),
            models.CheckConstraint(
                condition=Q(pass_score__gte=0) & Q(pass_score__lte=100), name="insp_version_pass_score_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.code} v{self.number}"


def _malformed_choices() -> Func:
    """True when a choice lacks a text value or has points that are not a number from 0 to 1."""
    return Func(
        F("choices"),
        Value(
            '$[*] ? (!(exists(@.value)) || @.value.type() != "string" || !(exists(@.points))'
            ' || @.points.type() != "number" || @.points < 0 || @.points > 1)'
        ),
        function="jsonb_path_exists",
        output_field=BooleanField(),
    )


def _json_type(field: str) -> Func:
    return Func(F(field), function="jsonb_typeof", output_field=models.CharField())


class ChecklistItem(models.Model):
    """One question of a checklist version. Its answer type decides how it scores (see scoring)."""

    version = models.ForeignKey(
        TemplateVersion, on_delete=models.CASCADE, related_name="items", verbose_name=_("version")
    )
    position = models.PositiveIntegerField(_("order"))
    key = models.SlugField(_("key"), max_length=60)
    type = models.CharField(_("type"), max_length=10, choices=ItemType.choices)
    label_ar = models.CharField(_("question (Arabic)"), max_length=300)
    label_en = models.CharField(_("question (English)"), max_length=300)
    weight = models.DecimalField(_("weight"), max_digits=7, decimal_places=2, default=1)
    # A failed critical item fails the inspection whatever the score.
    critical = models.BooleanField(_("critical"), default=False)
    required = models.BooleanField(_("required"), default=False)
    max_score = models.PositiveIntegerField(_("highest score"), null=True, blank=True)
    min_value = models.FloatField(_("lowest acceptable value"), null=True, blank=True)
    max_value = models.FloatField(_("highest acceptable value"), null=True, blank=True)
    # For choice items: [{"value": "...", "label_ar": "...", "label_en": "...", "points": 0..1}, ...]
    choices = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        ordering = ["version_id", "position"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="insp_item_unique_key"),
            models.UniqueConstraint(fields=["version", "position"], name="insp_item_unique_position"),
            models.CheckConstraint(
                condition=Q(type__in=[t.value for t in ItemType]), name="insp_item_type_known"
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="insp_item_weight_not_negative"),
            models.CheckConstraint(
                condition=(Q(type=ItemType.SCORE) & Q(max_score__isnull=False) & Q(max_score__gt=0))
                | (~Q(type=ItemType.SCORE) & Q(max_score__isnull=True)),
                name="insp_item_score_has_max",
            ),
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=F("max_value")),
                name="insp_item_number_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(type=ItemType.NUMBER) | (Q(min_value__isnull=True) & Q(max_value__isnull=True)),
                name="insp_item_range_only_for_numbers",
            ),
            models.CheckConstraint(
                condition=Q(Exact(_json_type("choices"), "array")), name="insp_item_choices_is_list"
            ),
            models.CheckConstraint(
                condition=(Q(type=ItemType.CHOICE) & ~Q(choices=[]) & Q(Exact(_malformed_choices(), False)))
                | (~Q(type=ItemType.CHOICE) & Q(choices=[])),
                name="insp_item_choices_only_for_choice",
            ),
            # Text and photos are evidence: they carry no points and cannot fail.
            models.CheckConstraint(
                condition=Q(type__in=[t.value for t in SCORED_TYPES]) | (Q(weight=0) & Q(critical=False)),
                name="insp_item_evidence_not_scored",
            ),
            # An unanswered item cannot fail, so a critical one must be answered.
            models.CheckConstraint(
                condition=Q(critical=False) | Q(required=True), name="insp_item_critical_required"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.type})"


class JobStatus(models.TextChoices):
    ASSIGNED = "assigned", _("assigned")
    DONE = "done", _("done")
    CANCELLED = "cancelled", _("cancelled")


class TargetKind(models.TextChoices):
    VENUE = "venue", _("venue")
    SERVICE_REQUEST = "service_request", _("service request")
    INITIATIVE_SEGMENT = "initiative_segment", _("initiative segment")
    BUSINESS = "business", _("business")
    POINT = "point", _("point")


# Targets that refer to a record of another app (by id); the others are a point and a label.
TARGETS_WITH_RECORD = (TargetKind.VENUE, TargetKind.SERVICE_REQUEST, TargetKind.INITIATIVE_SEGMENT)


class InspectionJob(models.Model):
    """An inspection to carry out: a checklist version, a target on the map, an inspector, a due date.

    `overdue` is not stored: it depends on today's date in the jurisdiction's zone (see selectors).
    """

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district")
    )
    template_version = models.ForeignKey(
        TemplateVersion, on_delete=models.PROTECT, related_name="jobs", verbose_name=_("checklist version")
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("inspector")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.ASSIGNED
    )
    # A local date in the jurisdiction's time zone.
    due_date = models.DateField(_("due date"))
    target_kind = models.CharField(_("target kind"), max_length=20, choices=TargetKind.choices)
    # The venue, service request or initiative segment the job inspects, when it is a record.
    target_id = models.BigIntegerField(_("target id"), null=True, blank=True)
    target_label = models.CharField(_("target"), max_length=300)
    target_location = models.PointField(_("target location"), srid=STORAGE_SRID)
    # A follow-up of a service request: its result resolves or reopens the request.
    service_request = models.ForeignKey(
        "service_requests.ServiceRequest",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service request"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("inspection job")
        verbose_name_plural = _("inspection jobs")
        indexes = [
            models.Index(fields=["inspector", "status", "due_date"], name="insp_job_inspector_day"),
            models.Index(fields=["jurisdiction", "due_date"], name="insp_job_jurisdiction_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in JobStatus]), name="insp_job_status_known"
            ),
            models.CheckConstraint(
                condition=Q(target_kind__in=[k.value for k in TargetKind]), name="insp_job_target_kind_known"
            ),
            models.CheckConstraint(
                condition=(Q(status=JobStatus.DONE) & Q(done_at__isnull=False))
                | (~Q(status=JobStatus.DONE) & Q(done_at__isnull=True)),
                name="insp_job_done_at_when_done",
            ),
            models.CheckConstraint(
                condition=(Q(status=JobStatus.CANCELLED) & Q(cancelled_at__isnull=False))
                | (~Q(status=JobStatus.CANCELLED) & Q(cancelled_at__isnull=True)),
                name="insp_job_cancelled_at_when_cancelled",
            ),
            models.CheckConstraint(
                condition=~Q(target_kind__in=[k.value for k in TARGETS_WITH_RECORD])
                | Q(target_id__isnull=False),
                name="insp_job_record_target_has_id",
            ),
            models.CheckConstraint(
                condition=(
                    Q(target_kind=TargetKind.SERVICE_REQUEST)
                    & Q(service_request__isnull=False)
                    & Q(target_id__isnull=False)
                    & Q(target_id=F("service_request"))
                )
                | (~Q(target_kind=TargetKind.SERVICE_REQUEST) & Q(service_request__isnull=True)),
                name="insp_job_request_target_is_the_request",
            ),
            # A request has at most one open follow-up: assigning it again hands that one over.
            models.UniqueConstraint(
                fields=["service_request"],
                condition=Q(status=JobStatus.ASSIGNED),
                name="insp_job_one_open_followup",
            ),
            *geometry_constraints("insp_job", "target_location", nullable=False),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.target_label} ({self.status})"


class Flag(models.TextChoices):
    """Why an accepted inspection deserves a supervisor's look."""

    GPS_INACCURATE = "gps_inaccurate", _("GPS position less precise than required")
    TOO_FAR = "too_far_from_target", _("farther from the target than allowed")
    NO_POSITION = "no_position", _("no GPS position")


def _photo_path(instance: InspectionPhoto, filename: str) -> str:
    return f"inspections/{instance.inspection.uuid}/{filename}"


class Inspection(models.Model):
    """A filled checklist as a tablet sent it, keyed by the tablet's UUID, with the server's score."""

    uuid = models.UUIDField(_("UUID"), unique=True)
    job = models.OneToOneField(
        InspectionJob, on_delete=models.PROTECT, related_name="inspection", verbose_name=_("job")
    )
    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    template_version = models.ForeignKey(
        TemplateVersion,
        on_delete=models.PROTECT,
        related_name="inspections",
        verbose_name=_("checklist version"),
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("inspector")
    )
    answers = models.JSONField(_("answers"), default=dict)
    position = models.PointField(_("position"), srid=STORAGE_SRID, null=True, blank=True)
    accuracy_m = models.FloatField(_("GPS accuracy (metres)"), null=True, blank=True)
    # Metres between the position and the job's target, on the spheroid (geography).
    distance_m = models.FloatField(_("distance from the target (metres)"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    score = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    passed = models.BooleanField(_("passed"))
    failed_critical = models.JSONField(_("failed critical items"), default=list, blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    # Complete when every declared photo has arrived; then the job is done.
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    device_id = models.CharField(_("device"), max_length=36, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="insp_inspection_score_range"
            ),
            models.CheckConstraint(
                condition=Q(accuracy_m__isnull=True) | Q(accuracy_m__gte=0), name="insp_inspection_accuracy"
            ),
            models.CheckConstraint(
                condition=(Q(position__isnull=True) & Q(accuracy_m__isnull=True) & Q(distance_m__isnull=True))
                | (Q(position__isnull=False) & Q(accuracy_m__isnull=False) & Q(distance_m__isnull=False)),
                name="insp_inspection_position_whole",
            ),
            models.CheckConstraint(
                condition=Q(finished_at__gte=F("started_at")), name="insp_inspection_finished_after_start"
            ),
            models.CheckConstraint(
                condition=Q(Exact(_json_type("answers"), "object"))
                & Q(Exact(_json_type("failed_critical"), "array"))
                & Q(Exact(_json_type("flags"), "array")),
                name="insp_inspection_json_shapes",
            ),
            *geometry_constraints("insp_inspection", "position", nullable=True),
        ]

    def __str__(self) -> str:
        return str(self.uuid)


class InspectionPhoto(models.Model):
    """A photo an inspection declared (uuid, item, SHA-256 of the bytes the tablet holds); the cleaned
    image arrives separately and may come later than the inspection."""

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="photos")
    uuid = models.UUIDField(_("UUID"))
    item_key = models.SlugField(_("item"), max_length=60)
    sha256 = models.CharField(_("SHA-256 of the original"), max_length=64)
    image = models.ImageField(upload_to=_photo_path, blank=True)
    thumbnail = models.ImageField(upload_to=_photo_path, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    taken_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)

    class Meta:
        ordering = ["inspection_id", "id"]
        verbose_name = _("inspection photo")
        verbose_name_plural = _("inspection photos")
        constraints = [
            models.UniqueConstraint(fields=["inspection", "uuid"], name="insp_photo_unique_uuid"),
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="insp_photo_sha256_hex"
            ),
            models.CheckConstraint(
                condition=(Q(received_at__isnull=True) & Q(image=""))
                | (Q(received_at__isnull=False) & ~Q(image="")),
                name="insp_photo_image_when_received",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.uuid} ({self.item_key})"


class AuditAction(models.TextChoices):
    JOB_CREATED = "job_created", _("job created")
    JOB_ASSIGNED = "job_assigned", _("job assigned to another inspector")
    JOB_CANCELLED = "job_cancelled", _("job cancelled")
    INSPECTION_RECEIVED = "inspection_received", _("inspection received")
    PHOTO_RECEIVED = "photo_received", _("photo received")
    JOB_DONE = "job_done", _("job done")
    TEMPLATE_PUBLISHED = "template_published", _("checklist version published")
    REQUEST_UPDATED = "request_updated", _("service request updated from an inspection")
    REQUEST_NOT_UPDATED = "request_not_updated", _("service request left as it was after an inspection")


class AuditEvent(models.Model):
    """Who changed what, when, from which device. Only ever added to (a trigger refuses the rest)."""

    jurisdiction = models.ForeignKey(
        Jurisdiction, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    # The X-Device-Id the tablet app sends (a UUID it creates once); empty from other clients.
    device_id = models.CharField(_("device"), max_length=36, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    action = models.CharField(_("action"), max_length=30, choices=AuditAction.choices)
    job = models.ForeignKey(InspectionJob, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    inspection = models.ForeignKey(
        Inspection, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    template_version = models.ForeignKey(
        TemplateVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    service_request = models.ForeignKey(
        "service_requests.ServiceRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=[a.value for a in AuditAction]), name="insp_audit_action_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
