from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from geo_services.core.api import views as core_views
from layers import planning_views

api_v1 = [
    path("", include("geo_services.core.api.urls")),
    path("", include("geo_services.service_requests.api.urls")),
    path("", include("geo_services.venues.api.urls")),
    path("", include("geo_services.inspections.api.urls")),
    path("", include("geo_services.initiatives.api.urls")),
    path("", include("fieldapp.api.urls")),
    path("", include("layers.exports.urls")),
    path("", include("layers.api.urls")),
    path("", include("geo_services.indicators.api.urls")),
]

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's start-up code is served as a script of its own (?script), not inline in the page, so
    # that the page runs under the Content-Security-Policy without 'unsafe-inline'.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api_docs/swagger_ui.html"),
        name="api-docs",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("open311/v2/", include("geo_services.service_requests.open311.urls")),
    path("media/requests/", include("geo_services.service_requests.media_urls")),
    path("field/", include("fieldapp.urls")),
    path("dispatch/", include("fieldapp.dispatch_urls")),
    path("venues/", include("geo_services.venues.page_urls")),
    path("community/", include("geo_services.initiatives.page_urls")),
    path("ogc/", include("layers.ogc.urls")),
    path("tiles/", include("layers.tiles.urls")),
    path("planning/layers/", planning_views.planner_page, name="planning-layers"),
    path("planning/", include("geo_services.indicators.page_urls")),
    path("", include("geo_services.portal.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "geo_services.core.api.fallbacks.bad_request"
handler404 = "geo_services.core.api.fallbacks.not_found"
handler500 = "geo_services.core.api.fallbacks.server_error"
