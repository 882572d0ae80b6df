"""Venues, their bookable spaces (a hierarchy), rules, opening hours, bookings and courses.

The invariant that matters most lives in PostgreSQL: no two live bookings may hold the same piece of
floor at the same time. Every space has a set of *leaf* spaces (itself when it has no children, else
the leaves below it); a trigger copies the booked space's leaves onto each booking, and an exclusion
constraint refuses two live bookings whose leaf sets and time ranges overlap. Booking a hall blocks
its halves and booking a half blocks the hall — whatever writes the row: API, admin, import or SQL.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField
from django.core.exceptions import ValidationError
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from geo_services.core.models import STORAGE_SRID, District, Jurisdiction, geometry_constraints


class VenueKind(models.TextChoices):
    HALL = "hall", _("hall")
    CULTURAL_CENTRE = "cultural_centre", _("cultural centre")
    COMMUNITY_CENTRE = "community_centre", _("community centre")
    LIBRARY = "library", _("library")
    SPORTS_PITCH = "sports_pitch", _("sports pitch")
    PLAYGROUND = "playground", _("playground")
    PARK = "park", _("park")


class Venue(models.Model):
    """A place citizens can find on the map; some have bookable spaces."""

    jurisdiction = models.ForeignKey(Jurisdiction, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=VenueKind.choices)
    code = models.SlugField(_("code"), max_length=80)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    description_ar = models.TextField(_("description (Arabic)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    location = models.PointField(_("location"), srid=STORAGE_SRID)
    footprint = models.PolygonField(_("footprint"), srid=STORAGE_SRID, null=True, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    amenities = models.JSONField(_("amenities"), default=list, blank=True)
    accessibility_ar = models.TextField(_("accessibility (Arabic)"), blank=True)
    accessibility_en = models.TextField(_("accessibility (English)"), blank=True)
    contact_phone = models.CharField(_("phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["jurisdiction_id", "code"]
        verbose_name = _("venue")
        verbose_name_plural = _("venues")
        constraints = [
            models.UniqueConstraint(fields=["jurisdiction", "code"], name="venues_venue_unique_code"),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in VenueKind]), name="venues_venue_kind_known"
            ),
            *geometry_constraints("venues_venue", "location", nullable=False),
            *geometry_constraints("venues_venue", "footprint", nullable=True),
        ]

    def __str__(self) -> str:
        return f"{self.name_ar} / {self.name_en} ({self.code})"


class Space(models.Model):
    """A bookable part of a venue: a hall, one of its halves, a pitch, a half pitch, a room.

    `parent` makes the hierarchy; the rules below apply to bookings of this space.
    """

    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="spaces")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    code = models.SlugField(_("code"), max_length=80)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    bookable = models.BooleanField(_("bookable"), default=True)
    slot_minutes = models.PositiveIntegerField(_("slot length (minutes)"), default=60)
    min_minutes = models.PositiveIntegerField(_("shortest booking (minutes)"), default=60)
    max_minutes = models.PositiveIntegerField(_("longest booking (minutes)"), default=240)
    buffer_minutes = models.PositiveIntegerField(_("gap between bookings (minutes)"), default=0)
    min_notice_hours = models.PositiveIntegerField(_("book at least this many hours ahead"), default=2)
    max_days_ahead = models.PositiveIntegerField(_("book at most this many days ahead"), default=60)
    approval_required = models.BooleanField(_("needs approval"), default=False)
    price_per_hour = models.DecimalField(
        _("price per hour"), max_digits=10, decimal_places=3, default=Decimal(0)
    )
    cancellation_hours = models.PositiveIntegerField(_("cancel at least this many hours before"), default=24)
    max_active_per_user = models.PositiveIntegerField(_("live bookings per person"), default=4)

    class Meta:
        ordering = ["venue_id", "code"]
        verbose_name = _("space")
        verbose_name_plural = _("spaces")
        constraints = [
            models.UniqueConstraint(fields=["venue", "code"], name="venues_space_unique_code"),
            models.CheckConstraint(condition=Q(slot_minutes__gt=0), name="venues_space_slot_positive"),
            models.CheckConstraint(
                condition=Q(min_minutes__lte=F("max_minutes")), name="venues_space_min_le_max"
            ),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="venues_space_not_own_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.venue.code}/{self.code}"

    def clean(self) -> None:
        """The rules of the hierarchy trigger (migration 0004), as form errors: the parent is a space
        of the same venue and neither this space nor one below it."""
        super().clean()
        if self.parent_id is None:
            return
        parent = Space.objects.filter(pk=self.parent_id).values_list("venue_id", "parent_id").first()
        if parent is None:
            return
        if parent[0] != self.venue_id:
            raise ValidationError({"parent": _("The parent must be a space of the same venue.")})
        if self.pk is None:
            return
        seen: set[int | None] = {self.parent_id}
        above: int | None = parent[1]
        while above is not None and above not in seen:
            if above == self.pk:
                break
            seen.add(above)
            above = Space.objects.filter(pk=above).values_list("parent_id", flat=True).first()
        if self.parent_id == self.pk or above == self.pk:
            raise ValidationError(
                {"parent": _("A space cannot be placed under itself or under one of its sub-spaces.")}
            )


class OpeningHours(models.Model):
    """A weekly opening window of a space, in the jurisdiction's local time."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), help_text=_("0 = Monday … 6 = Sunday"))
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    class Meta:
        ordering = ["space_id", "weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="venues_hours_weekday_range"),
            models.CheckConstraint(
                condition=Q(opens__lt=F("closes")), name="venues_hours_opens_before_closes"
            ),
        ]


