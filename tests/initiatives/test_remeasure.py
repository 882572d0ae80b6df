"""When the districts change (a new boundary import), the initiatives are placed again on request."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import MultiPolygon

from geo_services.core.errors import InvalidInput
from geo_services.initiatives.models import Initiative, InitiativeDistrictShare
from geo_services.initiatives.services import remeasure_initiatives
from tests.factories import square
from tests.initiatives.factories import BORDER_LON, InitiativeFactory, box


def shares(initiative_id: int) -> dict[int, float]:
    return dict(
        InitiativeDistrictShare.objects.filter(initiative_id=initiative_id).values_list(
            "district_id", "share"
        )
    )


def move_border(city, lon: float) -> None:
    city.west.geom = MultiPolygon(box(46.6, 24.6, lon, 24.7), srid=4326)
    city.west.save()
    city.east.geom = MultiPolygon(box(lon, 24.6, 46.8, 24.7), srid=4326)
    city.east.save()


def test_a_moved_border_moves_the_shares_once_remeasured(city):
    # Two thirds west of the border at 46.7; after the border moves to 46.69, one third west.
    park = InitiativeFactory.create(
        jurisdiction=city.jurisdiction,
        department=city.parks,
        geom=box(BORDER_LON - 0.02, 24.64, BORDER_LON + 0.01, 24.66),
    )
    park.refresh_from_db()
    area = park.area_m2
    assert park.district_id == city.west.pk
    move_border(city, BORDER_LON - 0.01)
    assert shares(park.pk)[city.west.pk] == pytest.approx(2 / 3, rel=0.005)  # not yet placed again

    assert remeasure_initiatives(jurisdiction=city.jurisdiction) == 1
    park.refresh_from_db()
    assert shares(park.pk)[city.west.pk] == pytest.approx(1 / 3, rel=0.005)
    assert park.district_id == city.east.pk
    assert park.area_m2 == pytest.approx(area)


def test_districts_that_no_longer_cover_an_initiative_change_nothing(city):
    park = InitiativeFactory.create(
        jurisdiction=city.jurisdiction,
        department=city.parks,
        code="edge-park",
        geom=box(46.6, 24.6, 46.61, 24.61),
    )
    before = shares(park.pk)
    city.west.geom = square(46.65, 24.6, 0.05)  # the park's corner of the city is given up
    city.west.save()
    with pytest.raises(InvalidInput, match="edge-park"):
        remeasure_initiatives(jurisdiction=city.jurisdiction)
    assert shares(park.pk) == before
    assert Initiative.objects.get(pk=park.pk).district_id == city.west.pk
