"""Serving a request's photo and its thumbnail from the default storage.

These are the `media_url` of Open311 requests, so anyone may fetch them: the photo was re-encoded
without its EXIF data (GPS position, camera serial) when it was stored, so it carries no personal
data beyond what the reporter chose to photograph. Only files that belong to a request are served,
looked up by the request's token, never by a path taken from the URL.
"""

from __future__ import annotations

import uuid

from django.core.files.storage import default_storage
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from geo_services.service_requests import selectors

# Photos may be withdrawn by staff (personal data in the picture), so caches keep them only briefly.
CACHE_SECONDS = 3600


def _serve(stored: FieldFile | None) -> FileResponse:
    if not stored or not stored.name:
        raise Http404(_("This request has no photo."))
    try:
        handle = default_storage.open(stored.name, "rb")
    except FileNotFoundError:
        raise Http404(_("This request has no photo.")) from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return response


@require_safe
def request_photo(request: HttpRequest, token: uuid.UUID) -> FileResponse:
    """The cleaned photo of a request. Anyone (it is the request's public Open311 media_url)."""
    found = selectors.request_by_token(str(token))
    return _serve(found.photo if found is not None else None)


@require_safe
def request_thumbnail(request: HttpRequest, token: uuid.UUID) -> FileResponse:
    """The thumbnail of a request's photo. Anyone, like the photo itself."""
    found = selectors.request_by_token(str(token))
    return _serve(found.photo_thumbnail if found is not None else None)
