from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "civicgrid.web"
    label = "web"

    def ready(self) -> None:
        from civicgrid.lib import figures
        from civicgrid.web import extensions

        extensions.discover()
        figures.discover()