class OpeningException(models.Model):
    """A dated change to the weekly hours: a holiday or closure (no hours), or special hours (Ramadan)."""

    space = models.ForeignKey(Space, on_delete=models.CASCADE, related_name="opening_exceptions")
    date = models.DateField(_("date"))
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    reason_ar = models.CharField(_("reason (Arabic)"), max_length=200, blank=True)
    reason_en = models.CharField(_("reason (English)"), max_length=200, blank=True)

    class Meta:
        ordering = ["space_id", "date", "opens"]
        verbose_name = _("opening exception")
        verbose_name_plural = _("opening exceptions")
        constraints = [
            # Closed all day (both empty) or open in a window (both set, in order).
            models.CheckConstraint(
                condition=(Q(opens__isnull=True) & Q(closes__isnull=True))
                | (Q(opens__isnull=False) & Q(closes__isnull=False) & Q(opens__lt=F("closes"))),
                name="venues_exception_closed_or_window",
            ),
        ]


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", _("requested")
    CONFIRMED = "confirmed", _("confirmed")
    REJECTED = "rejected", _("rejected")
    CANCELLED = "cancelled", _("cancelled")


LIVE_STATUSES = (BookingStatus.REQUESTED, BookingStatus.CONFIRMED)


class Course(models.Model):
    """A recurring series of sessions booked all-or-nothing (each session is a Booking)."""

    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="courses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="courses")
    title = models.CharField(_("title"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")


class Booking(models.Model):
    """A space held for a time range by a citizen (or blocked by staff)."""

    space = models.ForeignKey(Space, on_delete=models.PROTECT, related_name="bookings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    during = DateTimeRangeField(_("time"))
    status = models.CharField(_("status"), max_length=12, choices=BookingStatus.choices)
    # Staff blocks (maintenance, municipal events) hold the space like a booking.
    is_block = models.BooleanField(_("staff block"), default=False)
    course = models.ForeignKey(
        Course, on_delete=models.CASCADE, null=True, blank=True, related_name="sessions"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    # Written by the database trigger (migration 0002), never by Python: the leaf spaces this booking
    # holds, and the time it holds them — `during` plus the space's gap between bookings.
    leaves = ArrayField(models.IntegerField(), default=list, editable=False)
    held = DateTimeRangeField(null=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["during"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        indexes = [models.Index(fields=["user", "status"], name="venues_booking_user_status")]
        # No overlap is enforced on BookingLeaf (below), whose rows the database writes from these.
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in BookingStatus]), name="venues_booking_status_known"
            ),
            models.CheckConstraint(
                condition=Q(
                    Func(F("during"), function="lower_inf", output_field=models.BooleanField()),
                    _negated=True,
                )
                & Q(
                    Func(F("during"), function="upper_inf", output_field=models.BooleanField()), _negated=True
                )
                & Q(Func(F("during"), function="isempty", output_field=models.BooleanField()), _negated=True),
                name="venues_booking_bounded_nonempty",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.space} {self.during} {self.status}"


class BookingLeaf(models.Model):
    """One leaf space held by one live booking, for the time the booking holds it.

    Written only by the database (migration 0005: a trigger on bookings keeps one row per leaf of
    every live booking; direct writes are refused). The exclusion constraint `venues_booking_no_overlap`
    over (leaf, held time) is what makes double booking impossible; one integer per row keeps its
    GiST index cheap to probe and to insert into at millions of bookings.
    """

    booking = models.ForeignKey(Booking, on_delete=models.DO_NOTHING, related_name="+")
    leaf_id = models.IntegerField()
    held = DateTimeRangeField()

    class Meta:
        verbose_name = _("held leaf space")
        verbose_name_plural = _("held leaf spaces")
