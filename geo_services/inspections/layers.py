"""The inspections app's layer: inspection jobs at their targets with their results, for staff."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from geo_services.core.roles import Role
from geo_services.inspections.models import InspectionJob
from layers.registry import Attribute, Layer, register

register(
    Layer(
        id="inspections",
        title_ar="التفتيش",
        title_en="Inspections",
        description_ar="مهام التفتيش في مواقعها ونتائجها. للموظفين فقط.",
        description_en="Inspection jobs at their targets and their results. Staff only.",
        # A view joining each job to its inspection (migration 0003); no inspector names, no answers.
        table="inspections_layer",
        id_column="id",
        geometry_column="target_location",
        geometry_type="Point",
        attributes=(
            Attribute("status", "status", "string", _("status")),
            Attribute("jurisdiction", "jurisdiction_code", "string", _("municipality")),
            Attribute("district_code", "district_code", "string", _("district code")),
            Attribute("target_kind", "target_kind", "string", _("target kind")),
            Attribute("target", "target_label", "string", _("target")),
            Attribute("service_request", "service_request_id", "integer", _("service request")),
            Attribute("due_date", "due_date", "string", _("due date")),
            Attribute("done_at", "done_at", "string", _("done at")),
            Attribute("score", "score", "number", _("score")),
            Attribute("passed", "passed", "boolean", _("passed")),
            Attribute("finished_at", "finished_at", "string", _("finished at")),
        ),
        # Planners read every job of the layer; dispatchers see theirs, scoped by department and
        # district, on /dispatch/inspections/, and inspectors their own day in the field app.
        readers=frozenset({Role.PLANNER, Role.ADMIN}),
        temporal_column="due_date",
        model=InspectionJob,
    )
)
