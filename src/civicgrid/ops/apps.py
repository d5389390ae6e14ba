from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Long-running processes and jobs: run, worker, scheduler, demo data."""

    name = "civicgrid.ops"
    label = "ops"
    # Mounted by civicgrid.urls (its urls.py).
    url_prefix = "ops/"
