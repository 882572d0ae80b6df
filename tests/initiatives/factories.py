"""Factories and builders for initiative tests: a small city of two square districts side by side."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import factory
from django.contrib.gis.geos import LineString, MultiPolygon, Point, Polygon

from geo_services.core.models import Department, District, Jurisdiction
from geo_services.initiatives.models import Initiative, Partner, PartnerKind, ServiceKind
from tests.factories import DepartmentFactory, DistrictFactory, JurisdictionFactory, square

# West district: 46.6-46.7 E, east district: 46.7-46.8 E, both 24.6-24.7 N (Riyadh), border at 46.7 E.
BORDER_LON = 46.7


@dataclass
class City:
    jurisdiction: Jurisdiction
    west: District
    east: District
    parks: Department
    roads: Department


def make_city(code: str = "test-riyadh") -> City:
    jurisdiction = JurisdictionFactory.create(code=code, time_zone="Asia/Riyadh", currency="SAR")
    west = DistrictFactory.create(
        jurisdiction=jurisdiction, code=f"{code}-west", geom=square(46.6, 24.6, 0.1)
    )
    east = DistrictFactory.create(
        jurisdiction=jurisdiction, code=f"{code}-east", geom=square(46.7, 24.6, 0.1)
    )
    parks = DepartmentFactory.create(jurisdiction=jurisdiction, code="parks")
    roads = DepartmentFactory.create(jurisdiction=jurisdiction, code="roads")
    return City(jurisdiction, west, east, parks, roads)


def box(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> Polygon:
    return Polygon(
        ((min_lon, min_lat), (max_lon, min_lat), (max_lon, max_lat), (min_lon, max_lat), (min_lon, min_lat)),
        srid=4326,
    )


def geojson_box(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> dict[str, Any]:
    ring = [
        [min_lon, min_lat],
        [max_lon, min_lat],
        [max_lon, max_lat],
        [min_lon, max_lat],
        [min_lon, min_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


class PartnerFactory(factory.django.DjangoModelFactory[Partner]):
    class Meta:
        model = Partner

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    kind = PartnerKind.VOLUNTEER_TEAM
    name_ar = "فريق تطوعي"
    name_en = factory.Sequence(lambda n: f"Volunteer team {n}")


class InitiativeFactory(factory.django.DjangoModelFactory[Initiative]):
    """A planned park in the west district unless told otherwise (the database fills the measures)."""

    class Meta:
        model = Initiative

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    code = factory.Sequence(lambda n: f"initiative-{n}")
    kind = "green_space"
    feature_type = "park"
    name_ar = "حديقة"
    name_en = factory.Sequence(lambda n: f"Park {n}")
    planned_start = date(2026, 3, 1)
    planned_end = date(2026, 9, 30)
    department = factory.SubFactory(DepartmentFactory, jurisdiction=factory.SelfAttribute("..jurisdiction"))
    geom = factory.LazyFunction(lambda: box(46.62, 24.62, 46.63, 24.63))


def sidewalk(city: City, line: LineString, **kwargs: Any) -> Initiative:
    return InitiativeFactory.create(
        jurisdiction=city.jurisdiction,
        department=city.roads,
        kind="model_sidewalk",
        feature_type="sidewalk_segment",
        width_m=3,
        geom=line,
        **kwargs,
    )


def station(city: City, point: Point, **kwargs: Any) -> Initiative:
    return InitiativeFactory.create(
        jurisdiction=city.jurisdiction,
        department=city.parks,
        kind="waste_sorting",
        feature_type="sorting_station",
        geom=point,
        **kwargs,
    )


class ServiceKindFactory(factory.django.DjangoModelFactory[ServiceKind]):
    """The migration seeds the kinds, but a transactional test empties the tables: get or create."""

    class Meta:
        model = ServiceKind
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"service-{n}")
    name_ar = "خدمة"
    name_en = factory.LazyAttribute(lambda kind: kind.code.replace("-", " "))


def third_district(city: City) -> District:
    """A north district above the west one (46.6-46.7 E, 24.7-24.8 N)."""
    return DistrictFactory.create(
        jurisdiction=city.jurisdiction, code=f"{city.jurisdiction.code}-north", geom=square(46.6, 24.7, 0.1)
    )


def multi_box(*boxes: tuple[float, float, float, float]) -> MultiPolygon:
    return MultiPolygon(*(box(*corners) for corners in boxes), srid=4326)


def point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}
