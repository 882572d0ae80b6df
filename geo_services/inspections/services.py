"""Writes of the inspections app: checklist versions, jobs, inspections and photos from tablets.

Each function takes keyword arguments and runs in one transaction; each change leaves an audit event
(who, when, which device). Sending an inspection or a photo is idempotent: the tablet's UUIDs are the
keys, the database refuses duplicates, and a retry of the same content answers what is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.gis.geos import Point
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from geo_services.core import selectors as core_selectors
from geo_services.core.errors import Conflict, InvalidInput, NotFound
from geo_services.core.models import STORAGE_SRID, Jurisdiction
from geo_services.core.photos import CleanPhoto, clean_photo
from geo_services.core.roles import Role, has_role
from geo_services.inspections import selectors
from geo_services.inspections.checklists import ItemSpec, check_answers, item_row, item_spec
from geo_services.inspections.models import (
    AuditAction,
    AuditEvent,
    ChecklistItem,
    ChecklistTemplate,
    Flag,
    Inspection,
    InspectionJob,
    InspectionPhoto,
    JobStatus,
    TargetKind,
    TemplateKind,
    TemplateVersion,
)
from geo_services.inspections.scoring import score_inspection

if TYPE_CHECKING:
    from geo_services.service_requests.models import ServiceRequest

MAX_LABEL = 300
MAX_REASON = 500
USER_AGENT_LENGTH = 300


# --- Audit ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audit:
    """Who acts, and from which device, for the audit trail."""

    actor: User | None
    device_id: str = ""  # the tablet app's X-Device-Id (a UUID), empty from other clients
    user_agent: str = ""


def _record(
    audit: Audit,
    action: AuditAction,
    *,
    jurisdiction_id: int | None,
    job: InspectionJob | None = None,
    inspection: Inspection | None = None,
    template_version: TemplateVersion | None = None,
    service_request_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    actor = audit.actor if audit.actor is not None and audit.actor.is_authenticated else None
    return AuditEvent.objects.create(
        jurisdiction_id=jurisdiction_id,
        actor=actor,
        device_id=audit.device_id,
        user_agent=audit.user_agent[:USER_AGENT_LENGTH],
        action=action,
        job=job,
        inspection=inspection,
        template_version=template_version,
        service_request_id=service_request_id,
        details=details or {},
    )


# --- Checklist templates ----------------------------------------------------------------------------


def _check_version_settings(*, min_gps_accuracy_m: float, max_distance_m: float, pass_score: Decimal) -> None:
    if not min_gps_accuracy_m > 0:
        raise InvalidInput(
            _("The required GPS accuracy must be more than 0 metres."), code="invalid_checklist"
        )
    if not max_distance_m > 0:
        raise InvalidInput(
            _("The greatest distance from the target must be more than 0 metres."), code="invalid_checklist"
        )
    if not Decimal(0) <= pass_score <= Decimal(100):
        raise InvalidInput(_("The pass score must be from 0 to 100."), code="invalid_checklist")


def _same_checklist(
    version: TemplateVersion,
    items: Sequence[ItemSpec],
    *,
    min_gps_accuracy_m: float,
    max_distance_m: float,
    pass_score: Decimal,
) -> bool:
    return (
        version.min_gps_accuracy_m == min_gps_accuracy_m
        and version.max_distance_m == max_distance_m
        and version.pass_score == pass_score
        and [item_spec(item) for item in version.items.all()] == list(items)
    )


def publish_template_version(
    *,
    audit: Audit,
    template_id: int,
    items: Sequence[ItemSpec],
    min_gps_accuracy_m: float,
    max_distance_m: float,
    pass_score: Decimal,
    note: str = "",
) -> tuple[TemplateVersion, bool]:
    """Publish the template's next version, or return the latest one unchanged when nothing differs.

    A published version never changes (the database refuses it): jobs keep the version they were
    created with, and finished inspections the version they were filled against.
    """
    _check_version_settings(
        min_gps_accuracy_m=min_gps_accuracy_m, max_distance_m=max_distance_m, pass_score=pass_score
    )
    if not items:
        raise InvalidInput(_("A checklist needs a list of at least one item."), code="invalid_checklist")
    with transaction.atomic():
        # Locking the template numbers its versions one after another; the UNIQUE constraint backs it.
        template = ChecklistTemplate.objects.select_for_update().filter(pk=template_id).first()
        if template is None:
            raise NotFound(_("There is no checklist template %(id)s.") % {"id": template_id})
        latest = template.versions.order_by("-number").first()
        if latest is not None and _same_checklist(
            latest,
            items,
            min_gps_accuracy_m=min_gps_accuracy_m,
            max_distance_m=max_distance_m,
            pass_score=pass_score,
        ):
            return latest, False
        number = (template.versions.aggregate(top=Max("number"))["top"] or 0) + 1
        version = TemplateVersion.objects.create(
            template=template,
            number=number,
            note=note[:500],
            published_by=audit.actor if audit.actor is not None and audit.actor.is_authenticated else None,
            min_gps_accuracy_m=min_gps_accuracy_m,
            max_distance_m=max_distance_m,
            pass_score=pass_score,
        )
        ChecklistItem.objects.bulk_create(
            item_row(item, version_id=version.pk, position=position)
            for position, item in enumerate(items, start=1)
        )
        # From here on the version and its items are frozen (migration 0002).
        TemplateVersion.objects.filter(pk=version.pk).update(published=True)
        version.published = True
        _record(
            audit,
            AuditAction.TEMPLATE_PUBLISHED,
            jurisdiction_id=template.jurisdiction_id,
            template_version=version,
            details={"template": template.code, "version": number, "items": len(items), "note": note[:500]},
        )
    return version, True


def create_template(
    *,
    audit: Audit,
    jurisdiction: Jurisdiction,
    code: str,
    kind: str,
    name_ar: str,
    name_en: str,
    items: Sequence[ItemSpec],
    min_gps_accuracy_m: float,
    max_distance_m: float,
    pass_score: Decimal,
    note: str = "",
) -> TemplateVersion:
    """A new template of the jurisdiction with its first version."""
    if kind not in TemplateKind.values:
        raise InvalidInput(
            _("kind must be one of %(kinds)s.") % {"kinds": ", ".join(TemplateKind.values)},
            code="invalid_checklist",
        )
    with transaction.atomic():
        if ChecklistTemplate.objects.filter(jurisdiction=jurisdiction, code=code).exists():
            raise Conflict(_("A checklist template with the code %(code)r exists already.") % {"code": code})
        template = ChecklistTemplate.objects.create(
            jurisdiction=jurisdiction, code=code, kind=kind, name_ar=name_ar, name_en=name_en
        )
        version, _created = publish_template_version(
            audit=audit,
            template_id=template.pk,
            items=items,
            min_gps_accuracy_m=min_gps_accuracy_m,
            max_distance_m=max_distance_m,
            pass_score=pass_score,
            note=note,
        )
    return version


# --- Jobs -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobTarget:
    """What a job inspects: a record (venue, service request, initiative segment) or a point with a label."""

    kind: str
    record_id: int | None = None
    location: Point | None = None
    label: str = ""


@dataclass(frozen=True)
class FollowUp:
    """How the follow-up inspection of an assigned service request is set up (defaults when not given)."""

    template_code: str | None = None
    due_date: date | None = None
    audit: Audit | None = None


def local_today(time_zone: str) -> date:
    return timezone.now().astimezone(ZoneInfo(time_zone)).date()


def _active_inspector(inspector_id: int, jurisdiction_id: int) -> User:
    inspector = get_user_model().objects.filter(pk=inspector_id, is_active=True).first()
    if inspector is None or not has_role(inspector, Role.INSPECTOR):
        raise InvalidInput(
            _("User %(id)s is not an active inspector.") % {"id": inspector_id}, code="not_an_inspector"
        )
    member = selectors.staff_member(inspector)
    if member is not None and member.jurisdiction_id != jurisdiction_id:
        raise InvalidInput(_("That inspector works for another jurisdiction."), code="not_an_inspector")
    return inspector


def _check_due_date(due_date: date, time_zone: str) -> None:
    today = local_today(time_zone)
    if due_date < today:
        raise InvalidInput(
            _("due_date %(date)s is in the past; today is %(today)s in %(zone)s.")
            % {"date": due_date.isoformat(), "today": today.isoformat(), "zone": time_zone},
            code="due_date_in_past",
        )


def _latest_version(
    *, jurisdiction_id: int, template_code: str | None, kind: str | None = None
) -> TemplateVersion | None:
    templates = ChecklistTemplate.objects.filter(jurisdiction_id=jurisdiction_id, active=True)
    if template_code is not None:
        templates = templates.filter(code=template_code)
    elif kind is not None:
        templates = templates.filter(kind=kind)
    template = templates.order_by("code").first()
    if template is None:
        return None
    return (
        TemplateVersion.objects.select_related("template")
        .filter(template=template, published=True)
        .order_by("-number")
        .first()
    )


def _staff_job(actor: User | AnonymousUser, job_id: int, *, lock: bool = True) -> InspectionJob:
    jobs = selectors.jobs_visible_to(actor, staff_only=True)
    if lock:
        jobs = jobs.select_for_update(of=("self",))
    job = jobs.filter(pk=job_id).first()
    if job is None:
        raise NotFound(
            _("There is no inspection job %(id)s that you may manage.") % {"id": job_id}, code="unknown_job"
        )
    return job


def _insert_job(
    *,
    audit: Audit,
    version: TemplateVersion,
    inspector: User,
    due_date: date,
    target: JobTarget,
    location: Point,
    label: str,
    district_id: int,
    jurisdiction_id: int,
    service_request_id: int | None = None,
) -> InspectionJob:
    job = InspectionJob.objects.create(
        jurisdiction_id=jurisdiction_id,
        district_id=district_id,
        template_version=version,
        inspector=inspector,
        due_date=due_date,
        target_kind=target.kind,
        target_id=target.record_id,
        target_label=label[:MAX_LABEL],
        target_location=location,
        service_request_id=service_request_id,
        created_by=audit.actor if audit.actor is not None and audit.actor.is_authenticated else None,
    )
    _record(
        audit,
        AuditAction.JOB_CREATED,
        jurisdiction_id=jurisdiction_id,
        job=job,
        template_version=version,
        service_request_id=service_request_id,
        details={
            "inspector": inspector.get_username(),
            "due_date": due_date.isoformat(),
            "target": {"kind": target.kind, "id": target.record_id, "label": label[:MAX_LABEL]},
            "template": version.template.code,
            "version": version.number,
        },
    )
    return job


def create_job(
    *, audit: Audit, template_code: str, inspector_id: int, due_date: date, target: JobTarget
) -> InspectionJob:
    """A job for an inspector: the template's latest version, the target's district and jurisdiction.

    A service-request target assigns the request to the inspector (service_requests.assign_request),
    which creates the follow-up job with this template and due date, so the request's queue and
    history show who inspects it.
    """
    actor = audit.actor
    if actor is None:
        raise InvalidInput(_("A job is created by a member of staff."))
    if target.kind == TargetKind.SERVICE_REQUEST and target.record_id is not None:
        from geo_services.service_requests import services as request_services

        with transaction.atomic():
            request_services.assign_request(
                actor=actor,
                request_id=target.record_id,
                inspector_id=inspector_id,
                follow_up=FollowUp(template_code=template_code, due_date=due_date, audit=audit),
            )
            # follow_up_request made it (or handed over the open one): a named template must exist.
            job = selectors.open_followup_job(target.record_id)
            if job is None:
                raise InvalidInput(_("No follow-up job could be created."), code="unknown_template")
        return job
    with transaction.atomic():
        location, label = _target_location(target)
        match = core_selectors.district_for_point(location)
        district = match.district
        selectors.require_district_in_scope(actor, district.jurisdiction_id, district.id)
        version = _latest_version(jurisdiction_id=district.jurisdiction_id, template_code=template_code)
        if version is None:
            raise InvalidInput(
                _("There is no active checklist template %(code)r in %(jurisdiction)s.")
                % {"code": template_code, "jurisdiction": district.jurisdiction_name_en},
                code="unknown_template",
            )
        inspector = _active_inspector(inspector_id, district.jurisdiction_id)
        _check_due_date(due_date, district.time_zone)
        return _insert_job(
            audit=audit,
            version=version,
            inspector=inspector,
            due_date=due_date,
            target=target,
            location=location,
            label=label,
            district_id=district.id,
            jurisdiction_id=district.jurisdiction_id,
        )


def _target_location(target: JobTarget) -> tuple[Point, str]:
    if target.kind == TargetKind.VENUE:
        from geo_services.venues import selectors as venue_selectors

        venue = venue_selectors.active_venue(target.record_id or 0)
        if venue is None:
            raise NotFound(
                _("There is no active venue %(id)s.") % {"id": target.record_id}, code="unknown_venue"
            )
        return venue.location, target.label or f"{venue.name_ar} / {venue.name_en}"
    if target.kind == TargetKind.INITIATIVE_SEGMENT:
        from geo_services.initiatives.models import Initiative

        initiative = (
            Initiative.objects.filter(pk=target.record_id or 0).only("geom", "name_ar", "name_en").first()
        )
        if initiative is None:
            raise NotFound(
                _("There is no initiative %(id)s.") % {"id": target.record_id}, code="unknown_initiative"
            )
        # A point on the shape itself (on the line, inside the park), where the inspector goes.
        location = initiative.geom.point_on_surface
        location.srid = STORAGE_SRID
        return location, target.label or f"{initiative.name_ar} / {initiative.name_en}"
    if target.location is None:
        raise InvalidInput(_("A target needs a location."), code="missing_location")
    if not target.label.strip():
        raise InvalidInput(_("label is required for a target given by its location."), code="missing_label")
    if len(target.label) > MAX_LABEL:
        raise InvalidInput(
            _("label is longer than %(count)d characters.") % {"count": MAX_LABEL}, code="too_long"
        )
    return Point(target.location.x, target.location.y, srid=STORAGE_SRID), target.label.strip()


def follow_up_request(
    *, actor: User, request: ServiceRequest, inspector: User, follow_up: FollowUp | None = None
) -> InspectionJob | None:
    """The follow-up job of a service request just assigned to `inspector` (called by assign_request,
    inside its transaction).

    An open follow-up job of the request is handed to the new inspector (and given the new due date);
    otherwise a job is created with the template named, else the jurisdiction's active template of
    kind request_followup (the first by code). When the jurisdiction has no such template, no job is
    created and the assignment stands on its own: the request is then followed up outside the
    inspections app. The due date defaults to the request's expected resolution date (local), or
    today when that has passed.
    """
    follow_up = follow_up or FollowUp()
    audit = follow_up.audit or Audit(actor=actor)
    existing = selectors.open_followup_job(request.pk, lock=True)
    if existing is not None:
        if selectors.job_has_inspection(existing.pk):
            return existing  # inspected, its photos still arriving: the job stays with who inspected it
        return _reassign(existing, audit=audit, inspector=inspector, due_date=follow_up.due_date)
    jurisdiction = Jurisdiction.objects.only("code", "time_zone").get(pk=request.jurisdiction_id)
    version = _latest_version(
        jurisdiction_id=jurisdiction.pk,
        template_code=follow_up.template_code,
        kind=TemplateKind.REQUEST_FOLLOWUP,
    )
    if version is None:
        if follow_up.template_code is not None:
            raise InvalidInput(
                _("There is no active checklist template %(code)r in %(jurisdiction)s.")
                % {"code": follow_up.template_code, "jurisdiction": jurisdiction.code},
                code="unknown_template",
            )
        return None
    today = local_today(jurisdiction.time_zone)
    if follow_up.due_date is not None:
        _check_due_date(follow_up.due_date, jurisdiction.time_zone)
        due_date = follow_up.due_date
    else:
        due_date = max(today, request.expected_at.astimezone(ZoneInfo(jurisdiction.time_zone)).date())
    match = core_selectors.district_for_point(request.location, jurisdiction_code=jurisdiction.code)
    category = request.category
    return _insert_job(
        audit=audit,
        version=version,
        inspector=inspector,
        due_date=due_date,
        target=JobTarget(kind=TargetKind.SERVICE_REQUEST, record_id=request.pk),
        location=request.location,
        label=f"#{request.pk} {category.name_ar} / {category.name_en}",
        district_id=match.district.id,
        jurisdiction_id=jurisdiction.pk,
        service_request_id=request.pk,
    )


def _reassign(job: InspectionJob, *, audit: Audit, inspector: User, due_date: date | None) -> InspectionJob:
    changes: dict[str, Any] = {}
    if job.inspector_id != inspector.pk:
        changes["inspector"] = {"from": job.inspector.get_username(), "to": inspector.get_username()}
        job.inspector = inspector
    if due_date is not None and due_date != job.due_date:
        changes["due_date"] = {"from": job.due_date.isoformat(), "to": due_date.isoformat()}
        job.due_date = due_date
    if changes:
        job.save(update_fields=["inspector", "due_date", "updated_at"])
        _record(
            audit,
            AuditAction.JOB_ASSIGNED,
            jurisdiction_id=job.jurisdiction_id,
            job=job,
            service_request_id=job.service_request_id,
            details=changes,
        )
    return job


def reassign_job(
    *, audit: Audit, job_id: int, inspector_id: int, due_date: date | None = None
) -> InspectionJob:
    """Give an open job to another inspector (and/or another due date).

    A follow-up of an open service request is reassigned through the request (assign_request), so the
    request and its job keep naming the same inspector.
    """
    actor = audit.actor
    if actor is None:
        raise InvalidInput(_("A job is reassigned by a member of staff."))
    with transaction.atomic():
        # A follow-up's request is locked before its job (as assign_request does), so a reassignment
        # here and an assignment of the request cannot deadlock: the job is read first, unlocked.
        job = _staff_job(actor, job_id, lock=False)
        _check_reassignable(job)
        inspector = _active_inspector(inspector_id, job.jurisdiction_id)
        if due_date is not None:
            _check_due_date(due_date, job.jurisdiction.time_zone)
        if job.service_request_id is not None:
            from geo_services.service_requests import services as request_services

            try:
                with transaction.atomic():
                    request_services.assign_request(
                        actor=actor,
                        request_id=job.service_request_id,
                        inspector_id=inspector.pk,
                        follow_up=FollowUp(due_date=due_date, audit=audit),
                    )
            except Conflict:
                pass  # the request is closed: only the job changes hands
            else:
                job.refresh_from_db()
                return job
        job = _staff_job(actor, job_id)
        _check_reassignable(job)
        return _reassign(job, audit=audit, inspector=inspector, due_date=due_date)


def _check_reassignable(job: InspectionJob) -> None:
    if job.status != JobStatus.ASSIGNED:
        raise Conflict(
            _("Job %(id)s is %(status)s and cannot be reassigned.")
            % {"id": job.pk, "status": JobStatus(job.status).label},
            code="job_not_open",
        )
    if selectors.job_has_inspection(job.pk):
        raise Conflict(
            _("Job %(id)s has an inspection waiting for its photos and cannot be reassigned.")
            % {"id": job.pk},
            code="job_not_open",
        )


def cancel_job(*, audit: Audit, job_id: int, reason: str = "") -> InspectionJob:
    """Cancel an open job; cancelling a cancelled job again changes nothing."""
    actor = audit.actor
    if actor is None:
        raise InvalidInput(_("A job is cancelled by a member of staff."))
    if len(reason) > MAX_REASON:
        raise InvalidInput(
            _("reason is longer than %(count)d characters.") % {"count": MAX_REASON}, code="too_long"
        )
    with transaction.atomic():
        job = _staff_job(actor, job_id)
        if job.status == JobStatus.CANCELLED:
            return job
        if job.status == JobStatus.DONE:
            raise Conflict(
                _("Job %(id)s is done and cannot be cancelled.") % {"id": job.pk}, code="job_not_open"
            )
        if selectors.job_has_inspection(job.pk):
            raise Conflict(
                _("Job %(id)s has an inspection waiting for its photos and cannot be cancelled.")
                % {"id": job.pk},
                code="job_not_open",
            )
        job.status = JobStatus.CANCELLED
        job.cancelled_at = timezone.now()
        job.cancel_reason = reason.strip()
        job.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
        _record(
            audit,
            AuditAction.JOB_CANCELLED,
            jurisdiction_id=job.jurisdiction_id,
            job=job,
            service_request_id=job.service_request_id,
            details={"reason": job.cancel_reason},
        )
    return job


# --- Inspections from tablets -----------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    lon: float
    lat: float
    accuracy_m: float


@dataclass(frozen=True)
class DeclaredPhoto:
    uuid: str  # canonical lower-case text
    item: str
    sha256: str  # lower-case hex


@dataclass(frozen=True)
class Submission:
    """An inspection as the tablet sent it, parsed at the edge (types checked, not yet the checklist)."""

    uuid: str
    job_id: int
    template_version: int
    answers: dict[str, Any]
    position: Position | None
    started_at: datetime
    finished_at: datetime
    photos: tuple[DeclaredPhoto, ...]


@dataclass(frozen=True)
class Received:
    inspection: Inspection
    created: bool  # False when the same thing was already stored (a retry)


def _comparable_answers(answers: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answers.items() if value not in (None, "", [])}


def _differences(inspection: Inspection, submission: Submission) -> list[str]:
    """The fields in which a resent inspection differs from the stored one."""
    different: list[str] = []
    if inspection.job_id != submission.job_id:
        different.append("job")
    if inspection.template_version.number != submission.template_version:
        different.append("template_version")
    sent = _comparable_answers(submission.answers)
    stored = inspection.answers
    for key in sorted(set(sent) | set(stored)):
        if sent.get(key) != stored.get(key):
            different.append(f"answers.{key}")
    stored_position = (
        None
        if inspection.position is None
        else (inspection.position.x, inspection.position.y, inspection.accuracy_m)
    )
    sent_position = (
        None
        if submission.position is None
        else (submission.position.lon, submission.position.lat, submission.position.accuracy_m)
    )
    if stored_position != sent_position:
        different.append("position")
    if inspection.started_at != submission.started_at:
        different.append("started_at")
    if inspection.finished_at != submission.finished_at:
        different.append("finished_at")
    stored_photos = {(p.uuid.hex, p.item_key, p.sha256) for p in inspection.photos.all()}
    sent_photos = {(p.uuid.replace("-", ""), p.item, p.sha256) for p in submission.photos}
    if stored_photos != sent_photos:
        different.append("photos")
    return different


def _same_or_conflict(inspection: Inspection, submission: Submission) -> Received:
    different = _differences(inspection, submission)
    if different:
        raise Conflict(
            _(
                "Inspection %(uuid)s was already received with different content (%(fields)s). "
                "A changed inspection needs a new UUID; this one is kept as it was first received."
            )
            % {"uuid": submission.uuid, "fields": ", ".join(different)},
            code="inspection_conflict",
            details={"differs": different},
        )
    return Received(inspection=inspection, created=False)


def _distance_m(job_id: int, position: Position) -> float:
    with connection.cursor() as cursor:
        # Geography: metres on the spheroid, not degrees.
        cursor.execute(
            """
            SELECT ST_Distance(target_location::geography,
                               ST_SetSRID(ST_MakePoint(%s, %s), 4326)::geography)
            FROM inspections_inspectionjob WHERE id = %s
            """,
            [position.lon, position.lat, job_id],
        )
        (distance,) = cursor.fetchone()
    return float(distance)


def _flags(version: TemplateVersion, position: Position | None, distance_m: float | None) -> list[str]:
    if position is None or distance_m is None:
        return [Flag.NO_POSITION.value]
    flags: list[str] = []
    if position.accuracy_m > version.min_gps_accuracy_m:
        flags.append(Flag.GPS_INACCURATE.value)
    if distance_m > version.max_distance_m:
        flags.append(Flag.TOO_FAR.value)
    return flags


def receive_inspection(*, audit: Audit, submission: Submission) -> Received:
    """Store an inspection sent from a tablet, once.

    The same UUID with the same content answers the stored inspection (created=False); with other
    content it is a Conflict naming what differs. The checklist rules are checked again here
    (required answers and photos, answer types); a coarse or distant position is accepted and
    flagged. The score is computed here, never taken from the tablet. When no photos are declared
    the inspection is complete at once and its job done.
    """
    actor = audit.actor
    if actor is None:
        raise NotFound(
            _("There is no job %(id)s assigned to you.") % {"id": submission.job_id}, code="unknown_job"
        )
    with transaction.atomic():
        # The job's row lock makes concurrent sends of one inspection wait for each other; the
        # second then finds the first one's row and answers it.
        job = selectors.own_job_for_update(actor, submission.job_id)
        if job is None:
            raise NotFound(
                _("There is no job %(id)s assigned to you.") % {"id": submission.job_id}, code="unknown_job"
            )
        existing = selectors.inspection_by_uuid(submission.uuid)
        if existing is not None:
            return _same_or_conflict(existing, submission)
        if job.status == JobStatus.CANCELLED:
            raise Conflict(
                _("Job %(id)s was cancelled; the inspection is not needed.") % {"id": job.pk},
                code="job_cancelled",
            )
        if selectors.job_has_inspection(job.pk):
            raise Conflict(
                _("Job %(id)s already has an inspection with another UUID.") % {"id": job.pk},
                code="job_already_inspected",
            )
        version = job.template_version
        if submission.template_version != version.number:
            raise InvalidInput(
                _("Job %(id)s uses version %(version)s of the checklist %(code)s, not version %(sent)s.")
                % {
                    "id": job.pk,
                    "version": version.number,
                    "code": version.template.code,
                    "sent": submission.template_version,
                },
                code="wrong_template_version",
            )
        items = [item_spec(item) for item in version.items.all()]
        answers = check_answers(items, submission.answers, {p.uuid: p.item for p in submission.photos})
        score = score_inspection([item.as_rule() for item in items], answers, pass_score=version.pass_score)
        position = submission.position
        distance_m = _distance_m(job.pk, position) if position is not None else None
        flags = _flags(version, position, distance_m)
        try:
            with transaction.atomic():
                inspection = Inspection.objects.create(
                    uuid=submission.uuid,
                    job=job,
                    jurisdiction_id=job.jurisdiction_id,
                    template_version=version,
                    inspector=actor,
                    answers=answers,
                    position=Point(position.lon, position.lat, srid=STORAGE_SRID) if position else None,
                    accuracy_m=position.accuracy_m if position else None,
                    distance_m=distance_m,
                    started_at=submission.started_at,
                    finished_at=submission.finished_at,
                    score=score.score,
                    passed=score.passed,
                    failed_critical=list(score.failed_critical),
                    flags=flags,
                    device_id=audit.device_id,
                )
                InspectionPhoto.objects.bulk_create(
                    InspectionPhoto(inspection=inspection, uuid=p.uuid, item_key=p.item, sha256=p.sha256)
                    for p in submission.photos
                )
        except IntegrityError:
            # Another request stored this UUID (or this job's inspection) between our check and insert.
            existing = selectors.inspection_by_uuid(submission.uuid)
            if existing is not None:
                return _same_or_conflict(existing, submission)
            if selectors.job_has_inspection(job.pk):
                raise Conflict(
                    _("Job %(id)s already has an inspection with another UUID.") % {"id": job.pk},
                    code="job_already_inspected",
                ) from None
            raise
        _record(
            audit,
            AuditAction.INSPECTION_RECEIVED,
            jurisdiction_id=job.jurisdiction_id,
            job=job,
            inspection=inspection,
            template_version=version,
            service_request_id=job.service_request_id,
            details={
                "score": float(score.score),
                "passed": score.passed,
                "failed_critical": list(score.failed_critical),
                "flags": flags,
                "photos_declared": len(submission.photos),
            },
        )
        if not submission.photos:
            _complete(inspection, job, audit)
    return Received(inspection=selectors.inspection_by_uuid(submission.uuid) or inspection, created=True)


def _complete(inspection: Inspection, job: InspectionJob, audit: Audit) -> None:
    """Every declared photo is in: the inspection is complete and its job done (and its request settled)."""
    now = timezone.now()
    Inspection.objects.filter(pk=inspection.pk).update(completed_at=now)
    inspection.completed_at = now
    job.status = JobStatus.DONE
    job.done_at = now
    job.save(update_fields=["status", "done_at", "updated_at"])
    _record(
        audit,
        AuditAction.JOB_DONE,
        jurisdiction_id=job.jurisdiction_id,
        job=job,
        inspection=inspection,
        service_request_id=job.service_request_id,
        details={"score": float(inspection.score), "passed": inspection.passed},
    )
    if job.service_request_id is not None:
        _settle_request(inspection, job, audit, request_id=job.service_request_id)
    if job.target_kind == TargetKind.INITIATIVE_SEGMENT and job.target_id is not None:
        _report_initiative_progress(inspection, initiative_id=job.target_id)


# The checklist item whose answer (a number from 0 to 100) is an initiative's progress.
PROGRESS_ITEM_KEY = "progress"


def _report_initiative_progress(inspection: Inspection, *, initiative_id: int) -> None:
    """An initiative's inspection is one of its progress updates, linked to the inspection (and so to
    its photos). The answer to the checklist's `progress` item moves the progress forward; without
    one, or below the progress already reported, the update keeps the current progress: a field
    visit never fails because someone reported more in the meantime."""
    from geo_services.initiatives import services as initiative_services
    from geo_services.initiatives.models import Initiative

    current = Initiative.objects.filter(pk=initiative_id).values_list("progress_percent", flat=True).first()
    if current is None:
        return
    answered = inspection.answers.get(PROGRESS_ITEM_KEY)
    percent = current
    if isinstance(answered, int | float) and not isinstance(answered, bool) and 0 <= answered <= 100:
        percent = max(current, round(answered))
    with translation.override(settings.LANGUAGE_CODE):
        # Stored text: in the municipality's language, as the other notes the system writes.
        note = _("Inspection: score %(score)s, %(result)s.") % {
            "score": inspection.score,
            "result": _("passed") if inspection.passed else _("failed"),
        }
    initiative_services.add_progress(
        initiative_id=initiative_id,
        report=initiative_services.ProgressReport(
            percent=percent, note=note, inspection_uuid=str(inspection.uuid)
        ),
        author=inspection.inspector,
    )


def _settle_request(inspection: Inspection, job: InspectionJob, audit: Audit, *, request_id: int) -> None:
    """A passed follow-up resolves its request, a failed one puts it in progress, with a staff note.

    Through the request workflow (service_requests.change_status) as the inspector; when the request
    has meanwhile moved where that step is not allowed (closed by a dispatcher, for instance), the
    request is left as it is and the audit trail says why.
    """
    from geo_services.service_requests import services as request_services
    from geo_services.service_requests.models import Status

    if inspection.passed:
        to_status = Status.RESOLVED
        note = _("Inspection %(uuid)s passed with a score of %(score)s.") % {
            "uuid": inspection.uuid,
            "score": inspection.score,
        }
    else:
        to_status = Status.IN_PROGRESS
        note = _(
            "Inspection %(uuid)s failed with a score of %(score)s; failed critical items: %(items)s."
        ) % {
            "uuid": inspection.uuid,
            "score": inspection.score,
            "items": ", ".join(inspection.failed_critical) or "-",
        }
    try:
        with transaction.atomic():
            request_services.change_status(
                actor=inspection.inspector, request_id=request_id, to_status=to_status, note=note
            )
    except (Conflict, NotFound) as refused:
        _record(
            audit,
            AuditAction.REQUEST_NOT_UPDATED,
            jurisdiction_id=job.jurisdiction_id,
            job=job,
            inspection=inspection,
            service_request_id=request_id,
            details={"to_status": str(to_status), "reason": refused.message},
        )
        return
    _record(
        audit,
        AuditAction.REQUEST_UPDATED,
        jurisdiction_id=job.jurisdiction_id,
        job=job,
        inspection=inspection,
        service_request_id=request_id,
        details={"to_status": str(to_status), "passed": inspection.passed, "note": note},
    )


def _store_image(photo: InspectionPhoto, cleaned: CleanPhoto) -> None:
    """Write the photo's files and its row (the caller holds the row's lock; the photo is not received)."""
    saved = []
    try:
        for field, name, content in (
            (photo.image, f"{photo.uuid}.jpg", cleaned.jpeg),
            (photo.thumbnail, f"{photo.uuid}-thumbnail.jpg", cleaned.thumbnail),
        ):
            # A file already at this name is what an earlier send of this photo wrote before being
            # killed ahead of its commit: no stored row names it (the row is not received) and the
            # row's lock keeps other sends out. It is replaced, not kept beside under another name.
            path = field.field.generate_filename(photo, name)
            if field.storage.exists(path):
                field.storage.delete(path)
            field.save(name, ContentFile(content), save=False)
            saved.append(field)
        photo.width, photo.height = cleaned.width, cleaned.height
        photo.taken_at = timezone.make_aware(cleaned.taken_at) if cleaned.taken_at is not None else None
        photo.received_at = timezone.now()
        photo.save(update_fields=["image", "thumbnail", "width", "height", "taken_at", "received_at"])
    except Exception:
        # The transaction rolls the row back; the files must go too.
        for file in saved:
            file.delete(save=False)
        raise


def _photo_conflict(photo: InspectionPhoto, digest: str) -> Conflict:
    return Conflict(
        _("Photo %(photo)s is already stored with SHA-256 %(stored)s; these bytes have %(sent)s.")
        % {"photo": photo.uuid, "stored": photo.sha256, "sent": digest},
        code="photo_conflict",
    )


def receive_photo(
    *, audit: Audit, inspection_uuid: str, photo_uuid: str, data: bytes, content_type: str
) -> Received:
    """Store a declared photo of an inspection, once; the last one completes the inspection.

    The SHA-256 of the bytes must be the declared one; the image is checked and cleaned (a real
    image, EXIF removed) before anything is written. The same bytes again answer created=False;
    other bytes for a photo already stored are a Conflict.
    """
    actor = audit.actor
    photo = selectors.declared_photo(actor, inspection_uuid, photo_uuid) if actor is not None else None
    if photo is None:
        raise NotFound(
            _("Inspection %(inspection)s of yours declares no photo %(photo)s.")
            % {"inspection": inspection_uuid, "photo": photo_uuid},
            code="unknown_photo",
        )
    digest = hashlib.sha256(data).hexdigest()
    if photo.received_at is not None:
        if digest != photo.sha256:
            raise _photo_conflict(photo, digest)
        return Received(inspection=photo.inspection, created=False)
    if digest != photo.sha256:
        raise InvalidInput(
            _(
                "The photo's bytes have SHA-256 %(sent)s but the inspection declared %(declared)s for photo %(photo)s."
            )
            % {"sent": digest, "declared": photo.sha256, "photo": photo.uuid},
            code="sha256_mismatch",
        )
    # Decoding an image should not hold a transaction open: clean first, then lock and store.
    cleaned = clean_photo(SimpleUploadedFile(f"{photo.uuid}", data, content_type=content_type))
    with transaction.atomic():
        locked = InspectionPhoto.objects.select_for_update().get(pk=photo.pk)
        inspection = photo.inspection
        if locked.received_at is not None:  # a concurrent send of the same photo got there first
            if locked.sha256 != digest:
                raise _photo_conflict(locked, digest)
            return Received(inspection=inspection, created=False)
        _store_image(locked, cleaned)
        job = InspectionJob.objects.select_for_update().get(pk=inspection.job_id)
        _record(
            audit,
            AuditAction.PHOTO_RECEIVED,
            jurisdiction_id=inspection.jurisdiction_id,
            job=job,
            inspection=inspection,
            service_request_id=job.service_request_id,
            details={
                "photo": str(locked.uuid),
                "item": locked.item_key,
                "sha256": digest,
                "bytes": len(data),
            },
        )
        # The job's lock orders concurrent last photos: only the one that sees all others completes.
        if job.status == JobStatus.ASSIGNED and not selectors.missing_photos(inspection.pk):
            _complete(inspection, job, audit)
    return Received(inspection=selectors.inspection_by_uuid(inspection_uuid) or inspection, created=True)
