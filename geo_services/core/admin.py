"""Admin for jurisdictions, districts and departments, with Leaflet map widgets served locally."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletGeoAdmin

from geo_services.core.models import Department, District, Jurisdiction, StaffMember

admin.site.site_header = _("Amanah administration")
admin.site.site_title = _("Amanah")
admin.site.index_title = _("Municipal data")


@admin.register(Jurisdiction)
class JurisdictionAdmin(LeafletGeoAdmin):
    list_display = ("code", "name_en", "name_ar", "time_zone")
    search_fields = ("code", "name_en", "name_ar")
    readonly_fields = ("created_at", "updated_at")


@admin.register(District)
class DistrictAdmin(LeafletGeoAdmin):
    list_display = ("code", "name_en", "name_ar", "jurisdiction", "population")
    list_filter = ("jurisdiction",)
    search_fields = ("code", "name_en", "name_ar")
    readonly_fields = ("created_at", "updated_at")
    list_select_related = ("jurisdiction",)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name_en", "name_ar", "jurisdiction", "contact_email")
    list_filter = ("jurisdiction",)
    search_fields = ("code", "name_en", "name_ar")


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ("user", "jurisdiction", "department")
    list_filter = ("jurisdiction", "department")
    filter_horizontal = ("districts",)
    search_fields = ("user__username",)
