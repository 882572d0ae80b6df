"""Choropleth maps of the indicators and maps of initiatives, built with folium, served with no CDN.

folium writes links to leaflet, jQuery, Bootstrap and Font Awesome on public CDNs into every map.
LocalAssetsMap replaces that list with Leaflet from django-leaflet's static files, and these maps
use nothing else: district shapes and initiatives are GeoJSON layers with tooltips, and the legend
is plain HTML in a Leaflet control (branca's colour-scale legend would pull d3 from a CDN).
The map is a whole HTML document (folium's figure), shown in the page in an iframe's srcdoc so that
folium's full-page styles stay inside it.

folium writes the map's code and styles inline. The srcdoc document lives under the page's
Content-Security-Policy, so each of its inline <script> and <style> elements carries the page
response's nonce (`nonce=`); nothing else in it would run. The legend's colour swatches are set
from data- attributes by script (CSSOM), since style="" attributes are refused by the policy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any, cast

import folium
from branca.element import Figure, MacroElement
from django.conf import settings
from django.db import connection
from django.templatetags.static import static
from django.utils.html import escape, format_html, format_html_join
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from jinja2 import Template

from geo_services.core.models import District, Jurisdiction
from geo_services.indicators.charts import format_value
from geo_services.indicators.selectors import Indicator, Row
from geo_services.initiatives.models import FeatureType, Status
from geo_services.initiatives.selectors import MapFilters, initiatives_feature_collection

# Sequential classes: greens where more is better, oranges to reds where more is worse.
BETTER_HIGH = ("#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c")
BETTER_LOW = ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000")
WORSE_WHEN_HIGHER = {"median_resolution_hours", "overdue_percent"}
NO_DATA = "#d9d9d9"
STATUS_COLOURS: dict[str, str] = {
    Status.PLANNED: "#5c6bc0",
    Status.IN_PROGRESS: "#f29d0c",
    Status.DONE: "#1b7f3b",
}
MAX_INITIATIVES = 5_000
# Degrees; about 10 m at Amman's latitude: boundaries drawn at city scale need no more.
SIMPLIFY_DEGREES = 0.0001
DISTRICT_CLASS = "indicator-district"
INITIATIVE_CLASS = "indicator-initiative"


class LocalAssetsMap(folium.Map):
    """A folium map whose scripts and styles are the app's own static files."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.default_js = [("leaflet", static("leaflet/leaflet.js"))]
        self.default_css = [("leaflet_css", static("leaflet/leaflet.css"))]


