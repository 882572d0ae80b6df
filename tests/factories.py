"""factory_boy factories for the models tests need."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import MultiPolygon, Polygon

from geo_services.core.models import Department, District, Jurisdiction, StaffMember
from geo_services.service_requests.models import AttributeType, CategoryAttribute, ServiceCategory

TEST_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def roles(user: User, create: bool, extracted: list[str] | None, **kwargs: object) -> None:
        for role in extracted or []:
            user.groups.add(Group.objects.get(name=role))
        user.save()


class JurisdictionFactory(factory.django.DjangoModelFactory[Jurisdiction]):
    class Meta:
        model = Jurisdiction
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"city{n}")
    name_ar = factory.LazyAttribute(lambda o: f"مدينة {o.code}")
    name_en = factory.LazyAttribute(lambda o: f"City {o.code}")
    time_zone = "Asia/Riyadh"


def square(min_lon: float, min_lat: float, size: float) -> MultiPolygon:
    ring = (
        (min_lon, min_lat),
        (min_lon + size, min_lat),
        (min_lon + size, min_lat + size),
        (min_lon, min_lat + size),
        (min_lon, min_lat),
    )
    return MultiPolygon(Polygon(ring), srid=4326)


class DistrictFactory(factory.django.DjangoModelFactory[District]):
    class Meta:
        model = District

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    code = factory.Sequence(lambda n: f"district-{n}")
    name_ar = factory.LazyAttribute(lambda o: f"منطقة {o.code}")
    name_en = factory.LazyAttribute(lambda o: f"District {o.code}")
    population = 10_000
    geom = factory.LazyFunction(lambda: square(46.6, 24.6, 0.1))


class DepartmentFactory(factory.django.DjangoModelFactory[Department]):
    class Meta:
        model = Department

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    code = factory.Sequence(lambda n: f"department-{n}")
    name_ar = "إدارة"
    name_en = factory.LazyAttribute(lambda o: f"Department {o.code}")
    contact_email = "department@amanah.example"


class ServiceCategoryFactory(factory.django.DjangoModelFactory[ServiceCategory]):
    class Meta:
        model = ServiceCategory

    jurisdiction = factory.SubFactory(JurisdictionFactory)
    code = factory.Sequence(lambda n: f"service-{n}")
    name_ar = factory.LazyAttribute(lambda o: f"خدمة {o.code}")
    name_en = factory.LazyAttribute(lambda o: f"Service {o.code}")
    group = "streets"
    sla_hours = 48
    default_department = factory.SubFactory(
        DepartmentFactory, jurisdiction=factory.SelfAttribute("..jurisdiction")
    )


class CategoryAttributeFactory(factory.django.DjangoModelFactory[CategoryAttribute]):
    class Meta:
        model = CategoryAttribute

    category = factory.SubFactory(ServiceCategoryFactory)
    code = factory.Sequence(lambda n: f"question-{n}")
    datatype = AttributeType.STRING
    required = False
    description_ar = "سؤال"
    description_en = factory.LazyAttribute(lambda o: f"Question {o.code}")


def make_staff(user: User, *, jurisdiction: Jurisdiction, department: Department | None = None, districts=()):
    """Attach a user to a jurisdiction (and department / districts) as staff."""
    member = StaffMember.objects.create(user=user, jurisdiction=jurisdiction, department=department)
    member.districts.set(districts)
    return member
