"""Checks on a zip archive (a zipped Shapefile) before GDAL is let near it.

GDAL reads a .zip in place through /vsizip/, so nothing is ever extracted to disk, but it trusts the
archive: a zip bomb (a few kB that inflate to gigabytes), thousands of entries or an archive inside
the archive would cost memory, disk and time, and an entry named `../../x.shp` or a symbolic link is
never what a person meant to send. Every archive is checked here first, against limits that are
settings:

- AMANAH_ARCHIVE_MAX_ENTRIES: how many entries it may hold;
- AMANAH_ARCHIVE_MAX_UNZIPPED_BYTES: how large its entries may be together, once inflated;
- AMANAH_ARCHIVE_MAX_RATIO: how much larger than its compressed form an entry may inflate.

The sizes an archive declares can lie, so the entries are also inflated once, as a stream that
stops at the limit, and their checksums compared.
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.utils.translation import gettext as _

from geo_services.core.errors import ImportProblem

_CHUNK = 1024 * 1024
# Entries smaller than this are not held to the ratio: a tiny .prj or .cpg may compress oddly well.
_RATIO_FLOOR_BYTES = 1024 * 1024
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")


def check_zip_archive(path: Path) -> None:
    """ImportProblem (nothing read by GDAL yet) unless the zip archive at `path` is a plain, bounded
    archive of regular files with safe relative names."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            _check_entries(path, entries)
            _check_contents(path, archive, entries)
    except zipfile.BadZipFile as exc:
        raise ImportProblem(
            _("%(name)s is not a readable zip archive: %(reason)s")
            % {"name": path.name, "reason": str(exc)[:200]},
            code="bad_archive",
        ) from None


def _refuse(path: Path, reason: str) -> ImportProblem:
    return ImportProblem(
        _("%(name)s cannot be imported: %(reason)s") % {"name": path.name, "reason": reason},
        code="unsafe_archive",
    )


def _check_entries(path: Path, entries: list[zipfile.ZipInfo]) -> None:
    max_entries = settings.AMANAH_ARCHIVE_MAX_ENTRIES
    max_bytes = settings.AMANAH_ARCHIVE_MAX_UNZIPPED_BYTES
    max_ratio = settings.AMANAH_ARCHIVE_MAX_RATIO
    if len(entries) > max_entries:
        raise _refuse(
            path,
            _("it holds %(count)s entries; the limit is %(limit)s.")
            % {"count": len(entries), "limit": max_entries},
        )
    total = 0
    for entry in entries:
        name = entry.filename
        shown = name.replace("\x00", "\\0")[:100]
        parts = PurePosixPath(name.replace("\\", "/")).parts
        if "\x00" in name or name.startswith(("/", "\\")) or _WINDOWS_DRIVE.match(name) or ".." in parts:
            raise _refuse(
                path,
                _("the entry %(entry)r points outside the archive (an absolute path or '..').")
                % {"entry": shown},
            )
        if stat.S_ISLNK(entry.external_attr >> 16):
            raise _refuse(path, _("the entry %(entry)r is a symbolic link.") % {"entry": shown})
        if entry.flag_bits & 0x1:
            raise _refuse(path, _("the entry %(entry)r is encrypted.") % {"entry": shown})
        if name.lower().endswith(".zip"):
            raise _refuse(path, _("the entry %(entry)r is an archive inside the archive.") % {"entry": shown})
        total += entry.file_size
        if total > max_bytes:
            raise _refuse(
                path,
                _("its entries inflate to more than %(limit)s bytes.") % {"limit": max_bytes},
            )
        if entry.file_size > _RATIO_FLOOR_BYTES and entry.file_size > max_ratio * max(entry.compress_size, 1):
            raise _refuse(
                path,
                _(
                    "the entry %(entry)r inflates %(ratio)s times (%(size)s bytes); the limit is %(limit)s times."
                )
                % {
                    "entry": shown,
                    "ratio": entry.file_size // max(entry.compress_size, 1),
                    "size": entry.file_size,
                    "limit": max_ratio,
                },
            )


def _check_contents(path: Path, archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo]) -> None:
    """Inflate every entry once, stopping at the limit: declared sizes are not trusted."""
    max_bytes = settings.AMANAH_ARCHIVE_MAX_UNZIPPED_BYTES
    total = 0
    for entry in entries:
        if entry.is_dir():
            continue
        # zipfile stops at the declared size and checks the CRC at the end of each entry, so an
        # entry that holds more than it declares is a BadZipFile; the running total bounds the rest.
        try:
            with archive.open(entry) as stream:
                while chunk := stream.read(_CHUNK):
                    total += len(chunk)
                    if total > max_bytes:
                        raise _refuse(
                            path,
                            _("its entries inflate to more than %(limit)s bytes.") % {"limit": max_bytes},
                        )
        except (NotImplementedError, RuntimeError, OSError, EOFError, zlib.error) as exc:
            # An unsupported compression method, a damaged stream, a wrong checksum.
            raise _refuse(
                path,
                _("the entry %(entry)r cannot be read (%(reason)s).")
                % {"entry": entry.filename[:100], "reason": str(exc)[:100]},
            ) from None
