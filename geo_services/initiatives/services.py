"""Writes of initiatives: plan one, change it, report its progress; register partners; residents'
proposals, their support and the decision on them; work days and volunteers' sign-ups. Each in one
transaction.

The rules are checked here first, for a message a person can act on; the database (constraints and
triggers of migration 0002) holds them anyway, so nothing that breaks them is ever stored. A shape
that is not valid is refused, never repaired: a repaired polygon would not be the one that was drawn.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from geo_services.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from geo_services.core.models import Department, District, Jurisdiction
from geo_services.core.photos import clean_photo, store_photo
from geo_services.core.roles import Role, roles_of
from geo_services.initiatives import selectors
from geo_services.initiatives.models import (
    FEATURE_TYPES_OF_KIND,
    GEOMETRY_TYPE_OF_FEATURE,
    FeatureType,
    Initiative,
    Partner,
    PartnerKind,
    ProgressUpdate,
    Proposal,
    ProposalStatus,
    ProposalSupport,
    SidewalkSurface,
    VolunteerSignup,
    WorkDay,
)
from geo_services.inspections import selectors as inspection_selectors

# A shape may stick out of the districts by this share of its length or area (the seams of the
# subdivided district parts); the database trigger uses the same tolerance.
OUTSIDE_TOLERANCE = 0.001
MAX_WIDTH_M = Decimal(50)


@dataclass(frozen=True)
class InitiativePlan:
    """A new initiative, as parsed at the edge (typed, but not yet checked against the rules)."""

    kind: str
    feature_type: str
    name_ar: str
    name_en: str
    planned_start: date
    planned_end: date
    department_code: str
    shape: GEOSGeometry
    code: str = ""
    description_ar: str = ""
    description_en: str = ""
    budget: Decimal | None = None
    partner_ids: tuple[int, ...] = ()
    width_m: Decimal | None = None
    surface: str = ""
    ramps_count: int | None = None


# The fields `update_initiative` accepts; kind and feature type are fixed once planned.
EDITABLE_FIELDS = frozenset(
    {
        "name_ar",
        "name_en",
        "description_ar",
        "description_en",
        "planned_start",
        "planned_end",
        "actual_start",
        "actual_end",
        "budget",
        "department_code",
        "shape",
        "partner_ids",
        "width_m",
        "surface",
        "ramps_count",
    }
)


# Fields copied as they are; the others need a look-up or a check of their own.
_PLAIN_FIELDS = EDITABLE_FIELDS - {"department_code", "shape", "partner_ids"}


def _name_of(jurisdiction: Jurisdiction) -> str:
    """The jurisdiction's name in the language of the answer (Arabic unless English was asked for)."""
    return (
        jurisdiction.name_en
        if (translation.get_language() or "ar").startswith("en")
        else jurisdiction.name_ar
    )


# --- Rules --------------------------------------------------------------------------------------------


def check_shape(*, jurisdiction: Jurisdiction, feature_type: str, shape: GEOSGeometry) -> None:
    """InvalidInput unless the shape has the feature type's geometry type, a length (lines), is valid and
    lies within the jurisdiction's districts."""
    expected = GEOMETRY_TYPE_OF_FEATURE[feature_type]
    if shape.geom_type != expected:
        raise InvalidInput(
            _("A %(feature)s is drawn as a %(expected)s, not a %(given)s.")
            % {"feature": FeatureType(feature_type).label, "expected": expected, "given": shape.geom_type},
            code="wrong_geometry_type",
        )
    if shape.geom_type == "LineString" and shape.length == 0:
        raise InvalidInput(
            _("The line has zero length: its points are all at the same place. Draw it along the sidewalk."),
            code="zero_length",
        )
    check_valid(shape)
    check_within_districts(jurisdiction=jurisdiction, shape=shape)


