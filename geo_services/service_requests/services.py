"""Writes of service requests: submit (route + duplicate check + insert in one transaction),
assign, change status, merge duplicates, API keys."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geo_services.core import selectors as core_selectors
from geo_services.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from geo_services.core.models import Department, District, Jurisdiction
from geo_services.core.photos import CleanPhoto, clean_photo, store_photo
from geo_services.core.roles import Role, has_role
from geo_services.core.services import ImportReport
from geo_services.service_requests import selectors
from geo_services.service_requests.attributes import MAX_TEXT, clean_answers
from geo_services.service_requests.models import (
    CLOSED_STATUSES,
    CategoryAttribute,
    Open311ApiKey,
    RoutingRule,
    ServiceCategory,
    ServiceRequest,
    Status,
    StatusChange,
)

if TYPE_CHECKING:
    from geo_services.inspections.services import FollowUp


@dataclass(frozen=True)
class Contact:
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    device_id: str = ""


@dataclass
class SubmittedRequest:
    request: ServiceRequest
    likely_duplicates: list[ServiceRequest] = field(default_factory=list)


# Moves staff may make with change_status. DUPLICATE is reached only by merge_requests, which names
# the surviving request; closed requests (but duplicates) may be reopened as new.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.NOT_ACTIONABLE,
        Status.REFERRED,
    },
    Status.ASSIGNED: {
        Status.NEW,
        Status.IN_PROGRESS,
        Status.RESOLVED,
        Status.NOT_ACTIONABLE,
        Status.REFERRED,
    },
    Status.IN_PROGRESS: {Status.ASSIGNED, Status.RESOLVED, Status.NOT_ACTIONABLE, Status.REFERRED},
    Status.RESOLVED: {Status.NEW},
    Status.NOT_ACTIONABLE: {Status.NEW},
    Status.REFERRED: {Status.NEW},
    Status.DUPLICATE: set(),
}


def _service_definition(
    jurisdiction_code: str, service_code: str
) -> tuple[ServiceCategory, list[CategoryAttribute]]:
    if not service_code:
        raise InvalidInput(_("service_code is required."), code="missing_service_code")
    definition = selectors.service_definition(jurisdiction_code, service_code)
    if definition is None:
        raise InvalidInput(
            _("Unknown service_code %(code)r. The list of services is at services.json.")
            % {"code": service_code},
            code="unknown_service_code",
        )
    return definition


def _location(jurisdiction_code: str, point: Point | None, address: str) -> Point:
    if point is not None:
        return point
    if address:
        found = core_selectors.point_for_place_name(jurisdiction_code, address)
        if found is not None:
            return found
        raise InvalidInput(
            _("The address %(address)r cannot be placed on the map; send lat and long (or a district name).")
            % {"address": address[:100]},
            code="unplaceable_address",
        )
    raise InvalidInput(_("A location is required: lat and long, or address_string."), code="missing_location")


def _check_contact(contact: Contact) -> None:
    if contact.email:
        try:
            validate_email(contact.email)
        except ValidationError:
            raise InvalidInput(
                _("%(email)r is not an e-mail address.") % {"email": contact.email[:100]},
                code="invalid_email",
            ) from None
    for name, value, limit in (
        ("first_name", contact.first_name, 100),
        ("last_name", contact.last_name, 100),
        ("phone", contact.phone, 40),
        ("device_id", contact.device_id, 100),
    ):
        if len(value) > limit:
            raise InvalidInput(
                _("%(name)s is longer than %(limit)d characters.") % {"name": name, "limit": limit},
                code="too_long",
            )


def _check_media_url(media_url: str) -> None:
    if not media_url:
        return
    try:
        URLValidator(schemes=["http", "https"])(media_url)
    except ValidationError:
        raise InvalidInput(
            _("media_url must be an http(s) address, not %(value)r.") % {"value": media_url[:100]},
            code="invalid_media_url",
        ) from None
    if len(media_url) > 1000:
        raise InvalidInput(_("media_url is longer than 1000 characters."), code="too_long")


def submit_request(
    *,
    jurisdiction_code: str,
    service_code: str,
    point: Point | None,
    address: str = "",
    description: str = "",
    answers: Mapping[str, list[str]] | None = None,
    contact: Contact | None = None,
    media_url: str = "",
    photo: UploadedFile | None = None,
    account: User | None = None,
    api_key: Open311ApiKey | None = None,
) -> SubmittedRequest:
    """Check everything, then route and store a citizen's report in one transaction.

    The district comes from the point lookup, the department from the routing rules, the expected
    resolution time from the category's SLA; open requests of the same category nearby are returned
    as likely duplicates. Any problem raises a DomainError before anything is written.
    """
    contact = contact or Contact()
    if len(description) > MAX_TEXT:
        raise InvalidInput(
            _("description is longer than %(limit)d characters.") % {"limit": MAX_TEXT}, code="too_long"
        )
    if len(address) > 500:
        raise InvalidInput(_("address_string is longer than 500 characters."), code="too_long")
    _check_contact(contact)
    _check_media_url(media_url)
    cleaned_photo: CleanPhoto | None = clean_photo(photo) if photo is not None else None

    # Definition, lookup, routing, insert and duplicate check run in one transaction, so a report
    # is stored with the routing it was checked against or not at all. (The photo is cleaned first:
    # decoding an image should not hold a transaction open.)
    with transaction.atomic():
        category, questions = _service_definition(jurisdiction_code, service_code)
        location = _location(jurisdiction_code, point, address.strip())
        match = core_selectors.district_for_point(location, jurisdiction_code=jurisdiction_code)
        cleaned_answers = clean_answers(questions, answers or {})
        request = ServiceRequest.objects.create(
            jurisdiction_id=match.district.jurisdiction_id,
            category=category,
            district_id=match.district.id,
            department=selectors.routed_department(category, match.district.id),
            location=location,
            address=address.strip(),
            description=description.strip(),
            attributes=cleaned_answers,
            expected_at=timezone.now() + timedelta(hours=category.sla_hours),
            account=account if account is not None and account.is_authenticated else None,
            contact_first_name=contact.first_name.strip(),
            contact_last_name=contact.last_name.strip(),
            contact_email=contact.email.strip(),
            contact_phone=contact.phone.strip(),
            device_id=contact.device_id.strip(),
            api_key=api_key,
            media_url=media_url,
        )
        StatusChange.objects.create(request=request, to_status=Status.NEW, changed_by=request.account)
        if request.account is not None:
            request.followers.add(request.account)
        if cleaned_photo is not None:
            request.photo_taken_at = (
                timezone.make_aware(cleaned_photo.taken_at) if cleaned_photo.taken_at is not None else None
            )
            store_photo(
                request,
                cleaned_photo,
                photo_name="photo.jpg",
                thumbnail_name="thumbnail.jpg",
                also_update=("photo_taken_at",),
            )
        duplicates = selectors.likely_duplicates(
            category_id=category.pk, point=location, exclude_id=request.pk
        )
    return SubmittedRequest(request=request, likely_duplicates=duplicates)


def _visible_request(actor: User | AnonymousUser, request_id: int) -> ServiceRequest:
    request = (
        selectors.requests_visible_to(actor).select_for_update(of=("self",)).filter(pk=request_id).first()
    )
    if request is None:
        raise NotFound(_("There is no request %(id)s that you may handle.") % {"id": request_id})
    return request


def _record(request: ServiceRequest, *, to_status: str, actor: User, note: str, public: bool) -> None:
    from_status = request.status
    request.status = to_status
    if to_status in CLOSED_STATUSES:
        request.closed_at = request.closed_at or timezone.now()
    else:
        request.closed_at = None
    request.save(update_fields=["status", "closed_at", "assigned_to", "duplicate_of", "updated_at"])
    StatusChange.objects.create(
        request=request,
        from_status=from_status,
        to_status=to_status,
        changed_by=actor,
        note=note,
        public=public,
    )


def change_status(
    *, actor: User, request_id: int, to_status: str, note: str = "", public: bool = False
) -> ServiceRequest:
    """Move a request through the workflow; every move is kept in its history."""
    if to_status not in Status.values:
        raise InvalidInput(
            _("Unknown status %(status)r. Use one of: %(statuses)s.")
            % {"status": to_status, "statuses": ", ".join(Status.values)},
            code="unknown_status",
        )
    if to_status == Status.DUPLICATE:
        raise InvalidInput(_("To mark a duplicate, merge it into the request it repeats."), code="use_merge")
    if len(note) > MAX_TEXT:
        raise InvalidInput(
            _("note is longer than %(limit)d characters.") % {"limit": MAX_TEXT}, code="too_long"
        )
    with transaction.atomic():
        request = _visible_request(actor, request_id)
        if to_status not in ALLOWED_TRANSITIONS[request.status]:
            raise Conflict(
                _("A request that is %(from)s cannot become %(to)s.")
                % {"from": Status(request.status).label, "to": Status(to_status).label},
                code="invalid_transition",
            )
        if to_status == Status.NEW:
            request.assigned_to = None
        _record(request, to_status=to_status, actor=actor, note=note.strip(), public=public)
    return request


def assign_request(
    *,
    actor: User,
    request_id: int,
    inspector_id: int,
    note: str = "",
    follow_up: FollowUp | None = None,
) -> ServiceRequest:
    """Give a request to an inspector of the same jurisdiction, with its follow-up inspection job.

    In the same transaction the inspections app creates the follow-up job (or hands the open one to
    this inspector): with the jurisdiction's checklist template of kind request_followup, unless
    `follow_up` names another template or a due date. A jurisdiction without such a template gets
    no job; the assignment alone stands (see inspections.services.follow_up_request).
    """
    from django.contrib.auth import get_user_model

    from geo_services.inspections import services as inspection_services

    inspector = get_user_model().objects.filter(pk=inspector_id, is_active=True).first()
    if inspector is None or not has_role(inspector, Role.INSPECTOR):
        raise InvalidInput(
            _("User %(id)s is not an active inspector.") % {"id": inspector_id}, code="not_an_inspector"
        )
    with transaction.atomic():
        request = _visible_request(actor, request_id)
        if not request.is_open:
            raise Conflict(
                _("A closed request cannot be assigned; reopen it first."), code="invalid_transition"
            )
        member = selectors.staff_member(inspector)
        if member is not None and member.jurisdiction_id != request.jurisdiction_id:
            raise InvalidInput(_("That inspector works for another jurisdiction."), code="not_an_inspector")
        request.assigned_to = inspector
        _record(request, to_status=Status.ASSIGNED, actor=actor, note=note.strip(), public=False)
        inspection_services.follow_up_request(
            actor=actor, request=request, inspector=inspector, follow_up=follow_up
        )
    return request


def merge_requests(*, actor: User, duplicate_id: int, survivor_id: int) -> ServiceRequest:
    """Mark a request as a duplicate of another; its citizen follows the surviving request."""
    if duplicate_id == survivor_id:
        raise InvalidInput(_("A request cannot be merged into itself."), code="same_request")
    with transaction.atomic():
        # Lock both in id order so two merges of the same pair cannot deadlock.
        first, second = sorted((duplicate_id, survivor_id))
        locked = {first: _visible_request(actor, first), second: _visible_request(actor, second)}
        duplicate, survivor = locked[duplicate_id], locked[survivor_id]
        if not survivor.is_open:
            raise Conflict(_("Merge into an open request."), code="invalid_transition")
        if duplicate.status == Status.DUPLICATE:
            raise Conflict(_("That request is already merged."), code="already_merged")
        if survivor.category_id != duplicate.category_id:
            raise InvalidInput(
                _("Only requests of the same service can be merged."), code="different_service"
            )
        duplicate.duplicate_of = survivor
        _record(
            duplicate,
            to_status=Status.DUPLICATE,
            actor=actor,
            note=_("Merged into request %(id)s.") % {"id": survivor.pk},
            public=True,
        )
        followers = list(duplicate.followers.all())
        if duplicate.account is not None:
            followers.append(duplicate.account)
        survivor.followers.add(*followers)
        StatusChange.objects.create(
            request=survivor,
            from_status=survivor.status,
            to_status=survivor.status,
            changed_by=actor,
            note=_("Request %(id)s was merged into this one.") % {"id": duplicate.pk},
            public=False,
        )
    return survivor


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_open311_key(*, jurisdiction: Jurisdiction, name: str) -> tuple[Open311ApiKey, str]:
    """A new API key; the key itself is returned once and only its hash is stored."""
    key = secrets.token_urlsafe(32)
    record = Open311ApiKey.objects.create(jurisdiction=jurisdiction, name=name, key_sha256=hash_api_key(key))
    return record, key


def api_key_for(jurisdiction_code: str, key: str) -> Open311ApiKey:
    if not key:
        raise Forbidden(_("api_key is required to submit requests."), code="missing_api_key")
    record = selectors.active_api_key(jurisdiction_code, hash_api_key(key))
    if record is None:
        raise Forbidden(_("The api_key is not valid for this jurisdiction."), code="invalid_api_key")
    return record


def upsert_categories(
    *, jurisdiction: Jurisdiction, categories: list[dict[str, Any]], routing_rules: list[dict[str, str]]
) -> ImportReport:
    """Create or update categories (with their questions) and routing rules by code. Idempotent."""
    departments = {d.code: d for d in Department.objects.filter(jurisdiction=jurisdiction)}
    districts = {d.code: d for d in District.objects.filter(jurisdiction=jurisdiction)}
    report = ImportReport()
    with transaction.atomic():
        for spec in categories:
            fields = {
                "name_ar": spec["name_ar"],
                "name_en": spec["name_en"],
                "description_ar": spec.get("description_ar", ""),
                "description_en": spec.get("description_en", ""),
                "group": spec.get("group", ""),
                "keywords": spec.get("keywords", ""),
                "sla_hours": spec["sla_hours"],
                "default_department": departments[spec["department"]],
            }
            category, created = ServiceCategory.objects.get_or_create(
                jurisdiction=jurisdiction, code=spec["code"], defaults=fields
            )
            changed = created
            if not created and any(getattr(category, k) != v for k, v in fields.items()):
                for key, value in fields.items():
                    setattr(category, key, value)
                category.save()
                changed = True
            for order, attribute in enumerate(spec.get("attributes", [])):
                values = {
                    "datatype": attribute["datatype"],
                    "required": attribute.get("required", False),
                    "order": order,
                    "description_ar": attribute["description_ar"],
                    "description_en": attribute["description_en"],
                    "values": attribute.get("values", []),
                }
                existing, made = CategoryAttribute.objects.get_or_create(
                    category=category, code=attribute["code"], defaults=values
                )
                if not made and any(getattr(existing, k) != v for k, v in values.items()):
                    CategoryAttribute.objects.filter(pk=existing.pk).update(**values)
                    made = True
                changed = changed or made
            if created:
                report.created.append(spec["code"])
            elif changed:
                report.updated.append(spec["code"])
            else:
                report.unchanged.append(spec["code"])
        for rule in routing_rules:
            category = ServiceCategory.objects.get(jurisdiction=jurisdiction, code=rule["category"])
            RoutingRule.objects.update_or_create(
                category=category,
                district=districts[rule["district"]],
                defaults={"department": departments[rule["department"]]},
            )
    return report
