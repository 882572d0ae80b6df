from django.urls import path

from geo_services.initiatives.api import community_views, views

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

urlpatterns += [
    path("partners/", community_views.PartnerListView.as_view(), name="partner-list"),
    path("partners/coverage/", community_views.CoverageView.as_view(), name="partner-coverage"),
    path("partners/services/", community_views.ServiceKindListView.as_view(), name="partner-services"),
    path("proposals/", community_views.ProposalListView.as_view(), name="proposal-list"),
    path(
        "proposals/<int:proposal_id>/", community_views.ProposalDetailView.as_view(), name="proposal-detail"
    ),
    path(
        "proposals/<int:proposal_id>/support/",
        community_views.ProposalSupportView.as_view(),
        name="proposal-support",
    ),
    path(
        "proposals/<int:proposal_id>/accept/",
        community_views.ProposalAcceptView.as_view(),
        name="proposal-accept",
    ),
    path(
        "proposals/<int:proposal_id>/decline/",
        community_views.ProposalDeclineView.as_view(),
        name="proposal-decline",
    ),
    path(
        "proposals/<int:proposal_id>/photo.jpg",
        community_views.ProposalPhotoView.as_view(),
        name="proposal-photo",
    ),
    path(
        "proposals/<int:proposal_id>/thumbnail.jpg",
        community_views.ProposalThumbnailView.as_view(),
        name="proposal-thumbnail",
    ),
    path(
        "initiatives/<int:initiative_id>/work-days/",
        community_views.WorkDayListView.as_view(),
        name="initiative-work-days",
    ),
    path("work-days/<int:work_day_id>/signup/", community_views.SignupView.as_view(), name="work-day-signup"),
    path(
        "work-days/<int:work_day_id>/volunteers/",
        community_views.VolunteerListView.as_view(),
        name="work-day-volunteers",
    ),
]
