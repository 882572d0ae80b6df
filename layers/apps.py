from django.apps import AppConfig


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = "Layers"

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        # Each domain app declares its layers in its own `layers.py`, like admin.py for the admin:
        # the layer engine never imports a domain app's models.
        autodiscover_modules("layers")
