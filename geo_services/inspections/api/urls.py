from django.urls import path

from geo_services.inspections.api import views

urlpatterns = [
    path("inspections/jobs/", views.JobsView.as_view(), name="inspection-jobs"),
    path("inspections/jobs/<int:job_id>/", views.JobDetailView.as_view(), name="inspection-job"),
    path(
        "inspections/jobs/<int:job_id>/cancel/", views.CancelJobView.as_view(), name="inspection-job-cancel"
    ),
    path(
        "inspections/jobs/<int:job_id>/reassign/",
        views.ReassignJobView.as_view(),
        name="inspection-job-reassign",
    ),
    path("inspections/templates/", views.TemplatesView.as_view(), name="inspection-templates"),
    path("inspections/overview/", views.OverviewView.as_view(), name="inspection-overview"),
]
