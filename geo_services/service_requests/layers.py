"""The service requests app's layer: where citizens reported what, with public fields only."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from geo_services.service_requests.models import ServiceRequest
from layers.registry import Attribute, Layer, register

register(
    Layer(
        id="service-requests",
        title_ar="البلاغات",
        title_en="Service requests",
        description_ar="بلاغات المواطنين على الخريطة: الفئة والمنطقة والحالة والتواريخ، دون أي بيانات شخصية.",
        description_en=(
            "Citizens' reports on the map: category, district, status and dates, without any personal data."
        ),
        # A view of the requests table without free text or contact columns (migration 0004).
        table="service_requests_public_layer",
        id_column="id",
        geometry_column="location",
        geometry_type="Point",
        attributes=(
            Attribute("status", "status", "string", _("status")),
            Attribute("jurisdiction", "jurisdiction_code", "string", _("municipality")),
            Attribute("category", "category_code", "string", _("category")),
            Attribute("category_name_ar", "category_name_ar", "string", _("category (Arabic)")),
            Attribute("category_name_en", "category_name_en", "string", _("category (English)")),
            Attribute("district_code", "district_code", "string", _("district code")),
            Attribute("requested_at", "requested_at", "string", _("reported at")),
            Attribute("updated_at", "updated_at", "string", _("updated at")),
            Attribute("expected_at", "expected_at", "string", _("expected resolution")),
            Attribute("closed_at", "closed_at", "string", _("closed at")),
        ),
        temporal_column="requested_at",
        model=ServiceRequest,
    )
)
