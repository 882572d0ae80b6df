from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceRequestsConfig(AppConfig):
    name = "geo_services.service_requests"
    label = "service_requests"
    verbose_name = _("Service requests")

    def ready(self) -> None:
        from geo_services.core.middleware import register_error_renderer
        from geo_services.service_requests.open311.errors import render_open311_error

        # Errors raised before an Open311 view runs (an oversized body) still speak Open311.
        register_error_renderer("/open311/", render_open311_error)
