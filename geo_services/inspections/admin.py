"""Admin for checklist templates (saving a changed checklist publishes a new version), jobs (created,
reassigned and cancelled through the services), and read-only inspections, versions and audit trail."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from leaflet.admin import LeafletAdminWidget

from geo_services.core.errors import DomainError
from geo_services.core.roles import Role
from geo_services.inspections import services
from geo_services.inspections.checklists import ITEM_COLUMNS, item_spec, parse_items
from geo_services.inspections.models import (
    AuditEvent,
    ChecklistItem,
    ChecklistTemplate,
    Inspection,
    InspectionJob,
    InspectionPhoto,
    JobStatus,
    TargetKind,
    TemplateVersion,
)


def _audit(request: HttpRequest) -> services.Audit:
    return services.Audit(
        actor=request.user,  # type: ignore[arg-type]
        user_agent=request.headers.get("User-Agent", "")[: services.USER_AGENT_LENGTH],
    )


class _ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


# --- Templates --------------------------------------------------------------------------------------


class ChecklistJSONField(forms.JSONField):
    """Items shown indented and with Arabic as it is, so a person can edit them."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return json.dumps(value, ensure_ascii=False, indent=2)
        return super().prepare_value(value)


class ChecklistTemplateForm(forms.ModelForm):
    """The template's names, and its checklist: saving a changed checklist publishes a new version."""

    min_gps_accuracy_m = forms.FloatField(
        label=_("required GPS accuracy (metres)"), min_value=0.1, initial=25
    )
    max_distance_m = forms.FloatField(
        label=_("greatest distance from the target (metres)"), min_value=1, initial=100
    )
    pass_score = forms.DecimalField(
        label=_("pass score (0-100)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=2,
        initial=70,
    )
    items = ChecklistJSONField(
        label=_("items"),
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100, "dir": "ltr"}),
        help_text=_(
            "A list of items, each with key, type (yes_no, score, number, text, choice, photo), label_ar, "
            "label_en, weight, critical, required, and max_score (score), min_value/max_value (number) or "
            "choices [{value, label_ar, label_en, points 0-1}] (choice). Saving a change publishes a new version."
        ),
    )
    note = forms.CharField(label=_("what changed"), max_length=500, required=False)

    class Meta:
        model = ChecklistTemplate
        fields = ("jurisdiction", "code", "kind", "name_ar", "name_en", "active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        latest = self.instance.versions.order_by("-number").first() if self.instance.pk else None
        if latest is not None:
            self.fields["jurisdiction"].disabled = True
            self.fields["code"].disabled = True
            self.initial.update(
                min_gps_accuracy_m=latest.min_gps_accuracy_m,
                max_distance_m=latest.max_distance_m,
                pass_score=latest.pass_score,
                items=[item_spec(item).as_document() for item in latest.items.all()],
            )

    def clean_items(self) -> Any:
        try:
            return parse_items(self.cleaned_data.get("items"))
        except DomainError as problem:
            raise forms.ValidationError(problem.message) from None


class TemplateVersionInline(_ReadOnlyInline):
    model = TemplateVersion
    fields = (
        "number",
        "published_at",
        "published_by",
        "pass_score",
        "min_gps_accuracy_m",
        "max_distance_m",
        "note",
    )
    readonly_fields = fields
    ordering = ("-number",)


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(admin.ModelAdmin):
    form = ChecklistTemplateForm
    list_display = ("code", "kind", "name_ar", "name_en", "active", "jurisdiction")
    list_filter = ("jurisdiction", "kind", "active")
    search_fields = ("code", "name_ar", "name_en")
    inlines = (TemplateVersionInline,)

    def save_model(
        self, request: HttpRequest, obj: ChecklistTemplate, form: forms.Form, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        data = form.cleaned_data
        # The same function the API and the demo use: a new version only when the checklist changed.
        version, published = services.publish_template_version(
            audit=_audit(request),
            template_id=obj.pk,
            items=data["items"],
            min_gps_accuracy_m=data["min_gps_accuracy_m"],
            max_distance_m=data["max_distance_m"],
            pass_score=data["pass_score"],
            note=data.get("note", ""),
        )
        if published:
            messages.info(
                request, _("Version %(number)s of the checklist is published.") % {"number": version.number}
            )

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # versions, jobs and inspections keep pointing at it; set it inactive instead


class ChecklistItemInline(_ReadOnlyInline):
    model = ChecklistItem
    fields = ("position", *ITEM_COLUMNS, "choices")
    readonly_fields = fields


@admin.register(TemplateVersion)
class TemplateVersionAdmin(_ReadOnlyAdmin):
    """Published versions never change; a new one is published from the template's page."""

    list_display = ("template", "number", "published_at", "published_by", "pass_score")
    list_filter = ("template__jurisdiction", "template__kind")
    list_select_related = ("template", "published_by")
    inlines = (ChecklistItemInline,)


# --- Jobs -------------------------------------------------------------------------------------------


def _inspectors() -> QuerySet[Any]:
    return (
        get_user_model()
        .objects.filter(groups__name=Role.INSPECTOR.value, is_active=True)
        .order_by("username")
    )


class JobAddForm(forms.ModelForm):
    """A new job, created by services.create_job (district, jurisdiction and version come from it)."""

    template = forms.ModelChoiceField(
        label=_("checklist template"), queryset=ChecklistTemplate.objects.filter(active=True)
    )
    inspector_user = forms.ModelChoiceField(label=_("inspector"), queryset=_inspectors())
    kind = forms.ChoiceField(
        label=_("target kind"),
        choices=[(k.value, k.label) for k in (TargetKind.POINT, TargetKind.BUSINESS, TargetKind.VENUE)],
    )
    venue_id = forms.IntegerField(label=_("venue id"), required=False, min_value=1)

    class Meta:
        model = InspectionJob
        fields = ("due_date", "target_location", "target_label")
        # The admin variant brings Leaflet's scripts and styles with it (this admin is not a
        # LeafletGeoAdmin, so nothing else puts them on the page).
        widgets = {"target_location": LeafletAdminWidget()}

    request: HttpRequest | None = None
    created: InspectionJob | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target_location"].required = False
        self.fields["target_label"].required = False
        # The map widget's inline script runs under the page's Content-Security-Policy nonce.
        self.fields["target_location"].widget.csp_nonce = getattr(self.request, "csp_nonce", None)

    def _post_clean(self) -> None:
        """No model validation of a half-built instance: create_job checks the job and the database
        holds its constraints."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors or self.request is None:
            return data
        location = data.get("target_location")
        target = services.JobTarget(
            kind=data["kind"],
            record_id=data.get("venue_id"),
            location=Point(location.x, location.y, srid=4326) if location is not None else None,
            label=data.get("target_label") or "",
        )
        try:
            self.created = services.create_job(
                audit=_audit(self.request),
                template_code=data["template"].code,
                inspector_id=data["inspector_user"].pk,
                due_date=data["due_date"],
                target=target,
            )
        except DomainError as problem:
            raise forms.ValidationError(problem.message) from None
        return data


class JobChangeForm(forms.ModelForm):
    """Another inspector or due date for an open job (services.reassign_job)."""

    class Meta:
        model = InspectionJob
        fields = ("inspector", "due_date")

    request: HttpRequest | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["inspector"].queryset = _inspectors()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors or self.request is None or not self.has_changed():
            return data
        try:
            services.reassign_job(
                audit=_audit(self.request),
                job_id=self.instance.pk,
                inspector_id=data["inspector"].pk,
                due_date=data["due_date"],
            )
        except DomainError as problem:
            raise forms.ValidationError(problem.message) from None
        return data


@admin.action(description=_("Cancel the selected open jobs"))
def cancel_jobs(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[InspectionJob]
) -> None:
    cancelled = 0
    for job in queryset.filter(status=JobStatus.ASSIGNED):
        try:
            services.cancel_job(
                audit=_audit(request), job_id=job.pk, reason=str(_("Cancelled in the admin."))
            )
            cancelled += 1
        except DomainError as problem:
            modeladmin.message_user(request, problem.message, messages.WARNING)
    modeladmin.message_user(request, _("%(count)d jobs cancelled.") % {"count": cancelled})


@admin.register(InspectionJob)
class InspectionJobAdmin(admin.ModelAdmin):
    list_display = ("id", "target_label", "target_kind", "inspector", "due_date", "status", "district")
    list_filter = ("jurisdiction", "status", "target_kind", "due_date")
    search_fields = ("id", "target_label")
    list_select_related = ("inspector", "district")
    actions = (cancel_jobs,)
    readonly_fields = (
        "jurisdiction",
        "district",
        "template_version",
        "status",
        "target_kind",
        "target_id",
        "target_label",
        "target_location",
        "service_request",
        "created_by",
        "created_at",
        "done_at",
        "cancelled_at",
        "cancel_reason",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[InspectionJob]:
        return super().get_queryset(request).select_related("district", "inspector").defer("district__geom")

    def get_readonly_fields(self, request: HttpRequest, obj: InspectionJob | None = None) -> Any:
        if obj is None:
            return ()
        if obj.status != JobStatus.ASSIGNED:
            return (*self.readonly_fields, "inspector", "due_date")
        return self.readonly_fields

    def get_fields(self, request: HttpRequest, obj: InspectionJob | None = None) -> Any:
        if obj is None:
            return (
                "template",
                "inspector_user",
                "due_date",
                "kind",
                "venue_id",
                "target_location",
                "target_label",
            )
        return ("inspector", "due_date", *self.readonly_fields)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        base = JobAddForm if obj is None else JobChangeForm
        kwargs["form"] = base
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request  # type: ignore[attr-defined]  # the services need the actor
        return form

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        if not change:
            return form.created  # created by services.create_job in the form's clean
        return InspectionJob.objects.get(pk=form.instance.pk)  # reassigned by the service already

    def save_model(self, request: HttpRequest, obj: InspectionJob, form: Any, change: bool) -> None:
        pass  # the services wrote it (and its audit event)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # cancel instead: the audit trail keeps pointing at it


# --- Inspections and the audit trail (read-only) ------------------------------------------------------


class InspectionPhotoInline(_ReadOnlyInline):
    model = InspectionPhoto
    fields = ("uuid", "item_key", "sha256", "received_at", "width", "height", "image")
    readonly_fields = fields


@admin.register(Inspection)
class InspectionAdmin(_ReadOnlyAdmin):
    """Inspections are what the tablets sent; nobody edits them."""

    list_display = ("uuid", "job", "inspector", "score", "passed", "received_at", "completed_at")
    list_filter = ("jurisdiction", "passed", "template_version__template")
    search_fields = ("uuid",)
    list_select_related = ("job", "inspector")
    inlines = (InspectionPhotoInline,)


@admin.register(AuditEvent)
class AuditEventAdmin(_ReadOnlyAdmin):
    list_display = ("at", "action", "actor", "device_id", "job", "inspection", "service_request")
    list_filter = ("action", "jurisdiction")
    search_fields = ("device_id", "actor__username")
    list_select_related = ("actor", "job", "inspection")
