"""The venues app's layers for the layer engine (OGC API Features and, later, tiles and exports)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from geo_services.venues.models import Venue
from layers.registry import Attribute, Layer, register

register(
    Layer(
        id="venues",
        title_ar="المرافق",
        title_en="Venues",
        description_ar="القاعات والمراكز الثقافية والمجتمعية والمكتبات والملاعب والحدائق التي يجدها المواطنون على الخريطة.",
        description_en="Halls, cultural and community centres, libraries, pitches and parks citizens find on the map.",
        # A view of the venues table with the district and municipality codes (migration 0006).
        table="venues_layer",
        id_column="id",
        geometry_column="location",
        geometry_type="Point",
        attributes=(
            Attribute("code", "code", "string", _("code")),
            Attribute("kind", "kind", "string", _("kind")),
            Attribute("name_ar", "name_ar", "string", _("name (Arabic)")),
            Attribute("name_en", "name_en", "string", _("name (English)")),
            Attribute("capacity", "capacity", "integer", _("capacity")),
            Attribute("district_code", "district_code", "string", _("district code")),
            Attribute("jurisdiction", "jurisdiction_code", "string", _("municipality")),
        ),
        # Venues taken off the map (inactive) are not published, as in the citizens' search.
        public_condition="active",
        model=Venue,
    )
)