def _check_dates(
    planned_start: date, planned_end: date, actual_start: date | None, actual_end: date | None
) -> None:
    if planned_end < planned_start:
        raise InvalidInput(
            _("The planned end (%(end)s) is before the planned start (%(start)s).")
            % {"end": planned_end, "start": planned_start},
            code="dates_out_of_order",
        )
    if actual_end is not None and actual_start is None:
        raise InvalidInput(_("An actual end needs an actual start."), code="dates_out_of_order")
    if actual_end is not None and actual_start is not None and actual_end < actual_start:
        raise InvalidInput(
            _("The actual end (%(end)s) is before the actual start (%(start)s).")
            % {"end": actual_end, "start": actual_start},
            code="dates_out_of_order",
        )


def _check_sidewalk_attributes(
    feature_type: str, width_m: Decimal | None, surface: str, ramps_count: int | None
) -> None:
    if feature_type == FeatureType.SIDEWALK_SEGMENT:
        if width_m is None or not Decimal(0) < width_m <= MAX_WIDTH_M:
            raise InvalidInput(
                _("A sidewalk segment needs width_m, its width in metres (more than 0, at most %(max)s).")
                % {"max": MAX_WIDTH_M},
                code="missing_width",
            )
        if surface and surface not in SidewalkSurface.values:
            raise InvalidInput(
                _("surface must be one of %(values)s.") % {"values": ", ".join(SidewalkSurface.values)}
            )
    elif width_m is not None or surface or ramps_count is not None:
        raise InvalidInput(
            _("width_m, surface and ramps_count belong to sidewalk segments only."),
            code="not_a_sidewalk",
        )


def _check_budget(budget: Decimal | None) -> None:
    if budget is not None and budget < 0:
        raise InvalidInput(_("The budget cannot be negative."), code="out_of_range")


def _department(jurisdiction: Jurisdiction, code: str) -> Department:
    department = Department.objects.filter(jurisdiction=jurisdiction, code=code).first()
    if department is None:
        raise InvalidInput(
            _("%(jurisdiction)s has no department %(code)r.")
            % {"jurisdiction": _name_of(jurisdiction), "code": code[:80]},
            code="unknown_department",
        )
    return department


def _partners(jurisdiction: Jurisdiction, partner_ids: Sequence[int]) -> list[Partner]:
    partners = list(selectors.partners_of_jurisdiction(jurisdiction.pk, partner_ids))
    missing = sorted(set(partner_ids) - {p.pk for p in partners})
    if missing:
        raise InvalidInput(
            _("%(jurisdiction)s has no partner %(ids)s.")
            % {"jurisdiction": _name_of(jurisdiction), "ids": ", ".join(str(i) for i in missing)},
            code="unknown_partner",
        )
    return partners


def _require_scope(scope: selectors.Scope, initiative: Initiative, refusal: str) -> None:
    """Forbidden with `refusal` (a whole sentence) unless the scope covers the initiative."""
    if not scope.covers(
        jurisdiction_id=initiative.jurisdiction_id,
        department_id=initiative.department_id,
        district_id=initiative.district_id,
    ):
        raise Forbidden(refusal, code="outside_your_scope")


def _save(initiative: Initiative, **kwargs: Any) -> None:
    """Save; a duplicate code is a conflict, and any other refusal of the database an invalid input
    (the checks above come first, so that means a rule they do not know yet)."""
    try:
        with transaction.atomic():
            initiative.save(**kwargs)
    except IntegrityError as exc:
        if "initiatives_unique_code" in str(exc):
            raise Conflict(
                _("There is already an initiative with the code %(code)s.") % {"code": initiative.code},
                code="duplicate_code",
            ) from None
        raise InvalidInput(
            _("The initiative was refused: %(reason)s") % {"reason": str(exc).splitlines()[0][:300]},
            code="refused_by_database",
        ) from None


# --- Writes -------------------------------------------------------------------------------------------


