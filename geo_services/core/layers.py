"""The core app's layers for the layer engine (OGC API Features and, later, tiles and exports)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from geo_services.core.models import District
from layers.registry import Attribute, Layer, register

register(
    Layer(
        id="districts",
        title_ar="المناطق",
        title_en="Districts",
        description_ar="المناطق الإدارية لكل أمانة: الوحدة التي تُوجَّه بها البلاغات.",
        description_en="The administrative districts of each municipality: the unit requests are routed by.",
        # A view of the districts table with the municipality code (migration 0006).
        table="core_district_layer",
        id_column="id",
        geometry_column="geom",
        geometry_type="MultiPolygon",
        attributes=(
            Attribute("code", "code", "string", _("code")),
            Attribute("name_ar", "name_ar", "string", _("name (Arabic)")),
            Attribute("name_en", "name_en", "string", _("name (English)")),
            Attribute("population", "population", "integer", _("population")),
            Attribute("jurisdiction", "jurisdiction_code", "string", _("municipality")),
        ),
        model=District,
    )
)
