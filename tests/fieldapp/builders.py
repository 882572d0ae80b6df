"""Checklists, jobs and inspections for the field app's page and browser tests, made through the
inspections app's own services (so they obey the same rules as the API)."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth.models import User
from django.contrib.gis.geos import Point
from django.utils import timezone
from PIL import Image

from geo_services.core.models import Jurisdiction
from geo_services.inspections import services
from geo_services.inspections.checklists import parse_items
from geo_services.inspections.models import InspectionJob, TemplateVersion
from tests.factories import UserFactory, make_staff

# Inside al-Madina district of the demo's Amman, and a second stop about a kilometre away.
KING_PARK = (35.9393, 31.9516)
MARKET = (35.9298, 31.9553)

PARK_ITEMS = [
    {
        "key": "clean",
        "type": "yes_no",
        "label_ar": "هل الحديقة نظيفة؟",
        "label_en": "Is the park clean?",
        "weight": 2,
        "critical": True,
        "required": True,
    },
    {
        "key": "lighting",
        "type": "score",
        "label_ar": "حالة الإنارة",
        "label_en": "Lighting",
        "max_score": 4,
        "required": True,
    },
    {
        "key": "benches",
        "type": "number",
        "label_ar": "عدد المقاعد السليمة",
        "label_en": "Benches in good repair",
        "min_value": 2,
    },
    {
        "key": "surface",
        "type": "choice",
        "label_ar": "حالة الممرات",
        "label_en": "Paths",
        "choices": [
            {"value": "good", "label_ar": "جيدة", "label_en": "Good", "points": 1},
            {"value": "worn", "label_ar": "متآكلة", "label_en": "Worn", "points": 0.5},
            {"value": "broken", "label_ar": "مكسورة", "label_en": "Broken", "points": 0},
        ],
    },
    {"key": "notes", "type": "text", "label_ar": "ملاحظات", "label_en": "Notes", "weight": 0},
    {
        "key": "evidence",
        "type": "photo",
        "label_ar": "صورة للحديقة",
        "label_en": "Photo of the park",
        "weight": 0,
        "required": True,
    },
]


def amman_today() -> date:
    return services.local_today("Asia/Amman")


def root() -> User:
    """Whoever sets up the checklists and jobs: an administrator sees every district."""
    return UserFactory.create(username="root", is_superuser=True, is_staff=True)


def park_checklist(jurisdiction: Jurisdiction, *, code: str = "park-visit") -> TemplateVersion:
    return services.create_template(
        audit=services.Audit(actor=root()),
        jurisdiction=jurisdiction,
        code=code,
        kind="park",
        name_ar="زيارة حديقة",
        name_en="Park visit",
        items=parse_items(PARK_ITEMS),
        min_gps_accuracy_m=25,
        max_distance_m=150,
        pass_score=Decimal(60),
    )


def inspector(jurisdiction: Jurisdiction, username: str = "park-inspector", **names: str) -> User:
    user = UserFactory.create(username=username, roles=["inspector"], **names)
    make_staff(user, jurisdiction=jurisdiction)
    return user


def job(
    version: TemplateVersion,
    inspector: User,
    *,
    at: tuple[float, float] = KING_PARK,
    label: str = "حديقة الملك عبدالله",
    due: date | None = None,
) -> InspectionJob:
    return services.create_job(
        audit=services.Audit(actor=root()),
        template_code=version.template.code,
        inspector_id=inspector.pk,
        due_date=due or amman_today(),
        target=services.JobTarget(kind="point", location=Point(*at, srid=4326), label=label),
    )


def make_overdue(job: InspectionJob, days: int = 1) -> InspectionJob:
    """A job left from an earlier day (the service refuses a due date in the past, rightly)."""
    InspectionJob.objects.filter(pk=job.pk).update(due_date=job.due_date - timedelta(days=days))
    job.refresh_from_db()
    return job


def inspect(job: InspectionJob, *, clean: bool, inspector: User) -> str:
    """An inspection with its one photo, received through the services as the API receives it (from
    another tablet, as far as the test's browser knows). Its UUID."""
    key = str(uuid.uuid4())
    photo = str(uuid.uuid4())
    data = jpeg()
    now = timezone.now()
    submission = services.Submission(
        uuid=key,
        job_id=job.pk,
        template_version=job.template_version.number,
        answers={"clean": clean, "lighting": 3, "evidence": [photo]},
        position=services.Position(lon=job.target_location.x, lat=job.target_location.y, accuracy_m=6),
        started_at=now - timedelta(minutes=10),
        finished_at=now,
        photos=(
            services.DeclaredPhoto(uuid=photo, item="evidence", sha256=hashlib.sha256(data).hexdigest()),
        ),
    )
    audit = services.Audit(actor=inspector, device_id=str(uuid.uuid4()))
    services.receive_inspection(audit=audit, submission=submission)
    services.receive_photo(
        audit=audit, inspection_uuid=key, photo_uuid=photo, data=data, content_type="image/jpeg"
    )
    return key


def jpeg(width: int = 320, height: int = 240) -> bytes:
    """A real small photo: a park-green field with a yellow bench."""
    image = Image.new("RGB", (width, height), (70, 140, 60))
    for x in range(width // 4, width // 2):
        for y in range(height // 2, height // 2 + 20):
            image.putpixel((x, y), (230, 200, 40))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()