def plan_initiative(
    *, actor: User | AnonymousUser, jurisdiction: Jurisdiction, plan: InitiativePlan
) -> Initiative:
    """A new initiative planned by `actor`, who must be allowed to manage it; all or nothing."""
    scope = selectors.management_scope(actor)
    if scope.is_empty:
        raise Forbidden(_("Only planners, administrators and dispatchers may plan initiatives."))
    with transaction.atomic():
        initiative = create_initiative(jurisdiction=jurisdiction, plan=plan)
        # The district is known once the database has placed the shape; a dispatcher limited to
        # some districts may plan only there (raising here rolls the insert back).
        _require_scope(
            scope,
            initiative,
            _("You may not plan this initiative: it is outside your jurisdiction, department or districts."),
        )
    return initiative


def create_initiative(*, jurisdiction: Jurisdiction, plan: InitiativePlan) -> Initiative:
    """Store a new initiative (status planned, 0 %) after checking every rule. For trusted callers
    (demo data, imports); people go through plan_initiative."""
    if plan.feature_type not in FEATURE_TYPES_OF_KIND.get(plan.kind, ()):
        raise InvalidInput(
            _("A %(kind)s initiative builds %(allowed)s, not %(given)s.")
            % {
                "kind": plan.kind,
                "allowed": ", ".join(FEATURE_TYPES_OF_KIND.get(plan.kind, ())),
                "given": plan.feature_type,
            },
            code="wrong_feature_type",
        )
    _check_dates(plan.planned_start, plan.planned_end, None, None)
    _check_budget(plan.budget)
    _check_sidewalk_attributes(plan.feature_type, plan.width_m, plan.surface, plan.ramps_count)
    check_shape(jurisdiction=jurisdiction, feature_type=plan.feature_type, shape=plan.shape)
    with transaction.atomic():
        department = _department(jurisdiction, plan.department_code)
        partners = _partners(jurisdiction, plan.partner_ids)
        initiative = Initiative(
            jurisdiction=jurisdiction,
            code=plan.code or f"{plan.feature_type.replace('_', '-')}-{uuid.uuid4().hex[:8]}",
            kind=plan.kind,
            feature_type=plan.feature_type,
            name_ar=plan.name_ar,
            name_en=plan.name_en,
            description_ar=plan.description_ar,
            description_en=plan.description_en,
            planned_start=plan.planned_start,
            planned_end=plan.planned_end,
            budget=plan.budget,
            department=department,
            geom=plan.shape,
            width_m=plan.width_m,
            surface=plan.surface,
            ramps_count=plan.ramps_count,
        )
        _save(initiative)
        initiative.refresh_from_db(fields=["district", "length_m", "area_m2"])
        initiative.partners.set(partners)
    return initiative


def update_initiative(
    *, actor: User | AnonymousUser, initiative_id: int, changes: Mapping[str, Any]
) -> Initiative:
    """Change the given fields of an initiative (progress and status move by progress updates only)."""
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise InvalidInput(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            code="not_editable",
        )
    scope = selectors.management_scope(actor)
    with transaction.atomic():
        initiative = (
            Initiative.objects.select_for_update(of=("self",))
            .select_related("jurisdiction")
            .filter(pk=initiative_id)
            .first()
        )
        if initiative is None:
            raise NotFound(
                _("There is no initiative %(id)s.") % {"id": initiative_id}, code="unknown_initiative"
            )
        _require_scope(
            scope,
            initiative,
            _(
                "You may not change this initiative: it is outside your jurisdiction, department or districts."
            ),
        )
        jurisdiction = initiative.jurisdiction
        for name in _PLAIN_FIELDS & set(changes):
            setattr(initiative, name, changes[name])
        _check_dates(
            initiative.planned_start, initiative.planned_end, initiative.actual_start, initiative.actual_end
        )
        _check_budget(initiative.budget)
        _check_sidewalk_attributes(
            initiative.feature_type, initiative.width_m, initiative.surface, initiative.ramps_count
        )
        if "department_code" in changes:
            initiative.department = _department(jurisdiction, changes["department_code"])
        if "shape" in changes:
            check_shape(
                jurisdiction=jurisdiction, feature_type=initiative.feature_type, shape=changes["shape"]
            )
            initiative.geom = changes["shape"]
        _save(initiative)
        initiative.refresh_from_db(fields=["district", "length_m", "area_m2"])
        # Still theirs after the change (a dispatcher cannot hand an initiative to another department
        # or move it out of their districts).
        _require_scope(
            scope,
            initiative,
            _(
                "You may not change this initiative: it is outside your jurisdiction, department or districts."
            ),
        )
        if "partner_ids" in changes:
            initiative.partners.set(_partners(jurisdiction, changes["partner_ids"]))
    return initiative


