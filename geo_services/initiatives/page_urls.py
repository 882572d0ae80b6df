"""Community pages, included by the project at /community/."""

from django.urls import path

from geo_services.initiatives import pages

app_name = "community"
urlpatterns = [
    path("coverage/", pages.coverage_page, name="coverage"),
    path("proposals/", pages.proposals_page, name="proposals"),
]
