"""Admin for venues (with a map), their spaces, opening hours and exceptions, and bookings."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _
from leaflet.admin import LeafletGeoAdmin

from geo_services.venues.models import Booking, Course, OpeningException, OpeningHours, Space, Venue
from geo_services.venues.selectors import bookings_colliding_if_moved


class SpaceForm(forms.ModelForm):
    """Moving a space under another parent changes what its bookings hold; a move that would make
    two live bookings overlap is refused here with their numbers (the database refuses it anyway)."""

    # No Meta: the admin builds it with the fields each admin (page or inline) shows.
    instance: Space

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        parent = cleaned.get("parent")
        if self.instance.pk is None or "parent" in self.errors:
            return cleaned  # a new space has no bookings to collide
        parent_id = parent.pk if parent is not None else None
        if parent_id == self.instance.parent_id:
            return cleaned
        venue = cleaned.get("venue")
        moved = Space(pk=self.instance.pk, venue_id=venue.pk if venue is not None else self.instance.venue_id)
        pairs = bookings_colliding_if_moved(moved, parent_id)
        if pairs:
            listed = ", ".join(f"#{first} / #{second}" for first, second in pairs)
            raise forms.ValidationError(
                _("This move would make live bookings overlap: %(pairs)s. Cancel or move them first.")
                % {"pairs": listed}
            )
        return cleaned


class SpaceInline(admin.TabularInline):
    model = Space
    form = SpaceForm
    extra = 0
    fields = ("code", "name_ar", "name_en", "parent", "bookable", "slot_minutes", "price_per_hour")
    show_change_link = True


@admin.register(Venue)
class VenueAdmin(LeafletGeoAdmin):
    list_display = ("code", "name_ar", "name_en", "kind", "district", "active")
    list_filter = ("jurisdiction", "kind", "active")
    search_fields = ("code", "name_ar", "name_en")
    list_select_related = ("district",)
    inlines = (SpaceInline,)


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class OpeningExceptionInline(admin.TabularInline):
    model = OpeningException
    extra = 0


@admin.register(Space)
class SpaceAdmin(admin.ModelAdmin):
    form = SpaceForm
    list_display = (
        "__str__",
        "name_ar",
        "name_en",
        "parent",
        "bookable",
        "approval_required",
        "price_per_hour",
    )
    list_filter = ("venue__jurisdiction", "bookable", "approval_required")
    search_fields = ("code", "name_ar", "name_en", "venue__code")
    list_select_related = ("venue", "parent")
    inlines = (OpeningHoursInline, OpeningExceptionInline)


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    """Read-only: bookings change only through the booking rules (API and pages), which turn a
    collision into a clear answer; an edit here could only meet the database's refusal."""

    list_display = ("id", "space", "user", "during", "status", "is_block")
    list_filter = ("status", "is_block", "space__venue__jurisdiction")
    list_select_related = ("space__venue", "user")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("id", "title", "space", "user", "created_at")
    list_select_related = ("space__venue", "user")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
