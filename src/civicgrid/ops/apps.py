from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Long-running processes and jobs: run, worker, scheduler, demo data."""

    name = "civicgrid.ops"
    label = "ops"