class Legend(MacroElement):
    """A legend in a Leaflet control; `html` is escaped by the caller."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var box = L.DomUtil.create("div", "indicator-legend");
                box.innerHTML = {{ this.html|tojson }};
                box.querySelectorAll("[data-swatch]").forEach(function (swatch) {
                    swatch.style.background = swatch.getAttribute("data-swatch");
                });
                return box;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = html


_LEGEND_STYLE = """
<style>
.indicator-legend { background: #fff; padding: 6px 8px; border-radius: 4px; font: 13px/1.4 sans-serif;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); max-width: 240px; }
.indicator-legend h4 { margin: 0 0 4px; font-size: 13px; }
.indicator-legend i { display: inline-block; width: 14px; height: 14px; margin-inline-end: 6px;
  vertical-align: middle; border: 1px solid #999; }
.indicator-legend i.round { border-radius: 50%; }
</style>
"""


# The opening tag of an inline <script> or <style> element (one with no src attribute).
_INLINE_ELEMENT = re.compile(r"<(script|style)\b(?![^>]*\bsrc=)")


def _document(figure_map: folium.Map, nonce: str) -> str:
    """The map's whole HTML document, its inline scripts and styles marked with the page's nonce."""
    document = figure_map.get_root().render()
    return _INLINE_ELEMENT.sub(lambda tag: f'<{tag.group(1)} nonce="{escape(nonce)}"', document)


def district_shapes(jurisdiction: Jurisdiction, *, district: District | None = None) -> dict[str, Any]:
    """The districts' outlines (simplified for display) as GeoJSON, built by PostGIS."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT json_build_object('type', 'FeatureCollection', 'features', COALESCE(json_agg(
                json_build_object(
                    'type', 'Feature',
                    'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(d.geom, %(tolerance)s), 6)::json,
                    'properties', json_build_object('code', d.code)
                ) ORDER BY d.code), '[]'::json))::text
            FROM core_district d
            WHERE d.jurisdiction_id = %(jurisdiction)s AND (%(district)s::bigint IS NULL OR d.id = %(district)s)
            """,
            {
                "tolerance": SIMPLIFY_DEGREES,
                "jurisdiction": jurisdiction.pk,
                "district": district.pk if district else None,
            },
        )
        (document,) = cursor.fetchone()
    return json.loads(document)


def _bounds(collection: dict[str, Any]) -> list[list[float]] | None:
    """[[south, west], [north, east]] of a small collection (tens of shapes)."""
    xs: list[float] = []
    ys: list[float] = []

    def walk(coordinates: Any) -> None:
        if coordinates and isinstance(coordinates[0], int | float):
            xs.append(coordinates[0])
            ys.append(coordinates[1])
        else:
            for item in coordinates:
                walk(item)

    for feature in collection["features"]:
        walk(feature["geometry"]["coordinates"])
    if not xs:
        return None
    return [[min(ys), min(xs)], [max(ys), max(xs)]]


def _localised_name(item: dict[str, Any] | Any) -> str:
    arabic = (get_language() or settings.LANGUAGE_CODE).startswith("ar")
    if isinstance(item, dict):
        return str(item["name_ar"] if arabic else item["name_en"])
    return str(item.name_ar if arabic else item.name_en)


def classes(values: Sequence[float | None]) -> list[tuple[float, float]]:
    """Five equal intervals from the lowest to the highest value (one when all are equal)."""
    known = [v for v in values if v is not None]
    if not known:
        return []
    low, high = min(known), max(known)
    if high == low:
        return [(low, high)]
    step = (high - low) / 5
    return [(low + i * step, high if i == 4 else low + (i + 1) * step) for i in range(5)]


def colour_of(value: float | None, bins: list[tuple[float, float]], palette: Sequence[str]) -> str:
    if value is None or not bins:
        return NO_DATA
    if len(bins) == 1:
        return palette[len(palette) // 2]
    for index, (_low, high) in enumerate(bins):
        if value <= high:
            return palette[index]
    return palette[-1]


def _new_map(bounds: list[list[float]] | None) -> LocalAssetsMap:
    center = cast(tuple[float, float], settings.LEAFLET_CONFIG["DEFAULT_CENTER"])
    figure_map = LocalAssetsMap(location=list(center), zoom_start=11, tiles=None, control_scale=True)
    if settings.BASEMAP_TILE_URL:
        folium.TileLayer(
            tiles=settings.BASEMAP_TILE_URL, attr=settings.BASEMAP_ATTRIBUTION, name=_("Basemap")
        ).add_to(figure_map)
    figure = cast(Figure, figure_map.get_root())
    figure.header.add_child(folium.Element(_LEGEND_STYLE), name="legend_style")
    if bounds:
        figure_map.fit_bounds(bounds)
    return figure_map


def _add_initiatives(
    figure_map: folium.Map, jurisdiction: Jurisdiction, district_codes: Sequence[str]
) -> int:
    collection = json.loads(
        initiatives_feature_collection(
            MapFilters(jurisdiction_id=jurisdiction.pk, district_codes=tuple(district_codes)),
            limit=MAX_INITIATIVES,
        )
    )
    if not collection["features"]:
        return 0
    labels = dict(Status.choices)
    feature_labels = dict(FeatureType.choices)
    for feature in collection["features"]:
        properties = feature["properties"]
        # Tooltips put these into HTML: escape here, once.
        properties["name"] = escape(_localised_name(properties))
        properties["status_text"] = escape(str(labels.get(properties["status"], properties["status"])))
        properties["what"] = escape(str(feature_labels.get(properties["feature_type"], "")))
    folium.GeoJson(
        collection,
        name=_("Initiatives"),
        style_function=lambda feature: {
            "color": STATUS_COLOURS.get(feature["properties"]["status"], "#555"),
            "fillColor": STATUS_COLOURS.get(feature["properties"]["status"], "#555"),
            "weight": 4,
            "fillOpacity": 0.7,
            "className": f"{INITIATIVE_CLASS} {INITIATIVE_CLASS}--{feature['properties']['status']}",
        },
        marker=folium.CircleMarker(radius=6, fill=True),
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "what", "status_text"], aliases=[_("Initiative"), _("Kind"), _("Status")]
        ),
    ).add_to(figure_map)
    return len(collection["features"])


def _status_legend() -> str:
    return format_html(
        "<h4>{}</h4>{}",
        _("Initiatives"),
        format_html_join(
            "",
            '<div><i class="round" data-swatch="{}"></i>{}</div>',
            ((STATUS_COLOURS[s], label) for s, label in Status.choices),
        ),
    )


def choropleth_html(
    jurisdiction: Jurisdiction,
    indicator: Indicator,
    rows: Sequence[Row],
    *,
    nonce: str,
    with_initiatives: bool = True,
) -> str:
    """One shape per district coloured by the indicator, a legend, district names in tooltips, and
    the initiatives coloured by status; a whole HTML document whose inline code carries `nonce`."""
    shapes = district_shapes(jurisdiction)
    by_code = {row.district.code: row for row in rows if row.district is not None}
    values = [row.figures[indicator.key] for row in by_code.values()]
    bins = classes(values)
    palette = BETTER_LOW if indicator.key in WORSE_WHEN_HIGHER else BETTER_HIGH
    for feature in shapes["features"]:
        row = by_code.get(feature["properties"]["code"])
        value = row.figures[indicator.key] if row else None
        feature["properties"].update(
            {
                "name": escape(_localised_name(row.district)) if row and row.district else "",
                "value_text": escape(
                    format_value(value, indicator.decimals)
                    + (f" {indicator.unit}" if value is not None else "")
                ),
                "fill": colour_of(value, bins, palette),
            }
        )
    figure_map = _new_map(_bounds(shapes))
    folium.GeoJson(
        shapes,
        name=str(indicator.title),
        style_function=lambda feature: {
            "fillColor": feature["properties"]["fill"],
            "color": "#333",
            "weight": 1,
            "fillOpacity": 0.75,
            "className": DISTRICT_CLASS,
        },
        highlight_function=lambda feature: {"weight": 3},
        tooltip=folium.GeoJsonTooltip(
            fields=["name", "value_text"], aliases=[_("District"), str(indicator.title)]
        ),
    ).add_to(figure_map)
    legend_rows = [
        (
            palette[index] if len(bins) > 1 else palette[len(palette) // 2],
            format_value(low, indicator.decimals),
            format_value(high, indicator.decimals),
        )
        for index, (low, high) in enumerate(bins)
    ]
    legend = format_html(
        '<h4>{} ({})</h4>{}<div><i data-swatch="{}"></i>{}</div>',
        indicator.title,
        indicator.unit,
        format_html_join("", '<div><i data-swatch="{}"></i>{} \N{EN DASH} {}</div>', legend_rows),
        NO_DATA,
        _("no data"),
    )
    if with_initiatives and _add_initiatives(figure_map, jurisdiction, ()):
        legend = format_html("{}{}", legend, _status_legend())
    figure_map.add_child(Legend(str(legend)))
    folium.LayerControl(collapsed=True).add_to(figure_map)
    return _document(figure_map, nonce)


def district_map_html(jurisdiction: Jurisdiction, district: District, *, nonce: str) -> str:
    """The district's outline and its initiatives (any share in it) coloured by status."""
    shapes = district_shapes(jurisdiction, district=district)
    for feature in shapes["features"]:
        feature["properties"]["name"] = escape(_localised_name(district))
    figure_map = _new_map(_bounds(shapes))
    folium.GeoJson(
        shapes,
        name=_localised_name(district),
        style_function=lambda feature: {
            "fillColor": "#9ecae1",
            "color": "#08519c",
            "weight": 2,
            "fillOpacity": 0.15,
            "className": DISTRICT_CLASS,
        },
        tooltip=folium.GeoJsonTooltip(fields=["name"], aliases=[_("District")]),
    ).add_to(figure_map)
    _add_initiatives(figure_map, jurisdiction, (district.code,))
    figure_map.add_child(Legend(str(_status_legend())))
    return _document(figure_map, nonce)
