"""Service request categories, routing rules, requests and their history.

The database holds the invariants: a request always has its district and department, its status is
one of the workflow's, a duplicate always points at the request it duplicates (never itself), and
the location is a valid, non-empty EPSG:4326 point.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from geo_services.core.models import STORAGE_SRID, Department, District, Jurisdiction, geometry_constraints


class AttributeType(models.TextChoices):
    """The Open311 GeoReport v2 attribute datatypes."""

    STRING = "string", _("short text")
    NUMBER = "number", _("number")
    DATETIME = "datetime", _("date and time")
    TEXT = "text", _("long text")
    SINGLE_VALUE_LIST = "singlevaluelist", _("one choice")
    MULTI_VALUE_LIST = "multivaluelist", _("several choices")


class ServiceCategory(models.Model):
    """What a citizen can report (an Open311 "service"): street light out, pothole, tree pruning…"""

    jurisdiction = models.ForeignKey(
        Jurisdiction,
        on_delete=models.PROTECT,
        related_name="service_categories",
        verbose_name=_("jurisdiction"),
    )
    code = models.SlugField(_("service code"), max_length=80)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_ar = models.TextField(_("description (Arabic)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    group = models.CharField(_("group"), max_length=100, blank=True)
    keywords = models.CharField(_("keywords"), max_length=500, blank=True, help_text=_("Comma-separated."))
    # Expected hours from report to resolution; the request's expected_datetime comes from it.
    sla_hours = models.PositiveIntegerField(_("expected hours to resolve"))
    default_department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("default department")
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["jurisdiction_id", "group", "code"]  # no join: a default order must stay cheap
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "code"], name="sr_category_unique_code"),
            models.CheckConstraint(condition=Q(sla_hours__gt=0), name="sr_category_sla_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name_ar} / {self.name_en} ({self.code})"


class CategoryAttribute(models.Model):
    """An extra question of a category (Open311 service definition attribute)."""

    category = models.ForeignKey(ServiceCategory, on_delete=models.CASCADE, related_name="attributes")
    code = models.SlugField(_("code"), max_length=80)
    datatype = models.CharField(_("type"), max_length=20, choices=AttributeType.choices)
    required = models.BooleanField(_("required"), default=False)
    order = models.PositiveIntegerField(_("order"), default=0)
    description_ar = models.CharField(_("question (Arabic)"), max_length=300)
    description_en = models.CharField(_("question (English)"), max_length=300)
    # For the list types: [{"key": "...", "name_ar": "...", "name_en": "..."}, ...]
    values = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        ordering = ["category_id", "order", "code"]
        verbose_name = _("category question")
        verbose_name_plural = _("category questions")
        constraints = [
            models.UniqueConstraint(fields=["category", "code"], name="sr_attribute_unique_code"),
            models.CheckConstraint(
                condition=Q(datatype__in=[t.value for t in AttributeType]), name="sr_attribute_datatype_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category.code}/{self.code}"

    @property
    def value_keys(self) -> list[str]:
        return [str(v["key"]) for v in self.values]


class RoutingRule(models.Model):
    """In this district, this category goes to this department (else the category's default)."""

    category = models.ForeignKey(ServiceCategory, on_delete=models.CASCADE, related_name="routing_rules")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        constraints = [
            models.UniqueConstraint(fields=["category", "district"], name="sr_routing_one_rule_per_district"),
        ]

    def __str__(self) -> str:
        return f"{self.category.code} @ {self.district.code} -> {self.department.code}"


class Status(models.TextChoices):
    NEW = "new", _("new")
    ASSIGNED = "assigned", _("assigned")
    IN_PROGRESS = "in_progress", _("in progress")
    RESOLVED = "resolved", _("resolved")
    DUPLICATE = "duplicate", _("duplicate")
    NOT_ACTIONABLE = "not_actionable", _("not actionable")
    REFERRED = "referred", _("referred")


OPEN_STATUSES = (Status.NEW, Status.ASSIGNED, Status.IN_PROGRESS)
CLOSED_STATUSES = (Status.RESOLVED, Status.DUPLICATE, Status.NOT_ACTIONABLE, Status.REFERRED)


class Open311ApiKey(models.Model):
    """A client application allowed to POST requests. Only the key's SHA-256 is stored."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.CASCADE, related_name="open311_keys")
    name = models.CharField(_("name"), max_length=200)
    key_sha256 = models.CharField(max_length=64, unique=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")

    def __str__(self) -> str:
        return self.name


def _photo_path(instance: ServiceRequest, filename: str) -> str:
    return f"requests/{instance.token}/{filename}"


class ServiceRequest(models.Model):
    """A citizen's report: a point, a category, routed to a district and a department."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="requests")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")
    location = models.PointField(_("location"), srid=STORAGE_SRID)
    address = models.CharField(_("address"), max_length=500, blank=True)
    description = models.TextField(_("description"), blank=True)
    attributes = models.JSONField(_("answers"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    # The public handle for a citizen's status page and Open311 tokens/{token}.
    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_at = models.DateTimeField(_("reported at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    expected_at = models.DateTimeField(_("expected resolution"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="duplicates"
    )
    # Personal data: never in a public response.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="service_requests",
    )
    contact_first_name = models.CharField(max_length=100, blank=True)
    contact_last_name = models.CharField(max_length=100, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    device_id = models.CharField(max_length=100, blank=True)
    api_key = models.ForeignKey(
        Open311ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Citizens who follow this request (the reporter, and reporters of merged duplicates).
    followers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="followed_requests")
    photo = models.ImageField(upload_to=_photo_path, blank=True)
    photo_thumbnail = models.ImageField(upload_to=_photo_path, blank=True)
    photo_taken_at = models.DateTimeField(null=True, blank=True)
    media_url = models.URLField(_("media URL"), blank=True, max_length=1000)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [
            models.Index(fields=["department", "status"], name="sr_request_queue"),
            models.Index(fields=["category", "status", "requested_at"], name="sr_request_dup_window"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in Status]), name="sr_request_status_known"
            ),
            models.CheckConstraint(
                condition=(Q(status=Status.DUPLICATE) & Q(duplicate_of__isnull=False))
                | (~Q(status=Status.DUPLICATE) & Q(duplicate_of__isnull=True)),
                name="sr_request_duplicate_points_to_survivor",
            ),
            models.CheckConstraint(
                condition=~Q(duplicate_of=models.F("pk")), name="sr_request_not_duplicate_of_itself"
            ),
            models.CheckConstraint(
                condition=(Q(status__in=[s.value for s in CLOSED_STATUSES]) & Q(closed_at__isnull=False))
                | (Q(status__in=[s.value for s in OPEN_STATUSES]) & Q(closed_at__isnull=True)),
                name="sr_request_closed_at_when_closed",
            ),
            *geometry_constraints("sr_request", "location", nullable=False),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.category_id} {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class StatusChange(models.Model):
    """One step of a request's history: who changed what, when, and what the citizen is told."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    note = models.TextField(blank=True)
    # A public note is shown to the citizen (Open311 status_notes); others are staff-only.
    public = models.BooleanField(default=False)

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
