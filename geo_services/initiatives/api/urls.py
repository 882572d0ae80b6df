from django.urls import path

from geo_services.initiatives.api import views

urlpatterns = [
    path("initiatives/", views.InitiativeListView.as_view(), name="initiative-list"),
    path("initiatives/<int:initiative_id>/", views.InitiativeDetailView.as_view(), name="initiative-detail"),
    path(
        "initiatives/<int:initiative_id>/progress/", views.ProgressView.as_view(), name="initiative-progress"
    ),
    path(
        "initiatives/<int:initiative_id>/progress/<int:update_id>/photo.jpg",
        views.ProgressPhotoView.as_view(),
        name="initiative-progress-photo",
    ),
    path(
        "initiatives/<int:initiative_id>/progress/<int:update_id>/thumbnail.jpg",
        views.ProgressThumbnailView.as_view(),
        name="initiative-progress-thumbnail",
    ),
]
