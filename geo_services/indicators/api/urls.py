from django.urls import path

from geo_services.indicators.api import views

urlpatterns = [
    path("indicators/", views.IndicatorListView.as_view(), name="indicators"),
    path(
        "indicators/districts/<str:district_code>/",
        views.DistrictIndicatorsView.as_view(),
        name="district-indicators",
    ),
]
