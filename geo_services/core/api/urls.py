from django.urls import path

from geo_services.core.api import views

urlpatterns = [
    # Username + password -> token. Anyone may ask; only valid credentials get one.
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("auth/me/", views.CurrentUserView.as_view(), name="auth-me"),
    path("districts/", views.DistrictListView.as_view(), name="district-list"),
    path("districts/lookup/", views.DistrictLookupView.as_view(), name="district-lookup"),
]
