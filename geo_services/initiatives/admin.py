"""Admin for initiatives (with a map), partners and the progress history.

Measures, district and district shares are the database's (triggers); progress and status move
only by progress updates, so they are read-only here. Progress updates are added through the API
(and later the field app), where the photo is cleaned; the admin lists them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from leaflet.admin import LeafletGeoAdmin

from geo_services.core.errors import InvalidInput
from geo_services.initiatives.models import (
    FEATURE_TYPES_OF_KIND,
    Initiative,
    InitiativeDistrictShare,
    Partner,
    ProgressUpdate,
)
from geo_services.initiatives.services import check_shape


class InitiativeForm(forms.ModelForm):
    """The shape rules of the service (type, length, validity, inside the districts) as form errors,
    before the database would refuse the row."""

    # No Meta: the admin builds it with the fields it shows.

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        jurisdiction, kind = cleaned.get("jurisdiction"), cleaned.get("kind")
        feature_type, shape = cleaned.get("feature_type"), cleaned.get("geom")
        if (
            jurisdiction is None
            or shape is None
            or feature_type not in FEATURE_TYPES_OF_KIND.get(kind or "", ())
        ):
            return cleaned  # the field errors or the kind's CHECK already say what is missing
        try:
            check_shape(jurisdiction=jurisdiction, feature_type=feature_type, shape=shape)
        except InvalidInput as problem:
            self.add_error("geom", problem.message)
        return cleaned


class DistrictShareInline(admin.TabularInline):
    model = InitiativeDistrictShare
    extra = 0
    fields = ("district", "share", "length_m", "area_m2")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class ProgressUpdateInline(admin.TabularInline):
    model = ProgressUpdate
    extra = 0
    fields = ("created_at", "percent", "note", "author", "photo")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Initiative)
class InitiativeAdmin(LeafletGeoAdmin):
    form = InitiativeForm
    list_display = ("code", "name_ar", "name_en", "feature_type", "status", "progress_percent", "district")
    list_filter = ("jurisdiction", "kind", "feature_type", "status")
    search_fields = ("code", "name_ar", "name_en")
    list_select_related = ("district",)
    readonly_fields = ("status", "progress_percent", "district", "length_m", "area_m2")
    filter_horizontal = ("partners",)
    inlines = (DistrictShareInline, ProgressUpdateInline)


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ("name_ar", "name_en", "kind", "jurisdiction")
    list_filter = ("jurisdiction", "kind")
    search_fields = ("name_ar", "name_en")
