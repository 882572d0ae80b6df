"""The planner's indicator dashboard, /planning/, and a district's page, /planning/districts/<code>/.

For planners and administrators; anyone else signed in gets the forbidden page, and a visitor who is
not signed in is sent to the sign-in page (as on /planning/layers/). The figures themselves are
public through the API; the pages are the planners' working view of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from geo_services.core.errors import InvalidInput
from geo_services.core.models import Jurisdiction, StaffMember
from geo_services.core.roles import Role, has_role
from geo_services.indicators import charts, maps, parsing, selectors
from geo_services.indicators.selectors import INDICATORS, INDICATORS_BY_KEY, DateRange, PeriodIndicators
from geo_services.initiatives.models import FeatureType, Status
from geo_services.initiatives.selectors import MapFilters, initiatives_feature_collection

FORBIDDEN_TEMPLATE = "layers/planning/forbidden.html"


def _may_plan(request: HttpRequest) -> bool:
    return has_role(request.user, Role.PLANNER, Role.ADMIN)


def _arabic() -> bool:
    return (get_language() or "ar").startswith("ar")


@dataclass(frozen=True)
class Choice:
    jurisdiction: Jurisdiction
    date_range: DateRange
    indicator_key: str


def _own_jurisdiction_code(request: HttpRequest) -> str | None:
    """A planner works for one jurisdiction (their staff record): it is shown when none is chosen."""
    user_id = request.user.pk
    if user_id is None:
        return None
    return StaffMember.objects.filter(user_id=user_id).values_list("jurisdiction__code", flat=True).first()


def _choice(request: HttpRequest) -> Choice:
    params = request.GET
    jurisdiction = parsing.parse_jurisdiction(params.get("jurisdiction") or _own_jurisdiction_code(request))
    date_range = parsing.parse_date_range(params.get("from"), params.get("to"), jurisdiction=jurisdiction)
    return Choice(jurisdiction, date_range, parsing.parse_indicator(params.get("indicator")))


def _query(choice: Choice, **extra: str) -> str:
    return urlencode(
        {
            "jurisdiction": choice.jurisdiction.code,
            "from": choice.date_range.first.isoformat(),
            "to": choice.date_range.last.isoformat(),
            **extra,
        }
    )


def _cells(row: selectors.Row) -> list[str]:
    return [charts.format_value(row.figures[i.key], i.decimals) for i in INDICATORS]


def _trend(months: list[PeriodIndicators], key: str, *, district_row: bool) -> Any:
    indicator = INDICATORS_BY_KEY[key]
    points = [
        (
            month.date_range.first.strftime("%Y-%m"),
            (month.districts[0] if district_row else month.total).figures[key],
        )
        for month in months
    ]
    return charts.trend_svg(
        points, title=str(indicator.title), unit=str(indicator.unit), decimals=indicator.decimals
    )


def _form_context() -> dict[str, Any]:
    return {
        "indicators": INDICATORS,
        "jurisdictions": Jurisdiction.objects.defer("boundary").order_by("code"),
        "arabic": _arabic(),
    }


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """Choropleth map of one indicator, every district's indicators, the monthly trend. Planners and
    administrators."""
    if not _may_plan(request):
        return render(request, FORBIDDEN_TEMPLATE, status=403)
    context = _form_context()
    try:
        choice = _choice(request)
    except InvalidInput as problem:
        context.update({"error": problem.message, "values": request.GET})
        return render(request, "indicators/dashboard.html", context, status=400)
    period, months = selectors.indicators_with_trend(choice.jurisdiction, choice.date_range)
    indicator = INDICATORS_BY_KEY[choice.indicator_key]
    rows = [
        {
            "code": row.district.code,
            "name": row.district.name_ar if _arabic() else row.district.name_en,
            "url": reverse("planning-district", args=[row.district.code]) + "?" + _query(choice),
            "cells": _cells(row),
        }
        for row in period.districts
        if row.district is not None
    ]
    context.update(
        {
            "choice": choice,
            "indicator": indicator,
            "values": {
                "jurisdiction": choice.jurisdiction.code,
                "from": choice.date_range.first.isoformat(),
                "to": choice.date_range.last.isoformat(),
                "indicator": indicator.key,
            },
            "map_document": maps.choropleth_html(
                choice.jurisdiction,
                indicator,
                period.districts,
                nonce=str(request.csp_nonce),  # type: ignore[attr-defined]
            ),
            "rows": rows,
            "total_cells": _cells(period.total),
            "trend": _trend(months, indicator.key, district_row=False),
            "csv_url": reverse("indicators") + "?" + _query(choice, format="csv"),
            "json_url": reverse("indicators") + "?" + _query(choice),
        }
    )
    return render(request, "indicators/dashboard.html", context)


def _district_initiatives(jurisdiction: Jurisdiction, code: str) -> list[dict[str, Any]]:
    collection = json.loads(
        initiatives_feature_collection(
            MapFilters(jurisdiction_id=jurisdiction.pk, district_codes=(code,)), limit=maps.MAX_INITIATIVES
        )
    )
    statuses, feature_types = dict(Status.choices), dict(FeatureType.choices)
    return [
        {
            "name": p["name_ar"] if _arabic() else p["name_en"],
            "code": p["code"],
            "what": feature_types.get(p["feature_type"], p["feature_type"]),
            "status": p["status"],
            "status_text": statuses.get(p["status"], p["status"]),
            "progress": p["progress_percent"],
            "planned_end": p["planned_end"],
            "actual_end": p["actual_end"],
        }
        for p in (feature["properties"] for feature in collection["features"])
    ]


@login_required
@require_GET
def district_page(request: HttpRequest, code: str) -> HttpResponse:
    """One district: its figures beside the jurisdiction's, a trend per indicator, its initiatives.
    Planners and administrators."""
    if not _may_plan(request):
        return render(request, FORBIDDEN_TEMPLATE, status=403)
    context = _form_context()
    try:
        choice = _choice(request)
        district = parsing.parse_district(choice.jurisdiction, code)
    except InvalidInput as problem:
        context.update(
            {"error": problem.message, "values": request.GET, "back_url": reverse("planning-dashboard")}
        )
        return render(request, "indicators/district.html", context, status=400)
    period, months = selectors.indicators_with_trend(
        choice.jurisdiction, choice.date_range, district=district
    )
    whole = selectors.jurisdiction_indicators(choice.jurisdiction, choice.date_range)
    (row,) = period.districts
    figures = [
        {
            "indicator": indicator,
            "value": charts.format_value(row.figures[indicator.key], indicator.decimals),
            "total": charts.format_value(whole.total.figures[indicator.key], indicator.decimals),
            "trend": _trend(months, indicator.key, district_row=True),
        }
        for indicator in INDICATORS
    ]
    context.update(
        {
            "choice": choice,
            "district": district,
            "district_name": district.name_ar if _arabic() else district.name_en,
            "population": row.measures.population,
            "values": {
                "jurisdiction": choice.jurisdiction.code,
                "from": choice.date_range.first.isoformat(),
                "to": choice.date_range.last.isoformat(),
            },
            "figures": figures,
            "initiatives": _district_initiatives(choice.jurisdiction, district.code),
            "map_document": maps.district_map_html(
                choice.jurisdiction,
                district,
                nonce=str(request.csp_nonce),  # type: ignore[attr-defined]
            ),
            "back_url": reverse("planning-dashboard") + "?" + _query(choice),
            "json_url": reverse("district-indicators", args=[district.code]) + "?" + _query(choice),
        }
    )
    return render(request, "indicators/district.html", context)