@dataclass(frozen=True)
class ProgressReport:
    percent: int
    note: str = ""
    photo: UploadedFile | None = None
    inspection_uuid: str | None = None


def report_progress(
    *, actor: User | AnonymousUser, initiative_id: int, report: ProgressReport
) -> ProgressUpdate:
    """A progress update by `actor`, who must be allowed to report on the initiative."""
    scope = selectors.progress_scope(actor)
    if scope.is_empty:
        raise Forbidden(_("Only staff of the initiative's municipality may report its progress."))
    return add_progress(
        initiative_id=initiative_id,
        report=report,
        author=actor if actor.is_authenticated else None,
        scope=scope,
    )


def add_progress(
    *,
    initiative_id: int,
    report: ProgressReport,
    author: User | None,
    scope: selectors.Scope | None = None,
) -> ProgressUpdate:
    """Add a progress update; the initiative's progress, status and actual dates move with it (trigger).
    Without `scope` (trusted callers: demo data, imports) no permission is checked."""
    if not 0 <= report.percent <= 100:
        raise InvalidInput(
            _("Progress is a percentage from 0 to 100, not %(percent)s.") % {"percent": report.percent},
            code="out_of_range",
        )
    # Decoding an image should not hold a transaction (and a row lock) open longer than needed.
    cleaned = clean_photo(report.photo) if report.photo is not None else None
    with transaction.atomic():
        initiative = Initiative.objects.select_for_update().filter(pk=initiative_id).first()
        if initiative is None:
            raise NotFound(
                _("There is no initiative %(id)s.") % {"id": initiative_id}, code="unknown_initiative"
            )
        if scope is not None:
            _require_scope(
                scope,
                initiative,
                _(
                    "You may not report progress on this initiative: it is outside your jurisdiction, "
                    "department or districts."
                ),
            )
        if report.percent < initiative.progress_percent:
            raise InvalidInput(
                _(
                    "The initiative is already at %(current)s %%; a progress update cannot lower it to %(percent)s %%."
                )
                % {"current": initiative.progress_percent, "percent": report.percent},
                code="progress_backwards",
            )
        inspection = None
        if report.inspection_uuid is not None:
            inspection = inspection_selectors.inspection_by_uuid(report.inspection_uuid)
            if inspection is None or inspection.jurisdiction_id != initiative.jurisdiction_id:
                raise InvalidInput(
                    _("There is no inspection %(uuid)s in this initiative's jurisdiction.")
                    % {"uuid": report.inspection_uuid},
                    code="unknown_inspection",
                )
        update = ProgressUpdate.objects.create(
            initiative=initiative,
            percent=report.percent,
            note=report.note,
            author=author,
            inspection=inspection,
        )
        if cleaned is not None:
            name = uuid.uuid4().hex
            store_photo(update, cleaned, photo_name=f"{name}.jpg", thumbnail_name=f"{name}-thumbnail.jpg")
    return update


def remeasure_initiatives(*, jurisdiction: Jurisdiction) -> int:
    """Place every initiative of a jurisdiction again after its districts changed (a new boundary
    import): district, shares and measures, all or nothing. An initiative the new districts no longer
    cover makes the whole run fail with its code. Returns how many initiatives were placed."""
    with transaction.atomic(), connection.cursor() as cursor:
        # The measuring trigger skips unchanged shapes unless told otherwise for this transaction.
        cursor.execute("SELECT set_config('initiatives.remeasure', 'on', true)")
        try:
            with transaction.atomic():
                cursor.execute(
                    "UPDATE initiatives_initiative SET geom = geom WHERE jurisdiction_id = %s",
                    [jurisdiction.pk],
                )
        except IntegrityError as exc:
            raise InvalidInput(
                _("The initiatives cannot be placed in the new districts: %(reason)s")
                % {"reason": str(exc).splitlines()[0][:300]},
                code="outside_jurisdiction",
            ) from None
        placed = cursor.rowcount
        cursor.execute("SELECT set_config('initiatives.remeasure', 'off', true)")
    return placed


