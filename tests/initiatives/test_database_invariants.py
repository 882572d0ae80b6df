"""The database refuses what the rules forbid, whatever writes the row: raw SQL here."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from geo_services.initiatives.models import Initiative, ProgressUpdate
from tests.initiatives.conftest import row_counts
from tests.initiatives.factories import InitiativeFactory, PartnerFactory

PARK = "POLYGON((46.62 24.62, 46.63 24.62, 46.63 24.63, 46.62 24.63, 46.62 24.62))"


def insert_initiative(city: Any, *, wkt: str = PARK, srid: int = 4326, **columns: Any) -> None:
    values: dict[str, Any] = {
        "jurisdiction_id": city.jurisdiction.pk,
        "code": "raw",
        "kind": "green_space",
        "feature_type": "park",
        "name_ar": "حديقة",
        "name_en": "Park",
        "description_ar": "",
        "description_en": "",
        "planned_start": "2026-03-01",
        "planned_end": "2026-09-30",
        "department_id": city.parks.pk,
        "surface": "",
        **columns,
    }
    names = ", ".join(values)
    placeholders = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO initiatives_initiative ({names}, geom, created_at, updated_at)"
            f" VALUES ({placeholders}, ST_GeomFromText(%s, %s), now(), now())",
            [*values.values(), wkt, srid],
        )


def refused_by(exc: pytest.ExceptionInfo[IntegrityError]) -> str | None:
    return exc.value.__cause__.diag.constraint_name  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("wkt", "columns", "constraint"),
    [
        # A bow tie: the polygon crosses itself.
        (
            "POLYGON((46.62 24.62, 46.63 24.63, 46.63 24.62, 46.62 24.63, 46.62 24.62))",
            {},
            "initiatives_initiative_geom_valid",
        ),
        ("LINESTRING(46.62 24.62, 46.63 24.63)", {}, "initiatives_geom_type_of_feature"),
        (
            "LINESTRING(46.62 24.62, 46.62 24.62)",
            {"kind": "model_sidewalk", "feature_type": "sidewalk_segment", "width_m": 3},
            "initiatives_line_has_length",
        ),
        (
            "POINT(46.65 24.65)",
            {"kind": "model_sidewalk", "feature_type": "park"},
            "initiatives_feature_type_of_kind",
        ),
        ("POLYGON((10 10, 11 10, 11 11, 10 11, 10 10))", {}, "initiatives_initiative_geom_in_districts"),
        (PARK, {"progress_percent": 101, "status": "in_progress"}, "initiatives_progress_0_100"),
        (PARK, {"progress_percent": 40, "status": "planned"}, "initiatives_status_matches_progress"),
        (PARK, {"planned_end": "2026-01-01"}, "initiatives_planned_dates_in_order"),
        (PARK, {"width_m": 2}, "initiatives_sidewalk_attributes"),
        (PARK, {"budget": -1}, "initiatives_budget_not_negative"),
    ],
)
def test_raw_sql_cannot_store_a_broken_initiative(city, wkt, columns, constraint):
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        insert_initiative(city, wkt=wkt, **columns)
    assert refused_by(refused) == constraint
    assert Initiative.objects.count() == 0


def test_raw_sql_cannot_store_another_srid(city):
    # The column's type already holds SRID 4326 (the CHECK and the trigger's test stand behind it).
    with pytest.raises(DatabaseError, match="SRID"), transaction.atomic():
        insert_initiative(
            city,
            wkt="POINT(5198000 2840000)",
            srid=3857,
            kind="waste_sorting",
            feature_type="sorting_station",
        )
    assert Initiative.objects.count() == 0


def test_a_raw_insert_inside_the_districts_is_measured_and_placed(city):
    insert_initiative(city)
    park = Initiative.objects.get(code="raw")
    assert park.district_id == city.west.pk
    assert park.area_m2 is not None
    assert park.area_m2 > 1_000_000
    assert (park.status, park.progress_percent) == ("planned", 0)


class TestProgressInTheDatabase:
    def insert_update(self, initiative_id: int, percent: int, created_at: str | None = None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO initiatives_progressupdate (initiative_id, percent, note, photo, photo_thumbnail, created_at)"
                " VALUES (%s, %s, '', '', '', COALESCE(%s::timestamptz, now()))",
                [initiative_id, percent, created_at],
            )

    def test_progress_of_101_is_refused(self, city):
        park = InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks)
        before = row_counts()
        with pytest.raises(IntegrityError) as refused, transaction.atomic():
            self.insert_update(park.pk, 101)
        assert refused_by(refused) == "initiatives_update_percent_0_100"
        assert row_counts() == before

    def test_progress_below_the_current_one_is_refused(self, city):
        park = InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks)
        self.insert_update(park.pk, 50)
        with pytest.raises(IntegrityError) as refused, transaction.atomic():
            self.insert_update(park.pk, 30)
        assert refused_by(refused) == "initiatives_progress_not_backwards"
        park.refresh_from_db()
        assert park.progress_percent == 50

    def test_a_raw_update_moves_the_initiative(self, city):
        park = InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks)
        self.insert_update(park.pk, 20)
        park.refresh_from_db()
        assert (park.status, park.progress_percent) == ("in_progress", 20)
        assert park.actual_start is not None
        assert park.actual_end is None
        self.insert_update(park.pk, 100)
        park.refresh_from_db()
        assert (park.status, park.progress_percent) == ("done", 100)
        assert park.actual_end is not None
        assert ProgressUpdate.objects.filter(initiative=park).count() == 2

    def test_actual_dates_are_days_of_the_jurisdictions_calendar(self, city):
        # 22:30 UTC is already the next day in Riyadh (UTC+3).
        park = InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks)
        self.insert_update(park.pk, 10, "2026-05-01T22:30:00Z")
        self.insert_update(park.pk, 100, "2026-06-30T20:59:00Z")
        park.refresh_from_db()
        assert park.actual_start is not None
        assert park.actual_end is not None
        assert park.actual_start.isoformat() == "2026-05-02"
        assert park.actual_end.isoformat() == "2026-06-30"


def test_a_raw_delete_takes_the_shares_progress_and_partner_links_along(city):
    park = InitiativeFactory.create(jurisdiction=city.jurisdiction, department=city.parks)
    park.partners.add(PartnerFactory.create(jurisdiction=city.jurisdiction))
    ProgressUpdate.objects.create(initiative=park, percent=30)
    assert row_counts() == (1, 1, 1)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM initiatives_initiative WHERE id = %s", [park.pk])
        cursor.execute("SELECT count(*) FROM initiatives_initiative_partners")
        assert cursor.fetchone()[0] == 0
    assert row_counts() == (0, 0, 0)
