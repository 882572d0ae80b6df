"""Uploaded files that no row names: what a write killed between saving a photo and committing leaves.

A photo is written to the media storage inside the transaction that stores its row, before the
commit. An error rolls the row back and removes the files again (core.photos.store_photo, the
inspections' photo store), but a process killed in between cannot: the row is rolled back by
PostgreSQL, the files stay. An inspection photo's next send replaces them (same name, see
inspections.services); a citizen's report, a progress update or a proposal sent again becomes a new
record in a new folder, so the first attempt's files stay until `manage.py remove_stray_files`
removes them. Only files older than a grace period are taken, so a write still in progress (whose
row is not committed yet) is never touched.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db.models import FileField

# Longer than any write holds a transaction open (web requests stop at DB_STATEMENT_TIMEOUT_MS).
DEFAULT_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class StrayFile:
    name: str  # relative to MEDIA_ROOT, as a FileField stores it
    size: int


def referenced_files() -> set[str]:
    """Every file name held by a FileField (ImageField included) of any model."""
    names: set[str] = set()
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, FileField):
                values = model._default_manager.exclude(**{field.attname: ""}).exclude(
                    **{f"{field.attname}__isnull": True}
                )
                names.update(values.values_list(field.attname, flat=True).iterator())
    return names


def stray_files(*, grace: timedelta = DEFAULT_GRACE) -> list[StrayFile]:
    """Files under MEDIA_ROOT that no row names and that were last written before the grace period.

    The names are read before the folder is walked: a file committed in between is newer than the
    grace period, so it is not taken either.
    """
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    referenced = referenced_files()
    cutoff = time.time() - grace.total_seconds()
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        name = path.relative_to(root).as_posix()
        status = path.stat()
        if name not in referenced and status.st_mtime < cutoff:
            found.append(StrayFile(name=name, size=status.st_size))
    return found


def remove(files: list[StrayFile]) -> None:
    """Delete the files, and each folder left empty up to MEDIA_ROOT."""
    root = Path(settings.MEDIA_ROOT)
    for stray in files:
        path = root / stray.name
        path.unlink(missing_ok=True)
        for folder in path.parents:
            if folder == root or root not in folder.parents:
                break
            try:
                folder.rmdir()
            except OSError:  # not empty
                break
