
app_name = "fieldapp"
urlpatterns: list = []
