from django.urls import path, re_path

from layers.tiles import views

app_name = "tiles"

urlpatterns = [
    path("<str:layer_id>/<str:z>/<str:x>/<str:y_and_format>", views.tile, name="tile"),
    path("<str:name>", views.tilejson, name="tilejson"),
    # Any other address under /tiles/ gets the project's JSON error saying what the addresses look like.
    re_path(r"^(?P<rest>.*)$", views.unknown_address, name="unknown"),
]
