"""Photos from citizens and inspectors: checked, cleaned and thumbnailed before they are stored.

A photo must really be an image (decoded by Pillow, not trusted by its name or content type), is
re-encoded as JPEG so nothing hidden in the original survives, and loses its EXIF data — GPS
position, camera serial numbers and the like are personal data. What the app keeps on purpose: the
orientation (applied to the pixels) and the time the photo was taken (returned separately).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Model
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from geo_services.core.errors import InvalidInput

_DATETIME_ORIGINAL = 0x9003  # EXIF tag, in the Exif IFD
_EXIF_IFD = 0x8769
THUMBNAIL_SIZE = (320, 320)
# What a camera or phone sends; anything else (GIF, TIFF, SVG, PDF…) is refused, as the message says.
PHOTO_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})


class PhotoTooLarge(InvalidInput):
    status = 413
    code = "photo_too_large"


@dataclass(frozen=True)
class CleanPhoto:
    jpeg: bytes
    thumbnail: bytes
    width: int
    height: int
    taken_at: datetime | None


def _taken_at(image: Image.Image) -> datetime | None:
    try:
        raw = image.getexif().get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL)
        return datetime.strptime(str(raw), "%Y:%m:%d %H:%M:%S") if raw else None
    except (ValueError, TypeError, KeyError):
        return None


def clean_photo(upload: UploadedFile) -> CleanPhoto:
    """A checked, EXIF-free JPEG and its thumbnail, or InvalidInput saying what is wrong."""
    limit = settings.AMANAH_MAX_PHOTO_BYTES
    if upload.size is not None and upload.size > limit:
        raise PhotoTooLarge(
            _("The photo is %(size)s bytes; the limit is %(limit)s bytes.")
            % {"size": upload.size, "limit": limit}
        )
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise PhotoTooLarge(_("The photo is larger than the limit of %(limit)s bytes.") % {"limit": limit})
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        image: Image.Image = Image.open(io.BytesIO(data))
        if image.format not in PHOTO_FORMATS:
            raise InvalidInput(
                _("Photos must be JPEG, PNG or WebP images, not %(format)s.") % {"format": image.format},
                code="not_an_image",
            )
        if image.width * image.height > settings.AMANAH_MAX_PHOTO_PIXELS:
            raise PhotoTooLarge(
                _("The photo has %(pixels)s pixels; the limit is %(limit)s.")
                % {"pixels": image.width * image.height, "limit": settings.AMANAH_MAX_PHOTO_PIXELS}
            )
        taken_at = _taken_at(image)
        image = ImageOps.exif_transpose(image)
        image = image.convert("RGB")
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as exc:
        raise InvalidInput(
            _("The file is not an image that can be read (%(reason)s).") % {"reason": str(exc)[:100]},
            code="not_an_image",
        ) from None
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85, optimize=True)  # saved without exif=: no EXIF at all
    thumb = image.copy()
    thumb.thumbnail(THUMBNAIL_SIZE)
    thumb_out = io.BytesIO()
    thumb.save(thumb_out, format="JPEG", quality=80)
    return CleanPhoto(
        jpeg=out.getvalue(),
        thumbnail=thumb_out.getvalue(),
        width=image.width,
        height=image.height,
        taken_at=taken_at,
    )


def store_photo(
    record: Model,
    photo: CleanPhoto,
    *,
    photo_name: str,
    thumbnail_name: str,
    also_update: tuple[str, ...] = (),
) -> None:
    """Save a cleaned photo and its thumbnail into the record's `photo` and `photo_thumbnail`
    fields (inside the caller's transaction). If saving fails, the files already written are
    removed: the transaction rolls the row back, and the files must go too."""
    saved = []
    try:
        record.photo.save(photo_name, ContentFile(photo.jpeg), save=False)  # type: ignore[attr-defined]
        saved.append(record.photo)  # type: ignore[attr-defined]
        record.photo_thumbnail.save(thumbnail_name, ContentFile(photo.thumbnail), save=False)  # type: ignore[attr-defined]
        saved.append(record.photo_thumbnail)  # type: ignore[attr-defined]
        record.save(update_fields=["photo", "photo_thumbnail", *also_update])
    except Exception:
        for stored in saved:
            stored.delete(save=False)
        raise
