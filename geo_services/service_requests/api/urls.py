from django.urls import path

from geo_services.service_requests.api import views

urlpatterns = [
    path("requests/", views.RequestQueueView.as_view(), name="request-queue"),
    path("requests/<int:request_id>/", views.RequestDetailView.as_view(), name="request-detail"),
    path("requests/<int:request_id>/assign/", views.AssignRequestView.as_view(), name="request-assign"),
    path("requests/<int:request_id>/status/", views.ChangeStatusView.as_view(), name="request-status"),
    path("requests/<int:request_id>/merge/", views.MergeRequestView.as_view(), name="request-merge"),
    path("inspectors/", views.InspectorListView.as_view(), name="inspector-list"),
]
