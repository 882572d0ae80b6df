"""The Amman demo's initiatives: two parks, a planted strip, a row of new trees, a model sidewalk and
waste-sorting points, at approximate places in real districts (Tla' Al-Ali, Ras Al-Ain, Zahran,
Al-Jubeiha, Al-Madina, Marka), with one volunteer team as partner and some progress reported; and the
community partners of the coverage page (a volunteer team, a charity, a company and a neighbours'
group, serving whole districts or drawn areas, with gaps left on purpose).

Idempotent: an initiative whose code exists is left as it is (its progress too).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.gis.geos import GEOSGeometry, LineString, MultiPoint, MultiPolygon, Point, Polygon
from django.utils.translation import gettext as _

from geo_services.core.demo import register
from geo_services.core.models import STORAGE_SRID, District, Jurisdiction
from geo_services.initiatives import services
from geo_services.initiatives.models import Initiative, Partner, PartnerKind, ServiceKind


def _box(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> Polygon:
    return Polygon(
        ((min_lon, min_lat), (max_lon, min_lat), (max_lon, max_lat), (min_lon, max_lat), (min_lon, min_lat)),
        srid=STORAGE_SRID,
    )


# (plan fields, progress percents reported in order, with the demo volunteer team as partner)
DEMO_INITIATIVES: list[tuple[dict[str, Any], GEOSGeometry, list[int], bool]] = [
    (
        {
            "code": "demo-king-hussein-park-east",
            "kind": "green_space",
            "feature_type": "park",
            "name_ar": "توسعة حديقة الحسين - الجهة الشرقية",
            "name_en": "King Hussein Park, eastern extension",
            "department_code": "parks-agriculture",
            "budget": Decimal("250000"),
        },
        _box(35.8320, 31.9830, 35.8350, 31.9850),
        [15, 40],
        True,
    ),
    (
        {
            "code": "demo-ras-al-ain-garden",
            "kind": "green_space",
            "feature_type": "park",
            "name_ar": "حديقة رأس العين المجتمعية",
            "name_en": "Ras Al-Ain community garden",
            "department_code": "parks-agriculture",
            "budget": Decimal("80000"),
        },
        _box(35.9245, 31.9428, 35.9265, 31.9442),
        [],
        False,
    ),
    (
        {
            "code": "demo-zahran-planted-strip",
            "kind": "green_space",
            "feature_type": "planted_strip",
            "name_ar": "شريط مزروع في شارع زهران",
            "name_en": "Zahran Street planted strip",
            "department_code": "parks-agriculture",
        },
        _box(35.8780, 31.9500, 35.8840, 31.9502),
        [60],
        False,
    ),
    (
        {
            "code": "demo-jubeiha-street-trees",
            "kind": "green_space",
            "feature_type": "trees",
            "name_ar": "زراعة أشجار على جانبي الشارع في الجبيهة",
            "name_en": "Street trees in Al-Jubeiha",
            "department_code": "parks-agriculture",
        },
        MultiPoint([Point(35.8700 + 0.001 * i, 32.0200) for i in range(6)], srid=STORAGE_SRID),
        [100],
        True,
    ),
    (
        {
            "code": "demo-rainbow-street-sidewalk",
            "kind": "model_sidewalk",
            "feature_type": "sidewalk_segment",
            "name_ar": "رصيف نموذجي في شارع الرينبو",
            "name_en": "Rainbow Street model sidewalk",
            "department_code": "public-works-roads",
            "budget": Decimal("120000"),
            "width_m": Decimal("3.00"),
            "surface": "interlocking_tiles",
            "ramps_count": 4,
        },
        LineString((35.9232, 31.9515), (35.9260, 31.9522), (35.9290, 31.9530), srid=STORAGE_SRID),
        [30, 70],
        False,
    ),
    (
        {
            "code": "demo-downtown-sorting-station",
            "kind": "waste_sorting",
            "feature_type": "sorting_station",
            "name_ar": "محطة فرز النفايات في وسط البلد",
            "name_en": "Downtown waste-sorting station",
            "department_code": "environment-waste",
        },
        Point(35.9345, 31.9515, srid=STORAGE_SRID),
        [100],
        False,
    ),
    (
        {
            "code": "demo-marka-sorting-containers",
            "kind": "waste_sorting",
            "feature_type": "sorting_container",
            "name_ar": "حاويات فرز في ماركا",
            "name_en": "Sorting containers in Marka",
            "department_code": "environment-waste",
        },
        Point(36.0000, 31.9800, srid=STORAGE_SRID),
        [],
        False,
    ),
    (
        {
            "code": "demo-tla-al-ali-sorting-containers",
            "kind": "waste_sorting",
            "feature_type": "sorting_container",
            "name_ar": "حاويات فرز في تلاع العلي",
            "name_en": "Sorting containers in Tla' Al-Ali",
            "department_code": "environment-waste",
        },
        Point(35.8700, 31.9900, srid=STORAGE_SRID),
        [],
        False,
    ),
]
DEMO_PARTNER = {
    "kind": PartnerKind.VOLUNTEER_TEAM,
    "name_ar": "فريق عمّان الأخضر التطوعي",
    "name_en": "Green Amman volunteer team",
}
# (fields, service codes, whole districts served, drawn area served): the coverage page's demo, with
# gaps on purpose. Service kinds come from the migration; a missing one is made with its code.
DEMO_PARTNERS: list[tuple[dict[str, Any], list[str], list[str], MultiPolygon | None]] = [
    (DEMO_PARTNER, ["greening", "clean-ups"], ["tla-al-ali", "zahran", "al-jubeiha"], None),
    (
        {
            "kind": PartnerKind.CHARITY,
            "name_ar": "جمعية الأمل الخيرية",
            "name_en": "Al-Amal charity",
        },
        ["social-care", "disability-services"],
        ["al-madina", "marka"],
        MultiPolygon(_box(35.9100, 31.9400, 35.9300, 31.9550), srid=STORAGE_SRID),
    ),
    (
        {
            "kind": PartnerKind.COMPANY,
            "name_ar": "شركة تمكين للتدريب",
            "name_en": "Tamkeen training company",
        },
        ["training-jobs"],
        ["marka", "al-nasr", "basman"],
        None,
    ),
    (
        {
            "kind": PartnerKind.COMMUNITY_GROUP,
            "name_ar": "مجموعة جيران رأس العين",
            "name_en": "Ras Al-Ain neighbours group",
        },
        ["clean-ups", "waste-sorting-awareness"],
        [],
        MultiPolygon(_box(35.9230, 31.9410, 35.9290, 31.9460), srid=STORAGE_SRID),
    ),
]


def _load_partners(jurisdiction: Jurisdiction) -> Partner:
    """The demo partners (left as they are when they exist); returns the volunteer team."""
    districts = {d.code: d for d in District.objects.filter(jurisdiction=jurisdiction).defer("geom")}
    team = None
    for fields, service_codes, district_codes, area in DEMO_PARTNERS:
        partner = Partner.objects.filter(jurisdiction=jurisdiction, name_en=fields["name_en"]).first()
        if partner is None:
            partner = Partner.objects.create(jurisdiction=jurisdiction, served_area=area, **fields)
            partner.services.set(
                [
                    ServiceKind.objects.get_or_create(code=code, defaults={"name_ar": code, "name_en": code})[
                        0
                    ]
                    for code in service_codes
                ]
            )
            partner.districts.set([districts[code] for code in district_codes if code in districts])
        if fields is DEMO_PARTNER:
            team = partner
    assert team is not None  # noqa: S101 - the first entry
    return team


@register("initiatives")
def load_initiatives(jurisdiction: Jurisdiction) -> str:
    partner = _load_partners(jurisdiction)
    existing = set(
        Initiative.objects.filter(
            jurisdiction=jurisdiction, code__in=[f["code"] for f, *_rest in DEMO_INITIATIVES]
        ).values_list("code", flat=True)
    )
    created = 0
    for fields, shape, percents, with_partner in DEMO_INITIATIVES:
        if fields["code"] in existing:
            continue
        plan = services.InitiativePlan(
            **fields,
            shape=shape,
            planned_start=date(2026, 3, 1),
            planned_end=date(2026, 12, 31),
            description_ar="بيانات تجريبية بمواقع تقريبية.",
            description_en="Demo data at approximate places.",
            partner_ids=(partner.pk,) if with_partner else (),
        )
        initiative = services.create_initiative(jurisdiction=jurisdiction, plan=plan)
        for percent in percents:
            services.add_progress(
                initiative_id=initiative.pk, report=services.ProgressReport(percent=percent), author=None
            )
        created += 1
    return _("Initiatives: %(created)d created, %(unchanged)d unchanged") % {
        "created": created,
        "unchanged": len(existing),
    }