# --- Partners -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerRegistration:
    """A partner as parsed at the edge: the served area, if any, is a MultiPolygon in SRID 4326."""

    kind: str
    name_ar: str
    name_en: str
    service_codes: tuple[str, ...] = ()
    district_codes: tuple[str, ...] = ()
    served_area: MultiPolygon | None = None
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""
    active: bool = True


def check_within_districts(*, jurisdiction: Jurisdiction, shape: GEOSGeometry) -> None:
    """InvalidInput unless the shape lies within the jurisdiction's districts (to OUTSIDE_TOLERANCE)."""
    covered = sum(share for _district, share in selectors.district_shares_of_shape(jurisdiction.pk, shape))
    if covered < 1 - OUTSIDE_TOLERANCE:
        raise InvalidInput(
            _("%(percent)s %% of the shape lies outside the districts of %(jurisdiction)s.")
            % {"percent": round(100 * (1 - covered), 1), "jurisdiction": _name_of(jurisdiction)},
            code="outside_jurisdiction",
        )


def check_valid(shape: GEOSGeometry) -> None:
    if not shape.valid:
        raise InvalidInput(
            _(
                "The shape is not a valid geometry (%(reason)s). Draw it again without crossing or touching "
                "edges; it is not repaired automatically."
            )
            % {"reason": shape.valid_reason},
            code="invalid_geometry",
        )


def register_partner(
    *, actor: User | AnonymousUser, jurisdiction: Jurisdiction, registration: PartnerRegistration
) -> Partner:
    """A new partner with its services and the districts and drawn areas it serves; all or nothing."""
    scope = selectors.decision_scope(actor)
    if not (scope.everything or scope.jurisdiction_id == jurisdiction.pk):
        raise Forbidden(
            _("Only planners of this municipality and administrators may register partners."),
            code="outside_your_scope",
        )
    if registration.kind not in PartnerKind.values:
        raise InvalidInput(
            _("kind must be one of %(values)s.") % {"values": ", ".join(PartnerKind.values)},
            code="invalid_choice",
        )
    services = selectors.service_kind_ids(registration.service_codes)
    unknown_services = sorted(set(registration.service_codes) - set(services))
    if unknown_services:
        known = ", ".join(kind.code for kind in selectors.service_kinds())
        raise InvalidInput(
            _("Unknown service %(codes)s; the services are %(known)s.")
            % {"codes": ", ".join(unknown_services)[:200], "known": known},
            code="unknown_service",
        )
    districts = dict(
        District.objects.filter(jurisdiction=jurisdiction, code__in=registration.district_codes).values_list(
            "code", "id"
        )
    )
    unknown_districts = sorted(set(registration.district_codes) - set(districts))
    if unknown_districts:
        raise InvalidInput(
            _("%(jurisdiction)s has no district %(codes)s.")
            % {"jurisdiction": _name_of(jurisdiction), "codes": ", ".join(unknown_districts)[:200]},
            code="unknown_district",
        )
    if registration.served_area is not None:
        check_valid(registration.served_area)
        check_within_districts(jurisdiction=jurisdiction, shape=registration.served_area)
    with transaction.atomic():
        partner = Partner(
            jurisdiction=jurisdiction,
            kind=registration.kind,
            name_ar=registration.name_ar,
            name_en=registration.name_en,
            active=registration.active,
            served_area=registration.served_area,
            contact_name=registration.contact_name,
            contact_email=registration.contact_email,
            contact_phone=registration.contact_phone,
        )
        _save_refused_as_input(partner)
        partner.services.set(list(services.values()))
        partner.districts.set(list(districts.values()))
    return partner


