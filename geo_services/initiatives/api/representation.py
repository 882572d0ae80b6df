"""One initiative and its progress as the API shows them (what is public: see initiatives.selectors)."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse

from geo_services.core.models import District
from geo_services.initiatives.models import Initiative, ProgressUpdate


def _measure(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _district(district: District | None) -> dict[str, str] | None:
    # Never None once stored (the database sets it from the shape); typed as the model field is.
    if district is None:
        return None
    return {"code": district.code, "name_ar": district.name_ar, "name_en": district.name_en}


def progress_item(update: ProgressUpdate, *, zone: ZoneInfo, staff: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": update.pk,
        "percent": update.percent,
        "note": update.note,
        "created_at": update.created_at.astimezone(zone).isoformat(),
        "photo_url": None,
        "thumbnail_url": None,
    }
    if update.photo:
        args = [update.initiative_id, update.pk]
        item["photo_url"] = reverse("initiative-progress-photo", args=args)
        item["thumbnail_url"] = reverse("initiative-progress-thumbnail", args=args)
    if staff:
        item["author"] = update.author.get_username() if update.author is not None else None
        item["inspection"] = str(update.inspection.uuid) if update.inspection is not None else None
    return item


def initiative_feature(
    initiative: Initiative, *, progress: list[ProgressUpdate], staff: bool
) -> dict[str, Any]:
    """A GeoJSON Feature; `staff`: with the budget and the authors of the progress updates."""
    zone = ZoneInfo(initiative.jurisdiction.time_zone)
    properties: dict[str, Any] = {
        "code": initiative.code,
        "jurisdiction": initiative.jurisdiction.code,
        "kind": initiative.kind,
        "feature_type": initiative.feature_type,
        "name_ar": initiative.name_ar,
        "name_en": initiative.name_en,
        "description_ar": initiative.description_ar,
        "description_en": initiative.description_en,
        "status": initiative.status,
        "progress_percent": initiative.progress_percent,
        "planned_start": initiative.planned_start.isoformat(),
        "planned_end": initiative.planned_end.isoformat(),
        "actual_start": initiative.actual_start.isoformat() if initiative.actual_start else None,
        "actual_end": initiative.actual_end.isoformat() if initiative.actual_end else None,
        "length_m": _measure(initiative.length_m, 2),
        "area_m2": _measure(initiative.area_m2, 1),
        "district": _district(initiative.district),
        "district_shares": [
            {
                "district": share.district.code,
                "share": round(share.share, 4),
                "length_m": _measure(share.length_m, 2),
                "area_m2": _measure(share.area_m2, 1),
            }
            for share in initiative.district_shares.all()
        ],
        "department": {
            "code": initiative.department.code,
            "name_ar": initiative.department.name_ar,
            "name_en": initiative.department.name_en,
        },
        "partners": [
            {"id": p.pk, "kind": p.kind, "name_ar": p.name_ar, "name_en": p.name_en}
            for p in initiative.partners.all()
        ],
        "volunteers_count": initiative.volunteers_count,
        "progress": [progress_item(u, zone=zone, staff=staff) for u in progress],
        "updated_at": initiative.updated_at.astimezone(zone).isoformat(),
    }
    if initiative.feature_type == "sidewalk_segment":
        properties.update(
            width_m=float(initiative.width_m) if initiative.width_m is not None else None,
            surface=initiative.surface,
            ramps_count=initiative.ramps_count,
        )
    if staff:
        properties["budget"] = str(initiative.budget) if initiative.budget is not None else None
        properties["currency"] = initiative.jurisdiction.currency
    return {
        "type": "Feature",
        "id": initiative.pk,
        "geometry": json.loads(initiative.geom.json),
        "properties": properties,
    }
