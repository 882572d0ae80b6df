"""The inspector's tablet app, included by the project at /field/ (the service worker's scope)."""

from django.urls import path

from fieldapp import views

app_name = "fieldapp"
urlpatterns = [
    path("", views.field_app, name="app"),
    # The worker is served from inside /field/ so that its scope is /field/ without a special header.
    path("sw.js", views.service_worker, name="service-worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
]