def _save_refused_as_input(row: Any) -> None:
    """Save; a refusal of the database (a rule the checks above do not know yet) is an invalid input."""
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:
        raise InvalidInput(
            _("The database refused it: %(reason)s") % {"reason": str(exc).splitlines()[0][:300]},
            code="refused_by_database",
        ) from None


# --- Residents' proposals -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalDraft:
    title: str
    description: str
    shape: GEOSGeometry
    photo: UploadedFile | None = None


def propose(*, actor: User | AnonymousUser, jurisdiction: Jurisdiction, draft: ProposalDraft) -> Proposal:
    """A resident's proposal, supported by its proposer (who counts once, like anyone); all or nothing."""
    if not actor.is_authenticated or Role.CITIZEN not in roles_of(actor):
        raise Forbidden(_("Sign in as a resident to propose an initiative."), code="not_a_resident")
    if draft.shape.geom_type not in ("Point", "Polygon"):
        raise InvalidInput(
            _("A proposal is a point or an area (a Polygon) on the map, not a %(type)s.")
            % {"type": draft.shape.geom_type},
            code="wrong_geometry_type",
        )
    check_valid(draft.shape)
    check_within_districts(jurisdiction=jurisdiction, shape=draft.shape)
    # Decoding an image should not hold a transaction open longer than needed.
    cleaned = clean_photo(draft.photo) if draft.photo is not None else None
    with transaction.atomic():
        proposal = Proposal(
            jurisdiction=jurisdiction,
            proposer=actor,
            title=draft.title,
            description=draft.description,
            geom=draft.shape,
        )
        _save_refused_as_input(proposal)
        ProposalSupport.objects.create(proposal=proposal, user=actor)
        if cleaned is not None:
            name = uuid.uuid4().hex
            store_photo(proposal, cleaned, photo_name=f"{name}.jpg", thumbnail_name=f"{name}-thumbnail.jpg")
        proposal.refresh_from_db(fields=["district", "supporters_count", "status"])
    return proposal


def _locked_proposal(proposal_id: int) -> Proposal:
    proposal = Proposal.objects.select_for_update().filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound(_("There is no proposal %(id)s.") % {"id": proposal_id}, code="unknown_proposal")
    return proposal


def support_proposal(*, actor: User | AnonymousUser, proposal_id: int) -> Proposal:
    """`actor` supports an open proposal, once; a second support is a conflict and changes nothing."""
    if not actor.is_authenticated or Role.CITIZEN not in roles_of(actor):
        raise Forbidden(_("Sign in as a resident to support a proposal."), code="not_a_resident")
    with transaction.atomic():
        proposal = _locked_proposal(proposal_id)
        if proposal.status != ProposalStatus.OPEN:
            raise Conflict(
                _("This proposal was already %(status)s; it takes no more support.")
                % {"status": proposal.get_status_display()},
                code="proposal_decided",
            )
        try:
            with transaction.atomic():
                ProposalSupport.objects.create(proposal=proposal, user=actor)
        except IntegrityError as exc:
            if "initiatives_support_once" not in str(exc):
                raise
            raise Conflict(
                _("You already support this proposal: each resident counts once."), code="already_supported"
            ) from None
        proposal.refresh_from_db(fields=["supporters_count"])
    return proposal


def withdraw_support(*, actor: User | AnonymousUser, proposal_id: int) -> Proposal:
    """`actor` takes their support of an open proposal back."""
    if not actor.is_authenticated:
        raise Forbidden(_("Sign in as a resident to support a proposal."), code="not_a_resident")
    with transaction.atomic():
        proposal = _locked_proposal(proposal_id)
        if proposal.status != ProposalStatus.OPEN:
            raise Conflict(
                _("This proposal was already %(status)s; its support is closed.")
                % {"status": proposal.get_status_display()},
                code="proposal_decided",
            )
        deleted, _by_model = ProposalSupport.objects.filter(proposal=proposal, user=actor).delete()
        if not deleted:
            raise NotFound(_("You do not support this proposal."), code="not_supported")
        proposal.refresh_from_db(fields=["supporters_count"])
    return proposal


