"""Admin for venues (with a map), their spaces, opening hours and exceptions, and bookings."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from leaflet.admin import LeafletGeoAdmin

from geo_services.venues.models import Booking, Course, OpeningException, OpeningHours, Space, Venue


class SpaceInline(admin.TabularInline):
    model = Space
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
