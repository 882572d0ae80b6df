"""The community API: partners and their coverage, residents' proposals, work days and volunteers.

Thin: parse the input once (api.parsing), call initiatives.selectors / initiatives.services, render.
Who may do what:
- anyone, signed in or not: the partners (names, kinds, services, areas served — never their
  contacts), the coverage by district and service, the service kinds, the proposals (what, where,
  status, the number of supporters, the decision — never who proposed or supported), an initiative's
  work days with the number signed up;
- staff of the jurisdiction (planners, dispatchers, inspectors) and administrators: also partners'
  contacts;
- planners (their jurisdiction) and administrators: register partners, accept or decline proposals;
- signed-in residents (citizen role): propose, support and withdraw support;
- anyone signed in: sign up for a work day and cancel;
- whoever may manage the initiative (planners, administrators, its department's dispatchers): plan
  its work days and see the names of the volunteers.
"""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from geo_services.core import selectors as core_selectors
from geo_services.core.api.parsers import JSONBodyParser
from geo_services.core.api.parsing import parse_int
from geo_services.core.api.permissions import HasRole
from geo_services.core.errors import Forbidden, InvalidInput, NotFound
from geo_services.core.models import Jurisdiction
from geo_services.core.ratelimits import rate_limited
from geo_services.core.roles import Role
from geo_services.initiatives import selectors, services
from geo_services.initiatives.api import parsing
from geo_services.initiatives.api.views import InitiativeAPIView, _jurisdiction_of_actor, _serve
from geo_services.initiatives.models import Proposal, ProposalStatus, WorkDay

DEFAULT_LIMIT = 500
MAX_LIMIT = 5_000


class IsResident(HasRole):
    roles = (Role.CITIZEN,)


class CanDecide(HasRole):
    roles = (Role.PLANNER, Role.ADMIN)


class CanPlanWorkDays(HasRole):
    roles = (Role.PLANNER, Role.ADMIN, Role.DISPATCHER)


def _jurisdiction(raw: object) -> Jurisdiction:
    if raw is not None and not isinstance(raw, str):
        raise InvalidInput(_("%(name)s must be text.") % {"name": "jurisdiction"})
    return core_selectors.jurisdiction_by_code(raw or settings.AMANAH_DEFAULT_JURISDICTION)


def _known_service(raw: str | None) -> str | None:
    if not raw:
        return None
    known = [kind.code for kind in selectors.service_kinds()]
    if raw not in known:
        raise InvalidInput(
            _("Unknown service %(codes)s; the services are %(known)s.")
            % {"codes": raw[:80], "known": ", ".join(known)},
            code="unknown_service",
        )
    return raw


_JURISDICTION = OpenApiParameter(
    "jurisdiction", OpenApiTypes.STR, description="Jurisdiction code; default the configured one."
)
_SERVICE = OpenApiParameter("service", OpenApiTypes.STR, description="A service kind's code.")


# --- Partners -----------------------------------------------------------------------------------------


