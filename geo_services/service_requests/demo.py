"""The Amman demo's service categories and routing rules (fixtures/demo/amman_service_categories.json)."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from geo_services.core.demo import register
from geo_services.core.models import Jurisdiction
from geo_services.service_requests import services

DEMO_CATEGORIES = Path(settings.BASE_DIR) / "fixtures" / "demo" / "amman_service_categories.json"


@register("service_categories")
def load_categories(jurisdiction: Jurisdiction) -> str:
    data = json.loads(DEMO_CATEGORIES.read_text())
    report = services.upsert_categories(
        jurisdiction=jurisdiction, categories=data["categories"], routing_rules=data["routing_rules"]
    )
    return _("Service categories: %(summary)s") % {"summary": report.summary()}
