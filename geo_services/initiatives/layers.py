"""The initiatives app's layers for the layer engine: one per geometry type, so every export format
(Shapefile, GeoPackage) gets a single type. All read the view `initiatives_layer` (migration 0002:
the initiative's public columns with its district and jurisdiction codes; no budget, no authors)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from geo_services.initiatives.models import Initiative
from layers.registry import Attribute, GeometryType, Layer, register

LAYER_VIEW = "initiatives_layer"

_COMMON = (
    Attribute("code", "code", "string", _("code")),
    Attribute("jurisdiction", "jurisdiction_code", "string", _("municipality")),
    Attribute("district_code", "district_code", "string", _("district code")),
    Attribute("kind", "kind", "string", _("kind")),
    Attribute("feature_type", "feature_type", "string", _("feature type")),
    Attribute("name_ar", "name_ar", "string", _("name (Arabic)")),
    Attribute("name_en", "name_en", "string", _("name (English)")),
    Attribute("status", "status", "string", _("status")),
    Attribute("progress_percent", "progress_percent", "integer", _("progress (%)")),
    Attribute("planned_start", "planned_start", "string", _("planned start")),
    Attribute("planned_end", "planned_end", "string", _("planned end")),
    Attribute("actual_start", "actual_start", "string", _("actual start")),
    Attribute("actual_end", "actual_end", "string", _("actual end")),
    Attribute("volunteers_count", "volunteers_count", "integer", _("volunteers")),
)


def _initiatives_layer(
    *,
    layer_id: str,
    titles: tuple[str, str],
    descriptions: tuple[str, str],
    geometry_type: GeometryType,
    condition: str,
    extra: tuple[Attribute, ...] = (),
) -> Layer:
    return register(
        Layer(
            id=layer_id,
            title_ar=titles[0],
            title_en=titles[1],
            description_ar=descriptions[0],
            description_en=descriptions[1],
            table=LAYER_VIEW,
            id_column="id",
            geometry_column="geom",
            geometry_type=geometry_type,
            attributes=_COMMON + extra,
            # Constant fragments over the view's columns: which feature types this layer shows.
            public_condition=condition,
            temporal_column="planned_start",
            model=Initiative,
        )
    )


GREEN_SPACES = _initiatives_layer(
    layer_id="green-spaces",
    titles=("المساحات الخضراء", "Green spaces"),
    descriptions=(
        "مبادرات الحدائق الجديدة والأشرطة المزروعة: المساحة بالمتر المربع والحالة ونسبة الإنجاز.",
        "New parks and planted strips of the green-space initiatives: area in m², status and progress.",
    ),
    geometry_type="Polygon",
    condition="feature_type IN ('park', 'planted_strip')",
    extra=(Attribute("area_m2", "area_m2", "number", _("area (m²)")),),
)

TREES = _initiatives_layer(
    layer_id="trees",
    titles=("الأشجار المزروعة", "Trees planted"),
    descriptions=(
        "مواقع الأشجار التي زرعتها مبادرات المساحات الخضراء: نقطة لكل شجرة.",
        "Where the green-space initiatives plant trees: one point per tree.",
    ),
    geometry_type="MultiPoint",
    condition="feature_type = 'trees'",
)

SIDEWALKS = _initiatives_layer(
    layer_id="sidewalks",
    titles=("الأرصفة النموذجية", "Model sidewalks"),
    descriptions=(
        "مقاطع الأرصفة النموذجية: الطول بالمتر والعرض ونوع السطح وعدد المنحدرات والحالة.",
        "Model sidewalk segments: length in metres, width, surface, ramps and status.",
    ),
    geometry_type="LineString",
    condition="feature_type = 'sidewalk_segment'",
    extra=(
        Attribute("length_m", "length_m", "number", _("length (m)")),
        Attribute("width_m", "width_m", "number", _("width (m)")),
        Attribute("surface", "surface", "string", _("surface")),
        Attribute("ramps_count", "ramps_count", "integer", _("ramps")),
    ),
)

WASTE_POINTS = _initiatives_layer(
    layer_id="waste-points",
    titles=("نقاط فرز النفايات", "Waste-sorting points"),
    descriptions=(
        "محطات وحاويات فرز النفايات من المصدر.",
        "Stations and containers for sorting waste at source.",
    ),
    geometry_type="Point",
    condition="feature_type IN ('sorting_station', 'sorting_container')",
)
