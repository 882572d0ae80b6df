"""Open311 GeoReport v2 documents and their JSON and XML renderings, in one place.

A document is built once as plain Python (dicts keep the specification's element order) and then
written as JSON or as XML. XML follows the specification: a declared UTF-8 document without a
namespace, lists as repeated child elements (`<services><service>…`, `<formats><format>…`), and
true/false for booleans. JSON is the same document ("Spark convention": the root element dropped).

Public documents never hold a reporter's contact data: the request representation below lists
every field it gives out, and none of them is personal.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET  # only writes XML; no input is ever parsed as XML
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from geo_services.core.models import Jurisdiction
from geo_services.service_requests.models import (
    AttributeType,
    CategoryAttribute,
    ServiceCategory,
    ServiceRequest,
)

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this server's Open311 interface last changed (the discovery document's changeset).
CHANGESET = "2026-11-23T00:00:00Z"
SERVICE_TYPE = "realtime"  # the request id is returned at once

# The element name of one item of each list, as the specification names them.
_ITEM = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
# Characters XML 1.0 cannot hold at all (a citizen's text may contain them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Document = dict[str, Any] | list[dict[str, Any]]


# --- Rendering ------------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: object) -> None:
    if isinstance(value, dict):
        for name, child in value.items():
            _fill(ET.SubElement(element, name), child)
    elif isinstance(value, list | tuple):
        item_name = _ITEM[element.tag]
        for item in value:
            _fill(ET.SubElement(element, item_name), item)
    else:
        element.text = _text(value)


def to_xml(document: Document, *, root: str) -> bytes:
    element = ET.Element(root)
    _fill(element, document)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(
        element, encoding="utf-8", xml_declaration=False
    )


def to_json(document: Document) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def render(document: Document, *, fmt: str, root: str, status: int = 200) -> HttpResponse:
    """The document as an HTTP response in the asked format (`root` names the XML root element)."""
    body = to_xml(document, root=root) if fmt == "xml" else to_json(document)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES.get(fmt, CONTENT_TYPES["json"]))


def errors_document(status: int, descriptions: Iterable[str]) -> list[dict[str, Any]]:
    return [{"code": status, "description": description} for description in descriptions]


def render_error(*, fmt: str, status: int, description: str) -> HttpResponse:
    return render(errors_document(status, [description]), fmt=fmt, root="errors", status=status)


# --- Values ---------------------------------------------------------------------------------------


def _english() -> bool:
    return (translation.get_language() or settings.LANGUAGE_CODE).startswith("en")


def localized(obj: object, field: str) -> str:
    """obj.<field>_ar or obj.<field>_en, whichever language the request is answered in."""
    primary, fallback = ("en", "ar") if _english() else ("ar", "en")
    return str(getattr(obj, f"{field}_{primary}") or getattr(obj, f"{field}_{fallback}"))


def w3c(moment: datetime | None, zone: ZoneInfo) -> str | None:
    """W3C date and time with the jurisdiction's UTC offset, e.g. 2026-05-01T14:30:00+03:00."""
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment is not None else None


# --- Documents ------------------------------------------------------------------------------------


def discovery_document(jurisdiction: Jurisdiction, *, base_url: str) -> dict[str, Any]:
    contact = settings.AMANAH_OPEN311_CONTACT or _(
        "%(name)s: report problems with this interface to the municipality's system administrators."
    ) % {"name": localized(jurisdiction, "name")}
    return {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": _(
            "Reading is open to anyone. To submit requests, ask the municipality's system administrators "
            "for an api_key (they issue it with: manage.py create_open311_key)."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base_url,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }


def _keywords(raw: str) -> str:
    return ", ".join(word.strip() for word in raw.split(",") if word.strip())


def service_item(category: ServiceCategory) -> dict[str, Any]:
    """One service of GET services; expects the category's attributes to be prefetched."""
    return {
        "service_code": category.code,
        "service_name": localized(category, "name"),
        "description": localized(category, "description"),
        "metadata": len(category.attributes.all()) > 0,
        "type": SERVICE_TYPE,
        "keywords": _keywords(category.keywords),
        "group": category.group,
    }


