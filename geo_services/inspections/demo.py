"""The Amman demo's inspection checklists (one for each kind, in Arabic and English) and, when the demo
users exist, a handful of jobs for the demo inspector due today around Amman.

Idempotent: templates are published only when their checklist differs from the latest version, and
the day's jobs are created only when the inspector has none of them for today yet.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _

from geo_services.core.demo import register
from geo_services.core.models import Jurisdiction
from geo_services.inspections import services
from geo_services.inspections.checklists import parse_items
from geo_services.inspections.models import ChecklistTemplate, InspectionJob, TargetKind, TemplateKind


def _yes_no(key: str, ar: str, en: str, *, weight: float = 1, critical: bool = False) -> dict[str, Any]:
    return {
        "key": key,
        "type": "yes_no",
        "label_ar": ar,
        "label_en": en,
        "weight": weight,
        "critical": critical,
        "required": True,
    }


def _score(key: str, ar: str, en: str, *, weight: float = 1) -> dict[str, Any]:
    return {
        "key": key,
        "type": "score",
        "label_ar": ar,
        "label_en": en,
        "weight": weight,
        "max_score": 4,
        "required": True,
    }


def _notes() -> dict[str, Any]:
    return {"key": "notes", "type": "text", "label_ar": "ملاحظات", "label_en": "Notes", "weight": 0}


def _photo(key: str, ar: str, en: str, *, required: bool = True) -> dict[str, Any]:
    return {"key": key, "type": "photo", "label_ar": ar, "label_en": en, "weight": 0, "required": required}


_CLEANLINESS = [
    {"value": "clean", "label_ar": "نظيف", "label_en": "Clean", "points": 1},
    {"value": "some_litter", "label_ar": "بعض النفايات", "label_en": "Some litter", "points": 0.5},
    {"value": "dirty", "label_ar": "متّسخ", "label_en": "Dirty", "points": 0},
]

# (code, kind, Arabic name, English name, min GPS accuracy m, max distance m, pass score, items)
DEMO_TEMPLATES: list[tuple[str, str, str, str, float, float, int, list[dict[str, Any]]]] = [
    (
        "business-premises",
        TemplateKind.BUSINESS,
        "تفتيش المنشآت التجارية",
        "Business premises inspection",
        25,
        100,
        70,
        [
            _yes_no(
                "licence_displayed",
                "الرخصة المهنية معلّقة وسارية",
                "Trade licence displayed and valid",
                critical=True,
            ),
            _score("hygiene", "النظافة العامة للمحل", "General hygiene of the premises", weight=2),
            _yes_no(
                "fire_extinguisher",
                "طفاية حريق صالحة ومتاحة",
                "Working fire extinguisher at hand",
                critical=True,
            ),
            {
                "key": "fridge_temperature",
                "type": "number",
                "label_ar": "درجة حرارة الثلاجة (°م)",
                "label_en": "Refrigerator temperature (°C)",
                "weight": 2,
                "min_value": 0,
                "max_value": 5,
            },
            {
                "key": "waste_sorting",
                "type": "choice",
                "label_ar": "فرز النفايات من المصدر",
                "label_en": "Waste sorted at source",
                "weight": 1,
                "required": True,
                "choices": [
                    {"value": "full", "label_ar": "فرز كامل", "label_en": "Fully sorted", "points": 1},
                    {"value": "partial", "label_ar": "فرز جزئي", "label_en": "Partly sorted", "points": 0.5},
                    {"value": "none", "label_ar": "لا يوجد فرز", "label_en": "Not sorted", "points": 0},
                ],
            },
            _notes(),
            _photo("storefront", "صورة واجهة المحل", "Photo of the storefront"),
        ],
    ),
    (
        "facility-condition",
        TemplateKind.FACILITY,
        "فحص حالة المرافق",
        "Facility condition check",
        25,
        100,
        70,
        [
            _yes_no(
                "emergency_exits",
                "مخارج الطوارئ واضحة وغير مسدودة",
                "Emergency exits marked and clear",
                critical=True,
            ),
            _yes_no("accessible_entrance", "مدخل مهيّأ لذوي الإعاقة", "Step-free accessible entrance"),
            _score("lighting", "حالة الإنارة", "Condition of the lighting"),
            _score("toilets", "نظافة دورات المياه", "Cleanliness of the toilets"),
            _notes(),
            _photo("hall", "صورة القاعة الرئيسية", "Photo of the main hall"),
        ],
    ),
    (
        "park-condition",
        TemplateKind.PARK,
        "فحص الحدائق العامة",
        "Public park check",
        25,
        150,
        70,
        [
            _yes_no(
                "play_equipment_safe",
                "ألعاب الأطفال آمنة وسليمة",
                "Play equipment safe and intact",
                critical=True,
            ),
            _score("green_cover", "حالة المسطحات الخضراء", "Condition of the lawns and planting", weight=2),
            _yes_no("irrigation_working", "شبكة الري تعمل", "Irrigation working"),
            {
                "key": "litter",
                "type": "choice",
                "label_ar": "النظافة",
                "label_en": "Litter",
                "weight": 1,
                "required": True,
                "choices": _CLEANLINESS,
            },
            _notes(),
            _photo("overview", "صورة عامة للحديقة", "Overview photo of the park"),
        ],
    ),
    (
        "pitch-condition",
        TemplateKind.PITCH,
        "فحص الملاعب",
        "Sports pitch check",
        25,
        100,
        70,
        [
            _yes_no("goals_anchored", "المرامي مثبّتة بإحكام", "Goals securely anchored", critical=True),
            _score("surface", "حالة أرضية الملعب", "Condition of the playing surface", weight=2),
            _yes_no("floodlights", "الإنارة الكاشفة تعمل", "Floodlights working"),
            _yes_no("fence_intact", "السياج سليم", "Fence intact"),
            _photo("pitch", "صورة الملعب", "Photo of the pitch"),
        ],
    ),
    (
        "sidewalk-condition",
        TemplateKind.SIDEWALK,
        "فحص الأرصفة",
        "Sidewalk check",
        25,
        200,
        70,
        [
            {
                "key": "clear_width_cm",
                "type": "number",
                "label_ar": "العرض الصافي للرصيف (سم)",
                "label_en": "Clear sidewalk width (cm)",
                "weight": 2,
                "min_value": 150,
                "required": True,
            },
            _score("surface", "حالة سطح الرصيف", "Condition of the paving", weight=2),
            _yes_no("no_obstacles", "خالٍ من العوائق", "Free of obstacles"),
            _yes_no("kerb_ramps", "منحدرات عند المعابر", "Kerb ramps at the crossings"),
            _photo("sidewalk", "صورة الرصيف", "Photo of the sidewalk"),
        ],
    ),
    (
        "request-followup",
        TemplateKind.REQUEST_FOLLOWUP,
        "متابعة بلاغ المواطن",
        "Service request follow-up",
        30,
        150,
        60,
        [
            _yes_no(
                "problem_fixed",
                "تمت معالجة المشكلة المبلّغ عنها",
                "The reported problem is fixed",
                critical=True,
            ),
            _score("work_quality", "جودة العمل المنفّذ", "Quality of the work done"),
            _yes_no("site_clean", "الموقع نظيف بعد العمل", "Site left clean"),
            _notes(),
            _photo("after", "صورة بعد المعالجة", "Photo after the work"),
        ],
    ),
]

# The demo inspector's day: venues by code (found through the venue search) and two street points.
DEMO_DAY_VENUES = [
    ("al-hussein-cultural-centre", "facility-condition"),
    ("gam-central-library", "facility-condition"),
    ("tla-al-ali-pitch", "pitch-condition"),
    ("al-hussein-public-parks", "park-condition"),
]
DEMO_DAY_POINTS = [
    (
        35.9237,
        31.9522,
        TargetKind.BUSINESS,
        "مطعم تجريبي، شارع الرينبو / Demo restaurant, Rainbow Street",
        "business-premises",
    ),
    (35.8790, 31.9628, TargetKind.POINT, "رصيف شارع زهران / Zahran Street sidewalk", "sidewalk-condition"),
]


def _venue_ids(jurisdiction: Jurisdiction) -> dict[str, int]:
    from geo_services.venues.selectors import VenueSearch, search_venues

    found = json.loads(
        search_venues(
            VenueSearch(jurisdiction_id=jurisdiction.pk, zone=ZoneInfo(jurisdiction.time_zone), limit=500)
        )
    )
    return {feature["properties"]["code"]: feature["id"] for feature in found["features"]}


def _load_templates(jurisdiction: Jurisdiction, audit: services.Audit) -> tuple[int, int, int]:
    created = updated = unchanged = 0
    for code, kind, name_ar, name_en, accuracy, distance, pass_score, raw_items in DEMO_TEMPLATES:
        items = parse_items(raw_items)
        template = ChecklistTemplate.objects.filter(jurisdiction=jurisdiction, code=code).first()
        if template is None:
            services.create_template(
                audit=audit,
                jurisdiction=jurisdiction,
                code=code,
                kind=kind,
                name_ar=name_ar,
                name_en=name_en,
                items=items,
                min_gps_accuracy_m=float(accuracy),
                max_distance_m=float(distance),
                pass_score=Decimal(pass_score),
            )
            created += 1
            continue
        _version, published = services.publish_template_version(
            audit=audit,
            template_id=template.pk,
            items=items,
            min_gps_accuracy_m=float(accuracy),
            max_distance_m=float(distance),
            pass_score=Decimal(pass_score),
        )
        if published:
            updated += 1
        else:
            unchanged += 1
    return created, updated, unchanged


def _load_day(jurisdiction: Jurisdiction) -> int:
    """Today's demo jobs for the demo inspector, given by the demo dispatcher; 0 when they exist."""
    users = get_user_model().objects.filter(username__in=["inspector", "dispatcher"], is_active=True)
    by_name = {user.get_username(): user for user in users}
    if "inspector" not in by_name or "dispatcher" not in by_name:
        return 0
    inspector = by_name["inspector"]
    today = services.local_today(jurisdiction.time_zone)
    if InspectionJob.objects.filter(
        inspector=inspector, due_date=today, created_by=by_name["dispatcher"]
    ).exists():
        return 0
    audit = services.Audit(actor=by_name["dispatcher"], user_agent="load_demo")
    venues = _venue_ids(jurisdiction)
    count = 0
    for venue_code, template_code in DEMO_DAY_VENUES:
        if venue_code not in venues:
            continue
        services.create_job(
            audit=audit,
            template_code=template_code,
            inspector_id=inspector.pk,
            due_date=today,
            target=services.JobTarget(kind=TargetKind.VENUE, record_id=venues[venue_code]),
        )
        count += 1
    for lon, lat, kind, label, template_code in DEMO_DAY_POINTS:
        services.create_job(
            audit=audit,
            template_code=template_code,
            inspector_id=inspector.pk,
            due_date=today,
            target=services.JobTarget(kind=kind, location=Point(lon, lat, srid=4326), label=label),
        )
        count += 1
    return count


@register("inspections")
def load_inspections(jurisdiction: Jurisdiction) -> str:
    audit = services.Audit(actor=None, user_agent="load_demo")
    created, updated, unchanged = _load_templates(jurisdiction, audit)
    jobs = _load_day(jurisdiction)
    return _(
        "Inspection checklists: %(created)d created, %(updated)d updated, %(unchanged)d unchanged; "
        "%(jobs)d jobs for today"
    ) % {"created": created, "updated": updated, "unchanged": unchanged, "jobs": jobs}
