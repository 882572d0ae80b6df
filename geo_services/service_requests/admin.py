"""Admin for service categories (with their questions), routing rules, requests and API keys."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from leaflet.admin import LeafletGeoAdmin

from geo_services.service_requests.models import (
    CategoryAttribute,
    Open311ApiKey,
    RoutingRule,
    ServiceCategory,
    ServiceRequest,
    StatusChange,
)


class CategoryAttributeInline(admin.TabularInline):
    model = CategoryAttribute
    extra = 0


class RoutingRuleInline(admin.TabularInline):
    model = RoutingRule
    extra = 0
    autocomplete_fields = ("district", "department")


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name_ar", "name_en", "group", "sla_hours", "default_department", "active")
    list_filter = ("jurisdiction", "group", "active")
    search_fields = ("code", "name_ar", "name_en", "keywords")
    inlines = (CategoryAttributeInline, RoutingRuleInline)


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "changed_by", "changed_at", "note", "public")

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # History is written by the workflow (services.change_status), not by hand.
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(LeafletGeoAdmin):
    list_display = ("id", "category", "district", "department", "status", "requested_at", "expected_at")
    list_filter = ("jurisdiction", "status", "category", "department")
    search_fields = ("id", "description", "address")
    list_select_related = ("category", "district", "department")
    # Routing, status and history belong to the workflow; the admin shows them.
    readonly_fields = (
        "jurisdiction",
        "district",
        "department",
        "status",
        "token",
        "requested_at",
        "updated_at",
        "expected_at",
        "closed_at",
        "duplicate_of",
        "assigned_to",
        "api_key",
    )
    inlines = (StatusChangeInline,)


@admin.register(Open311ApiKey)
class Open311ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made with `manage.py create_open311_key`; here they are listed and switched off."""

    list_display = ("name", "jurisdiction", "active", "created_at")
    list_filter = ("jurisdiction", "active")
    fields = ("name", "jurisdiction", "active", "created_at")
    readonly_fields = ("jurisdiction", "created_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
