"""Admin for initiatives (with a map), partners (with their served areas on a map), service kinds,
residents' proposals (read, decided through the API), work days and the progress history.

Measures, district and district shares are the database's (triggers); progress and status move
only by progress updates, so they are read-only here. Progress updates are added through the API
(and later the field app), where the photo is cleaned; the admin lists them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext as _
from leaflet.admin import LeafletGeoAdmin

from geo_services.core.errors import InvalidInput
from geo_services.initiatives.models import (
    FEATURE_TYPES_OF_KIND,
    Initiative,
    InitiativeDistrictShare,
    Partner,
    ProgressUpdate,
    Proposal,
    ProposalStatusChange,
    ServiceKind,
    VolunteerSignup,
    WorkDay,
)
from geo_services.initiatives.services import check_shape, check_valid, check_within_districts


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


class PartnerForm(forms.ModelForm):
    """The partner rules of the service (a valid drawn area within the districts, whole districts of
    the partner's own jurisdiction) as form errors, before the database would refuse the row."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        jurisdiction = cleaned.get("jurisdiction")
        if jurisdiction is None:
            return cleaned
        area = cleaned.get("served_area")
        if area is not None:
            try:
                check_valid(area)
                check_within_districts(jurisdiction=jurisdiction, shape=area)
            except InvalidInput as problem:
                self.add_error("served_area", problem.message)
        foreign = [d for d in cleaned.get("districts") or () if d.jurisdiction_id != jurisdiction.pk]
        if foreign:
            self.add_error(
                "districts",
                _("%(jurisdiction)s has no district %(codes)s.")
                % {"jurisdiction": jurisdiction, "codes": ", ".join(d.code for d in foreign)},
            )
        return cleaned


@admin.register(ServiceKind)
class ServiceKindAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ar", "name_en")
    search_fields = ("code", "name_ar", "name_en")


@admin.register(Partner)
class PartnerAdmin(LeafletGeoAdmin):
    form = PartnerForm
    list_display = ("name_ar", "name_en", "kind", "active", "jurisdiction")
    list_filter = ("jurisdiction", "kind", "active", "services")
    search_fields = ("name_ar", "name_en")
    filter_horizontal = ("services", "districts")


class StatusChangeInline(admin.TabularInline):
    model = ProposalStatusChange
    extra = 0
    fields = ("created_at", "previous_status", "status", "changed_by", "reason")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Proposal)
class ProposalAdmin(LeafletGeoAdmin):
    """Residents' proposals come from the portal and are decided through the API (accept / decline,
    which keep the rules); here they are read, and a title or description can be corrected."""

    list_display = ("title", "status", "supporters_count", "district", "created_at")
    list_filter = ("jurisdiction", "status")
    search_fields = ("title", "description")
    list_select_related = ("district",)
    readonly_fields = (
        "jurisdiction",
        "proposer",
        "district",
        "status",
        "supporters_count",
        "initiative",
        "decision_reason",
        "decided_by",
        "decided_at",
        "photo",
        "photo_thumbnail",
        "created_at",
    )
    inlines = (StatusChangeInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class SignupInline(admin.TabularInline):
    model = VolunteerSignup
    extra = 0
    fields = ("user", "created_at")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(WorkDay)
class WorkDayAdmin(admin.ModelAdmin):
    list_display = ("initiative", "day", "starts_at", "place", "capacity", "signups_count")
    list_filter = ("jurisdiction",)
    list_select_related = ("initiative",)
    readonly_fields = ("jurisdiction", "day", "signups_count")
    raw_id_fields = ("initiative",)
    inlines = (SignupInline,)
