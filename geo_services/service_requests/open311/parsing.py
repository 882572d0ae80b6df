"""Open311 input, parsed once at the edge into typed values.

Every function here either returns values the services can trust or raises a DomainError whose
message says what to send instead. Per the specification, an optional parameter sent empty is the
same as one not sent at all.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, QueryDict
from django.utils.translation import gettext as _

from geo_services.core.api.parsing import parse_list
from geo_services.core.errors import InvalidInput, NotFound
from geo_services.core.parsing import parse_lat_lon
from geo_services.service_requests.services import Contact

# The specification's limits for GET requests: a window of at most 90 days, at most 1000 results.
MAX_WINDOW = timedelta(days=90)
MAX_IDS = 1000
# PostgreSQL's bigint, the type of a request id.
_MAX_ID = 2**63 - 1
_ATTRIBUTE_FIELD = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_PHOTO_FIELD = "media"
_MAX_JURISDICTION_CODE = 40  # Jurisdiction.code's max_length


def _reject_nul(params: QueryDict) -> None:
    # PostgreSQL text cannot hold NUL; refusing it here keeps it from ever reaching a query.
    for name, values in params.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            raise InvalidInput(
                _("%(name)s contains a NUL character, which no field may hold.") % {"name": name[:50]},
                code="invalid_character",
            )


def _form(request: HttpRequest) -> QueryDict:
    """The POSTed form; only form encodings are accepted, as the specification says."""
    content_type = request.content_type or ""
    if content_type and content_type not in _FORM_TYPES:
        raise InvalidInput(
            _(
                "Send the request as a form (application/x-www-form-urlencoded or multipart/form-data), "
                "not %(type)s."
            )
            % {"type": content_type[:100]},
            code="unsupported_media_type",
        )
    return request.POST


def jurisdiction_code(request: HttpRequest) -> str:
    """The jurisdiction_id of any call (query string, or the form of a POST), else the default one.

    Called first by every endpoint, so it also refuses a query string or form holding characters no
    field may hold.
    """
    _reject_nul(request.GET)
    raw = request.GET.get("jurisdiction_id", "")
    if request.method == "POST":
        form = _form(request)
        _reject_nul(form)
        raw = form.get("jurisdiction_id", "") or raw
    code = raw.strip() or settings.AMANAH_DEFAULT_JURISDICTION
    if len(code) > _MAX_JURISDICTION_CODE:
        # Longer than any code can be; said here so the whole text is not echoed back.
        raise NotFound(
            _("Unknown jurisdiction_id %(code)r.") % {"code": code[:_MAX_JURISDICTION_CODE] + "…"},
            code="unknown_jurisdiction",
        )
    return code


def api_key(request: HttpRequest) -> str:
    """The api_key of a POST: in the form as the specification says, or in the query string."""
    return (_form(request).get("api_key", "") or request.GET.get("api_key", "")).strip()


def _blank(value: str | None) -> bool:
    return value is None or value.strip() == ""


def parse_lat_long(raw_lat: str | None, raw_long: str | None) -> Point | None:
    """A WGS84 point from Open311's `lat` and `long`; None when neither is sent."""
    if _blank(raw_lat) and _blank(raw_long):
        return None
    if _blank(raw_lat) or _blank(raw_long):
        raise InvalidInput(
            _("lat and long must be sent together (or neither, with address_string)."),
            code="missing_parameter",
        )
    return parse_lat_lon(raw_lat, raw_long, lon_name="long")


def _answers(form: QueryDict) -> dict[str, list[str]]:
    """attribute[CODE]=value and attribute[CODE][]=value (repeated for a multivaluelist)."""
    answers: dict[str, list[str]] = {}
    for name, values in form.lists():
        if not name.startswith("attribute"):
            continue
        match = _ATTRIBUTE_FIELD.match(name)
        if match is None:
            raise InvalidInput(
                _(
                    "%(name)s is not a valid field name; send attribute[CODE]=value, or attribute[CODE][]=value once per value of a multivaluelist."
                )
                % {"name": name[:100]},
                code="invalid_attribute",
            )
        answers.setdefault(match.group(1), []).extend(values)
    return answers


def _photo(request: HttpRequest, form: QueryDict) -> UploadedFile | None:
    unexpected = sorted(name for name in request.FILES if name != _PHOTO_FIELD)
    if unexpected:
        raise InvalidInput(
            _("Unexpected file field(s) %(names)s: send the photo as the file field media.")
            % {"names": ", ".join(n[:50] for n in unexpected)},
            code="unexpected_file",
        )
    if form.get(_PHOTO_FIELD):
        raise InvalidInput(
            _(
                "media must be an uploaded image file (multipart/form-data); to link to a photo, use media_url."
            ),
            code="not_an_image",
        )
    photos = request.FILES.getlist(_PHOTO_FIELD)
    if len(photos) > 1:
        raise InvalidInput(_("Send at most one photo in media."), code="too_many_files")
    return photos[0] if photos else None


@dataclass(frozen=True)
class NewRequest:
    """A POSTed report as submit_request takes it."""

    service_code: str
    point: Point | None
    address: str
    description: str
    answers: dict[str, list[str]]
    contact: Contact
    media_url: str
    photo: UploadedFile | None


