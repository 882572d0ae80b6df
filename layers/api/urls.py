from django.urls import path

from layers.api import views

urlpatterns = [
    path("layers/", views.LayerListView.as_view(), name="layer-list"),
    path("layers/<str:layer_id>/features/", views.LayerFeaturesView.as_view(), name="layer-features"),
    path("layers/<str:layer_id>/aggregate/", views.LayerAggregateView.as_view(), name="layer-aggregate"),
]
