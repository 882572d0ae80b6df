"""A request's cleaned photo and thumbnail, at /media/requests/<token>/photo.jpg and thumbnail.jpg."""

from django.urls import path

from geo_services.service_requests import media_views

urlpatterns = [
    path("<uuid:token>/photo.jpg", media_views.request_photo, name="service_request_photo"),
    path("<uuid:token>/thumbnail.jpg", media_views.request_thumbnail, name="service_request_thumbnail"),
]