def parse_new_request(request: HttpRequest) -> NewRequest:
    """The fields of POST requests.{fmt}; what they mean is checked by submit_request."""
    form = _form(request)
    address = form.get("address_string", "")
    point = parse_lat_long(form.get("lat"), form.get("long"))
    if point is None and _blank(address) and not _blank(form.get("address_id")):
        raise InvalidInput(
            _("address_id is not supported here; send lat and long, or a district name as address_string."),
            code="missing_location",
        )
    return NewRequest(
        service_code=form.get("service_code", "").strip(),
        point=point,
        address=address,
        description=form.get("description", ""),
        answers=_answers(form),
        contact=Contact(
            first_name=form.get("first_name", ""),
            last_name=form.get("last_name", ""),
            email=form.get("email", "").strip(),
            phone=form.get("phone", ""),
            device_id=form.get("device_id", ""),
        ),
        media_url=form.get("media_url", "").strip(),
        photo=_photo(request, form),
    )


@dataclass(frozen=True)
class RequestsQuery:
    """GET requests.{fmt}: either ids (which override everything else) or filters and a window."""

    ids: tuple[int, ...] = ()
    service_codes: tuple[str, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: frozenset[str] = field(default_factory=frozenset)


def _id(raw: str) -> int | None:
    text = raw.strip()
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= _MAX_ID else None


def parse_request_id(raw: str) -> int:
    """The id in requests/{id}.{fmt}; anything that cannot be an id names no request."""
    value = _id(raw)
    if value is None:
        raise NotFound(_("There is no request %(id)s.") % {"id": raw[:50]}, code="unknown_request")
    return value


def parse_service_code(raw: str) -> str:
    """The code in services/{service_code}.{fmt}."""
    if "\x00" in raw:
        raise NotFound(
            _("Unknown service_code %(code)r. The list of services is at services.json.")
            % {"code": raw.replace("\x00", "")[:80]},
            code="unknown_service_code",
        )
    return raw


def parse_token(raw: str) -> str:
    """The token in tokens/{token}.{fmt}, in its canonical form."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise NotFound(_("There is no request with token %(token)s.") % {"token": raw[:50]}) from None


def _ids(raw: str) -> tuple[int, ...]:
    parts = [p for p in raw.split(",") if p.strip()]
    if len(parts) > MAX_IDS:
        raise InvalidInput(
            _("Ask for at most %(limit)d service_request_id values at once.") % {"limit": MAX_IDS},
            code="too_many_ids",
        )
    ids = []
    for part in parts:
        value = _id(part)
        if value is None:
            raise InvalidInput(
                _(
                    "service_request_id takes request numbers separated by commas, such as 12,15; %(value)r is not one."
                )
                % {"value": part.strip()[:50]}
            )
        ids.append(value)
    return tuple(dict.fromkeys(ids))


def parse_w3c_datetime(raw: str, *, name: str, zone: ZoneInfo, end_of_day: bool = False) -> datetime:
    """A W3C/ISO 8601 date and time; without an offset it is read in the jurisdiction's time zone.

    A date alone means the start of that day (or its end, for end_date).
    """
    text = raw.strip()
    # An unencoded "+03:00" in a query string arrives as " 03:00".
    if "T" in text and " " in text.split("T", 1)[1]:
        text = text.replace(" ", "+")
    moment: datetime | None = None
    try:
        if _DATE_ONLY.match(text):
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.max if end_of_day else time.min)
        elif "T" in text:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        moment = None
    if moment is None or not 1900 <= moment.year <= 9000:
        raise InvalidInput(
            _(
                "%(name)s must be a W3C date and time such as 2026-05-01T00:00:00Z or "
                "2026-05-01T00:00:00+03:00 (or a date such as 2026-05-01), not %(value)r."
            )
            % {"name": name, "value": raw[:50]},
            code="invalid_date",
        )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def parse_requests_query(params: QueryDict, *, zone: ZoneInfo, now: datetime) -> RequestsQuery:
    """The filters of GET requests.{fmt}, with the specification's default window of 90 days."""
    ids = _ids(params.get("service_request_id", ""))
    if ids:
        # "This overrides all other arguments."
        return RequestsQuery(ids=ids)
    raw_start = params.get("start_date", "")
    raw_end = params.get("end_date", "")
    start = parse_w3c_datetime(raw_start, name="start_date", zone=zone) if raw_start.strip() else None
    end = (
        parse_w3c_datetime(raw_end, name="end_date", zone=zone, end_of_day=True) if raw_end.strip() else None
    )
    if start is not None and end is not None:
        if end < start:
            raise InvalidInput(_("end_date is before start_date."), code="invalid_date")
        if end - start > MAX_WINDOW:
            raise InvalidInput(
                _("start_date and end_date may be at most 90 days apart; ask for a longer period in parts."),
                code="invalid_date",
            )
    elif start is not None:
        end = start + MAX_WINDOW
    elif end is not None:
        start = end - MAX_WINDOW
    else:
        start = now - MAX_WINDOW
    statuses = parse_list(params.get("status", ""), name="status", allowed={"open", "closed"})
    return RequestsQuery(
        service_codes=parse_list(params.get("service_code", ""), name="service_code"),
        start=start,
        end=end,
        statuses=frozenset(statuses),
    )
