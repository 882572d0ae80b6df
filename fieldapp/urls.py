from django.urls import path

from fieldapp import views

app_name = "fieldapp"
urlpatterns = [
    path("", views.dispatcher_queue, name="dispatcher-queue"),
]
