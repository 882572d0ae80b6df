"""Issue an api_key for an Open311 client application (needed to POST requests)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from geo_services.core import selectors as core_selectors
from geo_services.core.errors import DomainError
from geo_services.service_requests import services

_MAX_NAME = 200


class Command(BaseCommand):
    help = (
        "Create an Open311 api_key for a client application and print it once, alone on standard "
        "output; only its SHA-256 is stored, so it cannot be shown again. Each run issues a new key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="who the key is for, e.g. the application's name")
        parser.add_argument(
            "--jurisdiction",
            default=settings.AMANAH_DEFAULT_JURISDICTION,
            help="jurisdiction code the key may submit to (default: %(default)s)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = " ".join(str(options["name"]).split())
        if not name or len(name) > _MAX_NAME:
            raise CommandError(_("The name must be 1 to %(limit)d characters long.") % {"limit": _MAX_NAME})
        try:
            jurisdiction = core_selectors.jurisdiction_by_code(options["jurisdiction"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        record, key = services.create_open311_key(jurisdiction=jurisdiction, name=name)
        # The key alone on standard output, so a script can capture it; the rest goes to stderr.
        self.stdout.write(key)
        self.stderr.write(
            self.style.SUCCESS(
                _(
                    "Created Open311 key %(id)s %(name)r for %(jurisdiction)s. Only its hash is stored: "
                    "keep the key now, it cannot be shown again."
                )
                % {"id": record.pk, "name": name, "jurisdiction": jurisdiction.code}
            )
        )