def _decidable(actor: User | AnonymousUser, proposal_id: int) -> Proposal:
    """The proposal, locked, if `actor` may decide on it and it is still open."""
    scope = selectors.decision_scope(actor)
    if scope.is_empty:
        raise Forbidden(_("Only planners and administrators may decide on proposals."))
    proposal = _locked_proposal(proposal_id)
    if not (
        scope.everything
        or (
            scope.jurisdiction_id == proposal.jurisdiction_id
            and (not scope.district_ids or proposal.district_id in scope.district_ids)
        )
    ):
        raise Forbidden(
            _("You may not decide on this proposal: it is outside your jurisdiction or districts."),
            code="outside_your_scope",
        )
    if proposal.status != ProposalStatus.OPEN:
        raise Conflict(
            _("This proposal was already %(status)s: a decision is final.")
            % {"status": proposal.get_status_display()},
            code="proposal_decided",
        )
    return proposal


def accept_proposal(
    *,
    actor: User | AnonymousUser,
    proposal_id: int,
    initiative_id: int | None = None,
    plan: InitiativePlan | None = None,
    note: str = "",
) -> Proposal:
    """Accept a proposal into an initiative: an existing one of its jurisdiction (`initiative_id`) or
    one planned now (`plan`, through plan_initiative's rules). One transaction: a refused plan leaves
    the proposal open."""
    if (initiative_id is None) == (plan is None):
        raise InvalidInput(
            _("Accept into one initiative: give either initiative (an id) or plan (a new initiative)."),
            code="missing_parameter",
        )
    with transaction.atomic():
        proposal = _decidable(actor, proposal_id)
        initiative = (
            plan_initiative(actor=actor, jurisdiction=proposal.jurisdiction, plan=plan)
            if plan is not None
            else _initiative_of_jurisdiction(initiative_id or 0, proposal.jurisdiction_id)
        )
        proposal.status = ProposalStatus.ACCEPTED
        proposal.initiative = initiative
        proposal.decision_reason = note
        proposal.decided_by = actor if isinstance(actor, User) else None
        proposal.decided_at = timezone.now()
        _save_refused_as_input(proposal)
    return proposal


def _initiative_of_jurisdiction(initiative_id: int, jurisdiction_id: int) -> Initiative:
    initiative = Initiative.objects.filter(pk=initiative_id, jurisdiction_id=jurisdiction_id).first()
    if initiative is None:
        raise InvalidInput(
            _("There is no initiative %(id)s in this proposal's jurisdiction.") % {"id": initiative_id},
            code="unknown_initiative",
        )
    return initiative


def decline_proposal(*, actor: User | AnonymousUser, proposal_id: int, reason: str) -> Proposal:
    """Decline a proposal, saying why (the reason is public: it is the municipality's answer)."""
    if not reason.strip():
        raise InvalidInput(
            _("Say why the proposal is declined: the reason is required and is shown to residents."),
            code="reason_required",
        )
    with transaction.atomic():
        proposal = _decidable(actor, proposal_id)
        proposal.status = ProposalStatus.DECLINED
        proposal.decision_reason = reason.strip()
        proposal.decided_by = actor if isinstance(actor, User) else None
        proposal.decided_at = timezone.now()
        _save_refused_as_input(proposal)
    return proposal


# --- Work days and volunteers -------------------------------------------------------------------------

MAX_WORK_DAY_HOURS = 12
MAX_WORK_DAY_CAPACITY = 10_000


@dataclass(frozen=True)
class WorkDayPlan:
    """A work day as parsed at the edge: a local date and local start and end times."""

    day: date
    starts: time
    ends: time
    place: str
    capacity: int


