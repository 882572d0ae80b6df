"""The database itself refuses bad rows: raw SQL, bypassing every Python check."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from tests.factories import DistrictFactory, JurisdictionFactory

INSERT = """
    INSERT INTO core_district (jurisdiction_id, code, name_ar, name_en, population, geom, created_at, updated_at)
    VALUES (%s, %s, 'x', 'x', NULL, ST_GeomFromText(%s, %s), now(), now())
"""
GOOD = "MULTIPOLYGON(((46.6 24.6, 46.7 24.6, 46.7 24.7, 46.6 24.7, 46.6 24.6)))"
BOW_TIE = "MULTIPOLYGON(((46.6 24.6, 46.7 24.7, 46.7 24.6, 46.6 24.7, 46.6 24.6)))"


def raw_insert(jurisdiction_id: int, code: str, wkt: str, srid: int = 4326) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(INSERT, [jurisdiction_id, code, wkt, srid])


@pytest.mark.django_db
class TestDistrictGeometry:
    def test_valid_geometry_is_accepted(self):
        jurisdiction = JurisdictionFactory.create()
        raw_insert(jurisdiction.pk, "ok", GOOD)

    def test_self_intersecting_geometry_is_refused(self):
        jurisdiction = JurisdictionFactory.create()
        with pytest.raises(IntegrityError, match="core_district_geom_valid"):
            raw_insert(jurisdiction.pk, "bow-tie", BOW_TIE)

    def test_empty_geometry_is_refused(self):
        jurisdiction = JurisdictionFactory.create()
        with pytest.raises(IntegrityError, match="core_district_geom_not_empty"):
            raw_insert(jurisdiction.pk, "empty", "MULTIPOLYGON EMPTY")

    def test_other_srid_is_refused(self):
        jurisdiction = JurisdictionFactory.create()
        with pytest.raises(DatabaseError, match="SRID"):
            raw_insert(jurisdiction.pk, "mercator", GOOD, 3857)

    def test_update_to_invalid_geometry_is_refused(self):
        district = DistrictFactory.create()
        with (
            pytest.raises(IntegrityError, match="core_district_geom_valid"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "UPDATE core_district SET geom = ST_GeomFromText(%s, 4326) WHERE id = %s",
                [BOW_TIE, district.pk],
            )

    def test_code_is_unique_within_a_jurisdiction(self):
        jurisdiction = JurisdictionFactory.create()
        raw_insert(jurisdiction.pk, "same", GOOD)
        with pytest.raises(IntegrityError, match="core_district_unique_code"):
            raw_insert(jurisdiction.pk, "same", GOOD)
        raw_insert(JurisdictionFactory.create().pk, "same", GOOD)

    def test_invalid_jurisdiction_boundary_is_refused(self):
        jurisdiction = JurisdictionFactory.create()
        with (
            pytest.raises(IntegrityError, match="core_jurisdiction_boundary_valid"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "UPDATE core_jurisdiction SET boundary = ST_GeomFromText(%s, 4326) WHERE id = %s",
                [BOW_TIE, jurisdiction.pk],
            )

    def test_model_validation_reports_the_constraint_message(self):
        from django.contrib.gis.geos import GEOSGeometry
        from django.core.exceptions import ValidationError

        district = DistrictFactory.build(
            jurisdiction=JurisdictionFactory.create(), geom=GEOSGeometry(BOW_TIE, srid=4326)
        )
        with pytest.raises(ValidationError) as caught:
            district.full_clean()
        assert "not a valid geometry" in str(caught.value) or "ليس شكلًا هندسيًا صالحًا" in str(caught.value)


@pytest.mark.django_db
class TestDistrictPartsTrigger:
    def count_parts(self, district_id: int) -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM core_districtpart WHERE district_id = %s", [district_id])
            return cursor.fetchone()[0]

    def test_raw_insert_update_and_delete_keep_parts_in_step(self):
        jurisdiction = JurisdictionFactory.create()
        raw_insert(jurisdiction.pk, "raw", GOOD)
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM core_district WHERE code = 'raw'")
            (district_id,) = cursor.fetchone()
            assert self.count_parts(district_id) == 1
            # A 2,000-vertex circle is cut into pieces of at most 256 vertices.
            cursor.execute(
                "UPDATE core_district SET geom = ST_Multi(ST_Buffer(ST_SetSRID(ST_MakePoint(46.6, 24.6), 4326), 0.1, 500))"
                " WHERE id = %s",
                [district_id],
            )
            assert self.count_parts(district_id) > 8
            cursor.execute(
                "SELECT max(ST_NPoints(geom)) FROM core_districtpart WHERE district_id = %s", [district_id]
            )
            assert cursor.fetchone()[0] <= 256
            cursor.execute("DELETE FROM core_district WHERE id = %s", [district_id])
            assert self.count_parts(district_id) == 0
