"""The dispatchers' pages, included by the project at /dispatch/."""

from django.urls import path

from fieldapp import views

app_name = "dispatch"
urlpatterns = [
    path("", views.dispatcher_queue, name="queue"),
    path("inspections/", views.supervisor, name="inspections"),
]
