"""Load the Amman demo: the 22 GAM districts (approximate), departments and one user per role.

Idempotent: a second run reports everything unchanged and writes nothing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from geo_services.core import services
from geo_services.core.boundary_import import read_boundaries
from geo_services.core.demo import demo_loaders
from geo_services.core.models import Department, Jurisdiction, StaffMember
from geo_services.core.roles import Role

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
DEMO_DISTRICTS = FIXTURES / "geo" / "amman_gam_districts.geojson"
DEMO_DEPARTMENTS = FIXTURES / "demo" / "amman_departments.json"

AMMAN = {
    "code": "amman",
    "name_ar": "أمانة عمّان الكبرى",
    "name_en": "Greater Amman Municipality",
    "time_zone": "Asia/Amman",
}

# One demo account per role; the password is AMANAH_DEMO_PASSWORD (default in the README).
DEMO_USERS = [
    ("admin", Role.ADMIN),
    ("dispatcher", Role.DISPATCHER),
    ("inspector", Role.INSPECTOR),
    ("planner", Role.PLANNER),
    ("citizen", Role.CITIZEN),
]
# The demo dispatcher and inspector work for public works and roads, in every district.
DEMO_STAFF_DEPARTMENT = {Role.DISPATCHER: "public-works-roads", Role.INSPECTOR: "public-works-roads"}
DEFAULT_DEMO_PASSWORD = "amanah-demo"  # noqa: S105 - demo accounts only, documented in the README


class Command(BaseCommand):
    help = "Load the Amman demo data (approximate GAM districts, departments, demo users). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-users", action="store_true", help="skip the demo user accounts")

    def handle(self, *args: Any, **options: Any) -> None:
        boundary_file = read_boundaries(
            DEMO_DISTRICTS,
            name_field="name_en",
            name_ar_field="name_ar",
            code_field="code",
            population_field="population",
        )
        with transaction.atomic():
            districts = services.import_boundaries(
                boundary_file.records,
                jurisdiction_code=AMMAN["code"],
                jurisdiction_name_ar=AMMAN["name_ar"],
                jurisdiction_name_en=AMMAN["name_en"],
                time_zone=AMMAN["time_zone"],
            )
            jurisdiction, _created = services.ensure_jurisdiction(**AMMAN)
            specs = [services.DepartmentSpec(**item) for item in json.loads(DEMO_DEPARTMENTS.read_text())]
            departments = services.upsert_departments(jurisdiction=jurisdiction, departments=specs)
            users_created = 0 if options["no_users"] else self._demo_users(jurisdiction)
            app_summaries = {name: loader(jurisdiction) for name, loader in demo_loaders().items()}
        self.stdout.write(_("Districts: %(summary)s") % {"summary": districts.summary()})
        self.stdout.write(_("Departments: %(summary)s") % {"summary": departments.summary()})
        for summary in app_summaries.values():
            self.stdout.write(summary)
        self.stdout.write(
            self.style.SUCCESS(_("Demo loaded; %(count)d demo users created") % {"count": users_created})
        )

    def _demo_users(self, jurisdiction: Jurisdiction) -> int:
        password = os.environ.get("AMANAH_DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)
        user_model = get_user_model()
        created_count = 0
        for username, role in DEMO_USERS:
            user, created = user_model.objects.get_or_create(
                username=username,
                defaults={"is_staff": role in (Role.ADMIN, Role.DISPATCHER, Role.PLANNER)},
            )
            if created:
                user.set_password(password)
                if role is Role.ADMIN:
                    user.is_superuser = True
                user.save()
                created_count += 1
            user.groups.add(Group.objects.get(name=role.value))
            if role in DEMO_STAFF_DEPARTMENT:
                StaffMember.objects.get_or_create(
                    user=user,
                    defaults={
                        "jurisdiction": jurisdiction,
                        "department": Department.objects.get(
                            jurisdiction=jurisdiction, code=DEMO_STAFF_DEPARTMENT[role]
                        ),
                    },
                )
        return created_count
