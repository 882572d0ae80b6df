"""The indicators as JSON documents and as CSV (one row per district, then the jurisdiction's total)."""

from __future__ import annotations

import csv
import io
from typing import Any

from geo_services.core.models import Jurisdiction
from geo_services.indicators.selectors import INDICATOR_KEYS, INDICATORS, PeriodIndicators, Row

# Enough decimals for every indicator (m² per resident, km, %) without float noise.
DECIMALS = 4
CSV_COLUMNS = ("district_code", "name_ar", "name_en", "population", *INDICATOR_KEYS)
# The total row is marked the same way in both languages' files.
TOTAL_NAME_AR = "المجموع"
TOTAL_NAME_EN = "Total"


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, DECIMALS)


def indicator_definitions() -> list[dict[str, Any]]:
    return [
        {"key": i.key, "title": str(i.title), "unit": str(i.unit), "decimals": i.decimals} for i in INDICATORS
    ]


def row_document(row: Row) -> dict[str, Any]:
    m = row.measures
    document: dict[str, Any] = {}
    if row.district is not None:
        document.update(
            {"code": row.district.code, "name_ar": row.district.name_ar, "name_en": row.district.name_en}
        )
    document["population"] = m.population
    document["indicators"] = {key: _rounded(value) for key, value in row.figures.items()}
    # What the ratios are made of, so that anyone can check or recombine them.
    document["measures"] = {
        "area_m2": _rounded(m.area_m2),
        "green_m2": _rounded(m.green_m2),
        "park_reach_m2": _rounded(m.park_reach_m2),
        "sidewalk_done_m": _rounded(m.sidewalk_done_m),
        "sidewalk_planned_m": _rounded(m.sidewalk_planned_m),
        "waste_points": _rounded(m.waste_points),
        "requests": m.requests,
        "overdue_requests": m.overdue_requests,
        "closed_requests": m.closed_requests,
        "opening_hours": _rounded(m.opening_hours),
        "booked_hours": _rounded(m.booked_hours),
    }
    return document


def range_document(period: PeriodIndicators) -> dict[str, str]:
    return {"from": period.date_range.first.isoformat(), "to": period.date_range.last.isoformat()}


def jurisdiction_document(jurisdiction: Jurisdiction) -> dict[str, str]:
    return {
        "code": jurisdiction.code,
        "name_ar": jurisdiction.name_ar,
        "name_en": jurisdiction.name_en,
        "time_zone": jurisdiction.time_zone,
    }


def indicators_document(jurisdiction: Jurisdiction, period: PeriodIndicators) -> dict[str, Any]:
    return {
        "jurisdiction": jurisdiction_document(jurisdiction),
        **range_document(period),
        "definitions": indicator_definitions(),
        "districts": [row_document(row) for row in period.districts],
        "total": row_document(period.total),
    }


def district_document(
    jurisdiction: Jurisdiction, period: PeriodIndicators, months: list[PeriodIndicators]
) -> dict[str, Any]:
    (row,) = period.districts
    return {
        "jurisdiction": jurisdiction_document(jurisdiction),
        **range_document(period),
        "definitions": indicator_definitions(),
        "district": row_document(row),
        "monthly": [
            {
                "month": month.date_range.first.strftime("%Y-%m"),
                **range_document(month),
                "indicators": row_document(month.districts[0])["indicators"],
            }
            for month in months
        ],
    }


def indicators_csv(period: PeriodIndicators) -> bytes:
    """UTF-8 with a byte order mark, so that spreadsheet programs read the Arabic names as Arabic."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)

    def cells(row: Row, code: str, name_ar: str, name_en: str) -> list[object]:
        values = [_rounded(row.figures[key]) for key in INDICATOR_KEYS]
        population = row.measures.population
        return [code, name_ar, name_en, "" if population is None else population] + [
            "" if value is None else value for value in values
        ]

    for row in period.districts:
        if row.district is None:  # only the total has none, and it is written last
            continue
        writer.writerow(cells(row, row.district.code, row.district.name_ar, row.district.name_en))
    writer.writerow(cells(period.total, "", TOTAL_NAME_AR, TOTAL_NAME_EN))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
