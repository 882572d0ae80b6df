from django.urls import path

from geo_services.indicators import pages

urlpatterns = [
    path("", pages.dashboard, name="planning-dashboard"),
    path("districts/<str:code>/", pages.district_page, name="planning-district"),
]
