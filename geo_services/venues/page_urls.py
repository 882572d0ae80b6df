"""Citizen venue pages, included by the project at /venues/."""

from django.urls import path

from geo_services.venues import pages

app_name = "venues"
urlpatterns = [
    path("", pages.venue_finder, name="finder"),
    path("mine/", pages.my_bookings, name="mine"),
    path("<int:venue_id>/", pages.venue_detail, name="detail"),
]