def _datatype_description(attribute: CategoryAttribute) -> str:
    match attribute.datatype:
        case AttributeType.STRING:
            return _("Short text on one line, at most 200 characters.")
        case AttributeType.TEXT:
            return _("Text, which may hold several lines, at most 4000 characters.")
        case AttributeType.NUMBER:
            return _("A number, such as 3 or 2.5.")
        case AttributeType.DATETIME:
            return _("A date and time such as 2026-05-01T14:30:00+03:00.")
        case AttributeType.SINGLE_VALUE_LIST:
            return _("One of the keys listed in values.")
        case AttributeType.MULTI_VALUE_LIST:
            return _(
                "One or more of the keys listed in values: send attribute[%(code)s][] once for each."
            ) % {"code": attribute.code}
    return ""


def _value_name(value: dict[str, Any]) -> str:
    primary, fallback = ("name_en", "name_ar") if _english() else ("name_ar", "name_en")
    return str(value.get(primary) or value.get(fallback) or value["key"])


def service_definition(category: ServiceCategory) -> dict[str, Any]:
    """GET services/{code}; the attributes come in the category's order, numbered from 1."""
    return {
        "service_code": category.code,
        "attributes": [
            {
                "variable": True,
                "code": attribute.code,
                "datatype": attribute.datatype,
                "required": attribute.required,
                "datatype_description": _datatype_description(attribute),
                "order": position,
                "description": localized(attribute, "description"),
                "values": [{"key": str(v["key"]), "name": _value_name(v)} for v in attribute.values],
            }
            for position, attribute in enumerate(category.attributes.all(), start=1)
        ],
    }


def photo_url(service_request: ServiceRequest, http_request: HttpRequest) -> str:
    """Where the request's cleaned photo is served, as an absolute URL; else the client's media_url."""
    if not service_request.photo:
        return service_request.media_url
    path = reverse("service_request_photo", kwargs={"token": service_request.token})
    return http_request.build_absolute_uri(path)


def request_item(
    service_request: ServiceRequest, *, zone: ZoneInfo, http_request: HttpRequest
) -> dict[str, Any]:
    """One request as the public sees it: no name, e-mail, phone, device or account, ever.

    Expects category and department to be selected and `public_status_note` to be annotated.
    """
    closed = not service_request.is_open
    # "For requests with status=closed, this will be the date the request was closed."
    updated = (
        service_request.closed_at if closed and service_request.closed_at else service_request.updated_at
    )
    return {
        "service_request_id": str(service_request.pk),
        "status": "closed" if closed else "open",
        "status_notes": getattr(service_request, "public_status_note", None) or "",
        "service_name": localized(service_request.category, "name"),
        "service_code": service_request.category.code,
        "description": service_request.description,
        "agency_responsible": localized(service_request.department, "name"),
        "service_notice": "",
        "requested_datetime": w3c(service_request.requested_at, zone),
        "updated_datetime": w3c(updated, zone),
        "expected_datetime": w3c(service_request.expected_at, zone),
        "address": service_request.address,
        "address_id": None,
        "zipcode": None,
        "lat": service_request.location.y,
        "long": service_request.location.x,
        "media_url": photo_url(service_request, http_request),
    }


def created_item(
    service_request: ServiceRequest, *, duplicates: Sequence[ServiceRequest], zone: ZoneInfo
) -> dict[str, Any]:
    """The answer to POST requests: the new id and token, and what happens next."""
    notice = _("Sent to %(department)s; expected to be handled by %(expected)s.") % {
        "department": localized(service_request.department, "name"),
        "expected": w3c(service_request.expected_at, zone),
    }
    if duplicates:
        notice += " " + _(
            "Open requests for the same problem nearby: %(ids)s. Yours is recorded too; if it is the "
            "same problem, you can follow those."
        ) % {"ids": ", ".join(str(d.pk) for d in duplicates)}
    return {
        "service_request_id": str(service_request.pk),
        "token": str(service_request.token),
        "service_notice": notice,
        "account_id": None,
    }


def token_item(service_request: ServiceRequest) -> dict[str, Any]:
    return {"service_request_id": str(service_request.pk), "token": str(service_request.token)}