class ServiceKindListView(InitiativeAPIView):
    """GET: the kinds of service partners provide, in Arabic and English. Anyone."""

    @extend_schema(operation_id="partner_service_kinds", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        return Response(
            {
                "services": [
                    {"code": kind.code, "name_ar": kind.name_ar, "name_en": kind.name_en}
                    for kind in selectors.service_kinds()
                ]
            }
        )


class PartnerListView(InitiativeAPIView):
    """GET: a jurisdiction's partners (anyone; contacts for its staff and administrators only).
    POST: register a partner (planners of the jurisdiction, administrators)."""

    write_permissions = [CanDecide]

    @extend_schema(
        operation_id="partner_list",
        parameters=[
            _JURISDICTION,
            _SERVICE,
            OpenApiParameter("district", OpenApiTypes.STR, description="A district code."),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        jurisdiction = _jurisdiction(params.get("jurisdiction"))
        district = params.get("district") or None
        # No district code holds NUL (which PostgreSQL text cannot hold): it is an unknown one.
        if district is not None and (
            "\x00" in district or not selectors.has_district(jurisdiction.pk, district)
        ):
            raise InvalidInput(
                _("%(jurisdiction)s has no district %(codes)s.")
                % {"jurisdiction": jurisdiction.code, "codes": district[:80]},
                code="unknown_district",
            )
        document = selectors.partners_document(
            jurisdiction.pk,
            service_code=_known_service(params.get("service")),
            district_code=district,
            with_contacts=selectors.sees_contacts(request.user, jurisdiction.pk),
        )
        body = '{"jurisdiction":' + json.dumps(jurisdiction.code) + ',"partners":' + document + "}"
        return HttpResponse(body.encode(), content_type="application/json")

    @extend_schema(
        operation_id="partner_register",
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT},
        description="Body: kind, name_ar, name_en; optional jurisdiction, services (codes), districts "
        "(codes of whole districts served), served_area (GeoJSON Polygon or MultiPolygon, WGS84), "
        "contact_name, contact_email, contact_phone, active.",
    )
    def post(self, request: Request) -> Response:
        body = parsing.body_object(request.data)
        registration = parsing.parse_partner({k: v for k, v in body.items() if k != "jurisdiction"})
        jurisdiction = _jurisdiction_of_actor(request, body.get("jurisdiction"))
        partner = services.register_partner(
            actor=request.user, jurisdiction=jurisdiction, registration=registration
        )
        return Response({"id": partner.pk}, status=201)


def coverage_document(jurisdiction: Jurisdiction, service_code: str | None) -> dict[str, Any]:
    cells = selectors.coverage(jurisdiction.pk, service_code=service_code)
    return {
        "jurisdiction": jurisdiction.code,
        "service": service_code,
        "cells": [
            {
                "district": cell.district_code,
                "district_name_ar": cell.district_name_ar,
                "district_name_en": cell.district_name_en,
                "service": cell.service_code,
                "service_name_ar": cell.service_name_ar,
                "service_name_en": cell.service_name_en,
                "partners_count": len(cell.partners),
                "partners": cell.partners,
                "gap": cell.is_gap,
            }
            for cell in cells
        ],
        "gaps": [
            {"district": cell.district_code, "service": cell.service_code} for cell in cells if cell.is_gap
        ],
    }


class CoverageView(InitiativeAPIView):
    """GET: per district and service, the active partners there, and the gaps (no partner). Anyone."""

    @extend_schema(
        operation_id="partner_coverage",
        parameters=[_JURISDICTION, _SERVICE],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        jurisdiction = _jurisdiction(params.get("jurisdiction"))
        return Response(coverage_document(jurisdiction, _known_service(params.get("service"))))


# --- Proposals ----------------------------------------------------------------------------------------


class ProposalAPIView(InitiativeAPIView):
    parser_classes = [JSONBodyParser, MultiPartParser]


class ProposalListView(ProposalAPIView):
    """GET: the jurisdiction's proposals as GeoJSON (anyone; no proposer, no supporters).
    POST: propose (signed-in residents), as JSON or multipart with a `photo`."""

    write_permissions = [IsResident]

    @extend_schema(
        operation_id="proposal_list",
        parameters=[
            _JURISDICTION,
            OpenApiParameter("status", OpenApiTypes.STR, description=", ".join(ProposalStatus.values)),
            OpenApiParameter("limit", OpenApiTypes.INT),
            OpenApiParameter("offset", OpenApiTypes.INT),
        ],
        responses={
            (200, "application/geo+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="GeoJSON FeatureCollection"
            )
        },
    )
    def get(self, request: Request) -> HttpResponse:
        params = request.query_params
        jurisdiction = _jurisdiction(params.get("jurisdiction"))
        status = params.get("status") or None
        if status is not None and status not in ProposalStatus.values:
            raise InvalidInput(
                _("status must be one of %(values)s.") % {"values": ", ".join(ProposalStatus.values)},
                code="invalid_choice",
            )
        document = selectors.proposals_feature_collection(
            jurisdiction,
            viewer_id=request.user.pk if request.user.is_authenticated else None,
            status=status,
            limit=parse_int(
                params.get("limit"), name="limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT
            ),
            offset=parse_int(params.get("offset"), name="offset", default=0, minimum=0, maximum=10_000_000),
            thumbnail_url=reverse("proposal-thumbnail", args=[0]).replace("/0/", "/{id}/"),
        )
        return HttpResponse(document, content_type="application/geo+json")

    @extend_schema(
        operation_id="proposal_create",
        request={"application/json": OpenApiTypes.OBJECT, "multipart/form-data": OpenApiTypes.OBJECT},
        responses={201: OpenApiTypes.OBJECT},
        description="title, description, geometry (GeoJSON Point or Polygon, WGS84; GeoJSON text in a form), "
        "optional jurisdiction and photo (multipart).",
    )
    @rate_limited("proposals")
    def post(self, request: Request) -> Response:
        code, draft = parsing.parse_proposal(request.data, request.FILES)
        jurisdiction = _jurisdiction(code)
        proposal = services.propose(actor=request.user, jurisdiction=jurisdiction, draft=draft)
        return Response(_proposal_document(request, proposal.pk), status=201)


def _proposal_or_404(proposal_id: int) -> Proposal:
    proposal = selectors.proposal_for_display(proposal_id)
    if proposal is None:
        raise NotFound(_("There is no proposal %(id)s.") % {"id": proposal_id}, code="unknown_proposal")
    return proposal


def _proposal_document(request: Request, proposal_id: int) -> dict[str, Any]:
    """One proposal as a GeoJSON Feature; the decision makers' names for staff who may decide only."""
    proposal = _proposal_or_404(proposal_id)
    zone = ZoneInfo(proposal.jurisdiction.time_zone)
    scope = selectors.decision_scope(request.user)
    staff = scope.everything or scope.jurisdiction_id == proposal.jurisdiction_id
    history = []
    for change in proposal.status_changes.all():
        item: dict[str, Any] = {
            "previous_status": change.previous_status or None,
            "status": change.status,
            "reason": change.reason,
            "at": change.created_at.astimezone(zone).isoformat(),
        }
        if staff and change.status != ProposalStatus.OPEN:
            item["by"] = change.changed_by.get_username() if change.changed_by is not None else None
        history.append(item)
    properties: dict[str, Any] = {
        "title": proposal.title,
        "description": proposal.description,
        "status": proposal.status,
        "supporters_count": proposal.supporters_count,
        "district": proposal.district.code if proposal.district else None,
        "jurisdiction": proposal.jurisdiction.code,
        "initiative": proposal.initiative_id,
        "decision_reason": proposal.decision_reason,
        "decided_at": proposal.decided_at.astimezone(zone).isoformat() if proposal.decided_at else None,
        "created_at": proposal.created_at.astimezone(zone).isoformat(),
        "photo_url": reverse("proposal-photo", args=[proposal.pk]) if proposal.photo else None,
        "thumbnail_url": reverse("proposal-thumbnail", args=[proposal.pk]) if proposal.photo else None,
        "supported_by_me": selectors.has_supported(proposal.pk, request.user),
        "history": history,
    }
    return {
        "type": "Feature",
        "id": proposal.pk,
        "geometry": json.loads(proposal.geom.json),
        "properties": properties,
    }


class ProposalDetailView(ProposalAPIView):
    """GET: one proposal with its status history. Anyone (who decided: staff who may decide only)."""

    @extend_schema(operation_id="proposal_detail", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, proposal_id: int) -> Response:
        return Response(_proposal_document(request, proposal_id))


class ProposalSupportView(ProposalAPIView):
    """POST: support the proposal, once (signed-in residents). DELETE: withdraw that support."""

    write_permissions = [IsResident]

    @extend_schema(operation_id="proposal_support", request=None, responses={201: OpenApiTypes.OBJECT})
    @rate_limited("support")
    def post(self, request: Request, proposal_id: int) -> Response:
        proposal = services.support_proposal(actor=request.user, proposal_id=proposal_id)
        return Response({"supporters_count": proposal.supporters_count, "supported_by_me": True}, status=201)

    @extend_schema(
        operation_id="proposal_withdraw_support", request=None, responses={200: OpenApiTypes.OBJECT}
    )
    def delete(self, request: Request, proposal_id: int) -> Response:
        proposal = services.withdraw_support(actor=request.user, proposal_id=proposal_id)
        return Response({"supporters_count": proposal.supporters_count, "supported_by_me": False})


class ProposalAcceptView(ProposalAPIView):
    """POST: accept the proposal into an initiative (planners of its jurisdiction, administrators)."""

    write_permissions = [CanDecide]
    parser_classes = [JSONBodyParser]

    @extend_schema(
        operation_id="proposal_accept",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        description='{"initiative": id} links an existing initiative; {"plan": {…}} plans a new one with the '
        "body of POST /initiatives/ (geometry defaults to the proposal's); optional note.",
    )
    def post(self, request: Request, proposal_id: int) -> Response:
        if selectors.decision_scope(request.user).is_empty:
            raise Forbidden(_("Only planners and administrators may decide on proposals."))
        proposal = _proposal_or_404(proposal_id)
        acceptance = parsing.parse_acceptance(request.data, proposal_shape=proposal.geom)
        services.accept_proposal(
            actor=request.user,
            proposal_id=proposal_id,
            initiative_id=acceptance.initiative_id,
            plan=acceptance.plan,
            note=acceptance.note,
        )
        return Response(_proposal_document(request, proposal_id))


class ProposalDeclineView(ProposalAPIView):
    """POST: decline the proposal with a reason (planners of its jurisdiction, administrators)."""

    write_permissions = [CanDecide]
    parser_classes = [JSONBodyParser]

    @extend_schema(
        operation_id="proposal_decline",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT},
        description="reason (required; shown to residents).",
    )
    def post(self, request: Request, proposal_id: int) -> Response:
        reason = parsing.parse_decline(request.data)
        services.decline_proposal(actor=request.user, proposal_id=proposal_id, reason=reason)
        return Response(_proposal_document(request, proposal_id))


class ProposalPhotoView(ProposalAPIView):
    """The cleaned photo (EXIF removed) of a proposal, or its thumbnail. Anyone."""

    thumbnail = False

    @extend_schema(operation_id="proposal_photo", responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    def get(self, request: Request, proposal_id: int) -> Any:
        proposal = _proposal_or_404(proposal_id)
        return _serve(proposal.photo_thumbnail if self.thumbnail else proposal.photo)


class ProposalThumbnailView(ProposalPhotoView):
    thumbnail = True

    @extend_schema(operation_id="proposal_thumbnail", responses={(200, "image/jpeg"): OpenApiTypes.BINARY})
    def get(self, request: Request, proposal_id: int) -> Any:
        return super().get(request, proposal_id)


# --- Work days and volunteers -------------------------------------------------------------------------


def work_day_item(work_day: WorkDay, *, zone: ZoneInfo, signed_up: bool) -> dict[str, Any]:
    return {
        "id": work_day.pk,
        "initiative": work_day.initiative_id,
        "date": work_day.day.isoformat() if work_day.day else None,
        "starts_at": work_day.starts_at.astimezone(zone).isoformat(),
        "ends_at": work_day.ends_at.astimezone(zone).isoformat(),
        "place": work_day.place,
        "capacity": work_day.capacity,
        "signups_count": work_day.signups_count,
        "places_left": work_day.capacity - work_day.signups_count,
        "signed_up": signed_up,
    }


class WorkDayListView(InitiativeAPIView):
    """GET: an initiative's work days with the number signed up (anyone; no names).
    POST: plan a work day (whoever may manage the initiative)."""

    write_permissions = [CanPlanWorkDays]

    @extend_schema(operation_id="initiative_work_days", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, initiative_id: int) -> Response:
        initiative = selectors.initiative_exists(initiative_id)
        if initiative is None:
            raise NotFound(
                _("There is no initiative %(id)s.") % {"id": initiative_id}, code="unknown_initiative"
            )
        zone = ZoneInfo(initiative.jurisdiction.time_zone)
        days = selectors.work_days_of_initiative(initiative_id)
        mine = selectors.work_days_signed_up(request.user, [day.pk for day in days])
        return Response(
            {
                "initiative": initiative_id,
                "volunteers_count": initiative.volunteers_count,
                "work_days": [work_day_item(day, zone=zone, signed_up=day.pk in mine) for day in days],
            }
        )

    @extend_schema(
        operation_id="initiative_plan_work_day",
        request=OpenApiTypes.OBJECT,
        responses={201: OpenApiTypes.OBJECT},
        description="date (local), start and end (local times such as 08:00), place, capacity (volunteers wanted).",
    )
    def post(self, request: Request, initiative_id: int) -> Response:
        plan = parsing.parse_work_day(request.data)
        work_day = services.schedule_work_day(actor=request.user, initiative_id=initiative_id, plan=plan)
        zone = ZoneInfo(work_day.initiative.jurisdiction.time_zone)
        return Response(work_day_item(work_day, zone=zone, signed_up=False), status=201)


class SignupView(InitiativeAPIView):
    """POST: sign up for the work day (anyone signed in). DELETE: cancel one's sign-up."""

    def get_permissions(self) -> list[BasePermission]:
        return [IsAuthenticated()] if self.request.method != "OPTIONS" else [AllowAny()]

    def _answer(self, work_day: WorkDay, *, signed_up: bool, status: int) -> Response:
        item = work_day_item(
            work_day, zone=ZoneInfo(work_day.initiative.jurisdiction.time_zone), signed_up=signed_up
        )
        item["volunteers_count"] = work_day.initiative.volunteers_count
        return Response(item, status=status)

    @extend_schema(operation_id="work_day_sign_up", request=None, responses={201: OpenApiTypes.OBJECT})
    @rate_limited("signups")
    def post(self, request: Request, work_day_id: int) -> Response:
        work_day = services.sign_up(actor=request.user, work_day_id=work_day_id)
        return self._answer(work_day, signed_up=True, status=201)

    @extend_schema(operation_id="work_day_cancel_sign_up", request=None, responses={200: OpenApiTypes.OBJECT})
    def delete(self, request: Request, work_day_id: int) -> Response:
        work_day = services.cancel_signup(actor=request.user, work_day_id=work_day_id)
        return self._answer(work_day, signed_up=False, status=200)


class VolunteerListView(InitiativeAPIView):
    """GET: who signed up for a work day (whoever may manage its initiative: personal data)."""

    def get_permissions(self) -> list[BasePermission]:
        return [CanPlanWorkDays()]

    @extend_schema(operation_id="work_day_volunteers", responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request, work_day_id: int) -> Response:
        work_day = selectors.work_day_for_display(work_day_id)
        if work_day is None:
            raise NotFound(_("There is no work day %(id)s.") % {"id": work_day_id}, code="unknown_work_day")
        scope = selectors.management_scope(request.user)
        initiative = work_day.initiative
        if not scope.covers(
            jurisdiction_id=initiative.jurisdiction_id,
            department_id=initiative.department_id,
            district_id=initiative.district_id,
        ):
            raise Forbidden(
                _(
                    "You may not see the volunteers of this initiative: it is outside your jurisdiction, "
                    "department or districts."
                ),
                code="outside_your_scope",
            )
        assert work_day.jurisdiction is not None  # noqa: S101 - set by the database
        zone = ZoneInfo(work_day.jurisdiction.time_zone)
        return Response(
            {
                "work_day": work_day.pk,
                "volunteers": [
                    {
                        "username": signup.user.get_username(),
                        "name": signup.user.get_full_name(),
                        "email": signup.user.email,
                        "signed_up_at": signup.created_at.astimezone(zone).isoformat(),
                    }
                    for signup in selectors.volunteers_of_work_day(work_day_id)
                ],
            }
        )
