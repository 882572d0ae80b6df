from django.urls import path

from geo_services.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.report, name="report"),
    path("requests/", views.track, name="track"),
    path("requests/<str:token>/", views.request_status, name="request-status"),
]