def schedule_work_day(*, actor: User | AnonymousUser, initiative_id: int, plan: WorkDayPlan) -> WorkDay:
    """A work day of an initiative, planned by someone who may manage the initiative."""
    scope = selectors.management_scope(actor)
    if scope.is_empty:
        raise Forbidden(_("Only planners, administrators and dispatchers may plan work days."))
    initiative = selectors.initiative_exists(initiative_id)
    if initiative is None:
        raise NotFound(_("There is no initiative %(id)s.") % {"id": initiative_id}, code="unknown_initiative")
    _require_scope(
        scope,
        initiative,
        _(
            "You may not plan work days of this initiative: it is outside your jurisdiction, department or districts."
        ),
    )
    zone = ZoneInfo(initiative.jurisdiction.time_zone)
    starts_at = datetime.combine(plan.day, plan.starts, tzinfo=zone)
    ends_at = datetime.combine(plan.day, plan.ends, tzinfo=zone)
    if ends_at <= starts_at or ends_at - starts_at > timedelta(hours=MAX_WORK_DAY_HOURS):
        raise InvalidInput(
            _("A work day ends after it starts, on the same day, and lasts at most %(hours)s hours.")
            % {"hours": MAX_WORK_DAY_HOURS},
            code="times_out_of_order",
        )
    if starts_at <= timezone.now():
        raise InvalidInput(_("A work day cannot start in the past."), code="in_the_past")
    if not 0 < plan.capacity <= MAX_WORK_DAY_CAPACITY:
        raise InvalidInput(
            _("capacity is the number of volunteers wanted, from 1 to %(max)s.")
            % {"max": MAX_WORK_DAY_CAPACITY},
            code="out_of_range",
        )
    work_day = WorkDay(
        initiative=initiative, starts_at=starts_at, ends_at=ends_at, place=plan.place, capacity=plan.capacity
    )
    _save_refused_as_input(work_day)
    work_day.refresh_from_db(fields=["day", "jurisdiction", "signups_count"])
    work_day.initiative = initiative  # with its jurisdiction, for the caller to show local times
    return work_day


def _open_work_day(work_day_id: int) -> WorkDay:
    work_day = (
        WorkDay.objects.select_related("initiative__jurisdiction")
        .defer("initiative__geom", "initiative__jurisdiction__boundary")
        .filter(pk=work_day_id)
        .first()
    )
    if work_day is None:
        raise NotFound(_("There is no work day %(id)s.") % {"id": work_day_id}, code="unknown_work_day")
    if work_day.starts_at <= timezone.now():
        raise Conflict(_("This work day has already started."), code="work_day_started")
    return work_day


def sign_up(*, actor: User | AnonymousUser, work_day_id: int) -> WorkDay:
    """`actor` volunteers for a work day: once, and only while there is room (the database holds the
    cap under concurrent sign-ups; a refused one writes nothing)."""
    if not isinstance(actor, User):
        raise Forbidden(_("Sign in to volunteer."), code="not_signed_in")
    work_day = _open_work_day(work_day_id)
    if work_day.signups_count >= work_day.capacity:
        raise Conflict(_("This work day is full."), code="work_day_full")
    try:
        with transaction.atomic():
            VolunteerSignup.objects.create(work_day=work_day, user=actor)
    except IntegrityError as exc:
        if "initiatives_signup_once" in str(exc):
            raise Conflict(
                _("You are already signed up for this work day."), code="already_signed_up"
            ) from None
        if "initiatives_workday_within_capacity" in str(exc):
            raise Conflict(_("This work day is full."), code="work_day_full") from None
        raise
    work_day.refresh_from_db(fields=["signups_count"])
    work_day.initiative.refresh_from_db(fields=["volunteers_count"])
    return work_day


def cancel_signup(*, actor: User | AnonymousUser, work_day_id: int) -> WorkDay:
    """`actor` takes back their sign-up for a work day that has not started."""
    if not isinstance(actor, User):
        raise Forbidden(_("Sign in to volunteer."), code="not_signed_in")
    work_day = _open_work_day(work_day_id)
    with transaction.atomic():
        deleted, _by_model = VolunteerSignup.objects.filter(work_day=work_day, user=actor).delete()
    if not deleted:
        raise NotFound(_("You are not signed up for this work day."), code="not_signed_up")
    work_day.refresh_from_db(fields=["signups_count"])
    work_day.initiative.refresh_from_db(fields=["volunteers_count"])
    return work_day
