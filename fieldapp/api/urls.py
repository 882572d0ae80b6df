from django.urls import path

from fieldapp.api import views

# UUIDs are taken as text and checked by the views, so a malformed one gets a 400 that says so.
urlpatterns = [
    path("field/today/", views.TodayView.as_view(), name="field-today"),
    path("field/inspections/<str:inspection_uuid>/", views.InspectionView.as_view(), name="field-inspection"),
    path(
        "field/inspections/<str:inspection_uuid>/photos/<str:photo_uuid>/",
        views.InspectionPhotoView.as_view(),
        name="field-inspection-photo",
    ),
]
