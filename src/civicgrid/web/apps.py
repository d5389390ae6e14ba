from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "civicgrid.web"
    label = "web"

    def ready(self) -> None:
        from civicgrid.web import extensions

        extensions.discover()
