from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InitiativesConfig(AppConfig):
    name = "geo_services.initiatives"
    label = "initiatives"
    verbose_name = _("Green-space, sidewalk and waste-sorting initiatives")
