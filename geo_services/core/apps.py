from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "geo_services.core"
    label = "core"
    verbose_name = _("Jurisdictions and districts")

    def ready(self) -> None:
        from geo_services.core.roles import ensure_role_groups

        # After every migrate (and every test-database flush), like Django's own permissions.
        post_migrate.connect(ensure_role_groups, sender=self, dispatch_uid="core.ensure_role_groups")
