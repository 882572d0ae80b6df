"""The planner's map page, /planning/layers/: query a layer by attributes and area, see the matching
features and their aggregates by district, and download them.

For planners and administrators; anyone else signed in gets the forbidden page, and a visitor who
is not signed in is sent to the sign-in page. The page only reads through the spatial query API
(/api/v1/layers/...) and links to the export endpoint, with the same selection parameters.
"""

from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from geo_services.core.roles import Role, has_role
from layers.registry import Layer, registry

PAGE_SIZE = 50
EXPORT_FORMATS = ("gpkg", "shp", "geojson", "csv")
# The district outlines and the district menu come from the districts layer itself.
DISTRICTS_LAYER = "districts"
MAX_DISTRICTS = 2000


def _url_template(name: str) -> str:
    """A URL with `{layer}` where the layer id goes, for the page's script to fill in."""
    return reverse(name, args=["__layer__"]).replace("__layer__", "{layer}")


def _layer_config(layer: Layer) -> dict[str, Any]:
    return {
        "id": layer.id,
        "title": layer.title,
        "geometryType": layer.geometry_type,
        "temporal": layer.temporal_column is not None,
        "attributes": [
            {"name": attribute.name, "type": attribute.type, "title": str(attribute.title)}
            for attribute in layer.attributes
        ],
    }


def _page_text() -> dict[str, str]:
    """Every sentence the page's script shows, in the page's language."""
    return {
        "loading": _("Loading…"),
        "requestFailed": _("The server did not answer (%(status)s). Try again."),
        "offline": _("The server cannot be reached. Check the connection and try again."),
        "matched": _("%(count)s features match."),
        "shown": _("Features %(first)s to %(last)s are shown."),
        "noFeatures": _("No feature matches this query."),
        "noDistricts": _("No matching feature lies in a district."),
        "page": _("Page %(page)s"),
        "any": _("Any"),
        "yes": _("Yes"),
        "no": _("No"),
        "allDistricts": _("Any district"),
        "noSum": _("Nothing to add up"),
        "drawHint": _("Click on the map to add corners; click the first corner to close the polygon."),
        "drawStart": _("Click to start the polygon."),
        "drawContinue": _("Click to add a corner."),
        "drawEnd": _("Click the first corner to close the polygon."),
        "drawError": _("The edges of a polygon must not cross."),
        "polygonSet": _("Polygon drawn: features inside or touching it."),
        "pointHint": _("Click on the map where the distance is measured from."),
        "pointSet": _("Point chosen: %(lat)s, %(lon)s."),
        "pointMissing": _("Choose a point on the map for the distance search, or clear the distance."),
        "total": _("Total"),
        "district": _("District"),
        "count": _("Features"),
        "sum": _("Sum of %(name)s"),
        "area": _("Area (m²)"),
        "length": _("Length (m)"),
        "id": _("Id"),
    }


@login_required
@require_GET
def planner_page(request: HttpRequest) -> HttpResponse:
    """The planner's layer query page. Planners and administrators."""
    if not has_role(request.user, Role.PLANNER, Role.ADMIN):
        return render(request, "layers/planning/forbidden.html", status=403)
    layers = registry.readable_by(request.user)
    center = cast(tuple[float, float], settings.LEAFLET_CONFIG["DEFAULT_CENTER"])
    districts_url = (
        f"{reverse('layer-features', args=[DISTRICTS_LAYER])}?limit={min(MAX_DISTRICTS, settings.AMANAH_OGC_MAX_LIMIT)}"
        if registry.get(DISTRICTS_LAYER) in layers
        else ""
    )
    config = {
        "language": get_language() or settings.LANGUAGE_CODE,
        "layers": [_layer_config(layer) for layer in layers],
        "api": {
            "features": _url_template("layer-features"),
            "aggregate": _url_template("layer-aggregate"),
            "export": _url_template("layer-export"),
        },
        "exportFormats": list(EXPORT_FORMATS),
        "pageSize": PAGE_SIZE,
        "map": {
            "basemapUrl": settings.BASEMAP_TILE_URL,
            "basemapAttribution": settings.BASEMAP_ATTRIBUTION,
            "districtsUrl": districts_url,
            "center": list(center),
            "zoom": settings.LEAFLET_CONFIG["DEFAULT_ZOOM"],
        },
        "maxDistance": settings.AMANAH_QUERY_MAX_DISTANCE_METRES,
        "text": _page_text(),
    }
    return render(
        request,
        "layers/planning/page.html",
        {"config": config, "layers": layers, "export_formats": EXPORT_FORMATS},
    )
