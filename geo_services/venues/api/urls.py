from django.urls import path

from geo_services.venues.api import views

urlpatterns = [
    path("venues/", views.VenueListView.as_view(), name="venue-list"),
    path("venues/<int:venue_id>/", views.VenueDetailView.as_view(), name="venue-detail"),
    path(
        "venues/<int:venue_id>/availability/",
        views.VenueAvailabilityView.as_view(),
        name="venue-availability",
    ),
    path("bookings/", views.BookingCreateView.as_view(), name="booking-create"),
    path("bookings/mine/", views.MyBookingsView.as_view(), name="booking-mine"),
    path("bookings/feed-url/", views.FeedUrlView.as_view(), name="booking-feed-url"),
    path("bookings/feed/<str:token>.ics", views.BookingFeedView.as_view(), name="booking-feed"),
    path("bookings/<int:booking_id>.ics", views.BookingICalendarView.as_view(), name="booking-ics"),
    path("bookings/<int:booking_id>/cancel/", views.CancelBookingView.as_view(), name="booking-cancel"),
    path("bookings/<int:booking_id>/decision/", views.DecideBookingView.as_view(), name="booking-decision"),
    path("courses/", views.CourseCreateView.as_view(), name="course-create"),
    path("spaces/<int:space_id>/blocks/", views.SpaceBlockView.as_view(), name="space-block"),
]
