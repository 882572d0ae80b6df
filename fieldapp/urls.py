from django.urls import path

app_name = "fieldapp"
urlpatterns: list = []
