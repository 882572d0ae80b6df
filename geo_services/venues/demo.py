"""The Amman demo's venues (fixtures/demo/amman_venues.json): approximate locations, weekly hours,
one holiday, prices in JOD. Loaded by `load_demo` through venues.importing, idempotently."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from geo_services.core.demo import register
from geo_services.core.models import Jurisdiction
from geo_services.venues.importing import import_venues

DEMO_VENUES = Path(settings.BASE_DIR) / "fixtures" / "demo" / "amman_venues.json"


@register("venues")
def load_venues(jurisdiction: Jurisdiction) -> str:
    report = import_venues(jurisdiction=jurisdiction, data=json.loads(DEMO_VENUES.read_text()))
    return _("Venues: %(summary)s") % {"summary": report.summary()}
