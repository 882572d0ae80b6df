from django.urls import path

from layers.exports import views

urlpatterns = [
    path("layers/<str:layer_id>/export/", views.LayerExportView.as_view(), name="layer-export"),
]
