"""Helpers shared by the service request tests (Open311 conversation, errors, privacy)."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from geo_services.core.models import Jurisdiction
from geo_services.service_requests import services

OPEN311 = "/open311/v2/"
# A request's fields in GeoReport v2, in the specification's order: nothing more may be public.
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
DOWNTOWN = {"lat": "31.9516", "long": "35.9393"}  # al-madina (demo) / amman-qasabah-district (liwa)
SAHAB = {"lat": "31.8717", "long": "36.0044"}  # sahab-district (liwa)
GPS_IFD = 0x8825
CONTACT = {
    "email": "reporter.private@example.org",
    "first_name": "Layla",
    "last_name": "Haddadin",
    "phone": "+962790001122",
    "device_id": "device-7f3a9c",
}


def new_key(jurisdiction: Jurisdiction, name: str = "test client") -> str:
    return services.create_open311_key(jurisdiction=jurisdiction, name=name)[1]


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    """A JPEG whose EXIF holds a camera make and a GPS position (downtown Amman)."""
    image = Image.new("RGB", size, (200, 50, 50))
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[GPS_IFD] = {1: "N", 2: (31.0, 57.0, 5.76), 3: "E", 4: (35.0, 56.0, 21.48)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def photo_upload(data: bytes | None = None, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data if data is not None else jpeg_with_gps(), content_type="image/jpeg")


def stored_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def xml_root(response: Any) -> ET.Element:
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own response, in a test


def xml_items(root: ET.Element, item: str) -> list[dict[str, str]]:
    """The flat children of each <item> of a list document, as {tag: text}."""
    assert all(child.tag == item for child in root), [child.tag for child in root]
    return [{child.tag: child.text or "" for child in element} for element in root]
