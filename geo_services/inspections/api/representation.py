"""How the inspections and field APIs show a stored inspection. Times are ISO 8601 with the
jurisdiction's UTC offset (07:10 UTC in Amman reads …T10:10:00+03:00). Jobs are shown by PostGIS
(selectors.jobs_feature_collection), not here."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.urls import reverse

from geo_services.inspections.models import Inspection


def local_iso(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment is not None else None


def inspection_document(inspection: Inspection) -> dict[str, Any]:
    """Expects template_version__template, jurisdiction and inspector selected and photos prefetched."""
    zone = ZoneInfo(inspection.jurisdiction.time_zone)
    version = inspection.template_version
    photos = list(inspection.photos.all())
    missing = [str(p.uuid) for p in photos if p.received_at is None]
    return {
        "uuid": str(inspection.uuid),
        "job": inspection.job_id,
        "template": {"code": version.template.code, "version": version.number},
        "template_version": version.number,
        "inspector": {"id": inspection.inspector_id, "username": inspection.inspector.get_username()},
        "answers": inspection.answers,
        "position": (
            {"lon": inspection.position.x, "lat": inspection.position.y, "accuracy_m": inspection.accuracy_m}
            if inspection.position is not None
            else None
        ),
        "distance_m": round(inspection.distance_m, 1) if inspection.distance_m is not None else None,
        "started_at": local_iso(inspection.started_at, zone),
        "finished_at": local_iso(inspection.finished_at, zone),
        "received_at": local_iso(inspection.received_at, zone),
        "completed_at": local_iso(inspection.completed_at, zone),
        "score": float(inspection.score),
        "pass_score": float(version.pass_score),
        "passed": inspection.passed,
        "failed_critical": inspection.failed_critical,
        "flags": inspection.flags,
        "photos": [
            {
                "uuid": str(photo.uuid),
                "item": photo.item_key,
                "sha256": photo.sha256,
                "received": photo.received_at is not None,
                "url": (
                    reverse("field-inspection-photo", args=[str(inspection.uuid), str(photo.uuid)])
                    if photo.received_at is not None
                    else None
                ),
            }
            for photo in photos
        ],
        "missing_photos": missing,
        "complete": not missing,
    }
