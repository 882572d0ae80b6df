"""Open311 GeoReport v2 at /open311/v2/: every resource with a .json or .xml suffix.

Any other path (another suffix, none at all) reaches `not_a_resource`: a 404 in the Open311 format.
"""

from django.urls import path, re_path

from geo_services.service_requests.open311 import views

app_name = "open311"

_FMT = r"\.(?P<fmt>json|xml)$"

urlpatterns = [
    path("", views.not_a_resource, name="root"),
    re_path(r"^discovery" + _FMT, views.discovery, name="discovery"),
    re_path(r"^services" + _FMT, views.service_list, name="services"),
    re_path(r"^services/(?P<service_code>[^/]+)" + _FMT, views.service_definition, name="service"),
    re_path(r"^requests" + _FMT, views.request_collection, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/]+)" + _FMT, views.request_detail, name="request"),
    re_path(r"^tokens/(?P<token>[^/]+)" + _FMT, views.token_detail, name="token"),
    re_path(r"^(?P<rest>.+)$", views.not_a_resource, name="not_a_resource"),
]
