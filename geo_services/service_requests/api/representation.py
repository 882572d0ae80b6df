"""How staff see a request in the REST API (personal data included: staff only)."""

from __future__ import annotations

from typing import Any

from geo_services.service_requests.models import ServiceRequest, Status


def _named(obj: Any) -> dict[str, str]:
    return {"code": obj.code, "name_ar": obj.name_ar, "name_en": obj.name_en}


def request_item(request: ServiceRequest) -> dict[str, Any]:
    """One request for staff; expects category, district, department and assigned_to to be selected."""
    return {
        "id": request.pk,
        "token": str(request.token),
        "service_code": request.category.code,
        "service_name_ar": request.category.name_ar,
        "service_name_en": request.category.name_en,
        "status": request.status,
        "status_label": str(Status(request.status).label),
        "district": _named(request.district),
        "department": _named(request.department),
        "lat": request.location.y,
        "lon": request.location.x,
        "address": request.address,
        "description": request.description,
        "attributes": request.attributes,
        "requested_at": request.requested_at.isoformat(),
        "expected_at": request.expected_at.isoformat(),
        "closed_at": request.closed_at.isoformat() if request.closed_at else None,
        "overdue": bool(getattr(request, "overdue", False)),
        "assigned_to": (
            {"id": request.assigned_to.pk, "username": request.assigned_to.get_username()}
            if request.assigned_to
            else None
        ),
        "duplicate_of": request.duplicate_of_id,
        "contact": {
            "first_name": request.contact_first_name,
            "last_name": request.contact_last_name,
            "email": request.contact_email,
            "phone": request.contact_phone,
        },
        "photo_thumbnail_url": f"/media/requests/{request.token}/thumbnail.jpg"
        if request.photo_thumbnail
        else None,
    }


def request_feature(request: ServiceRequest) -> dict[str, Any]:
    properties = request_item(request)
    return {
        "type": "Feature",
        "id": request.pk,
        "geometry": {"type": "Point", "coordinates": [request.location.x, request.location.y]},
        "properties": properties,
    }
