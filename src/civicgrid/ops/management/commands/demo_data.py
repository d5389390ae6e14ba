"""civicgrid demo-data [--scale N]: load or reload the demo district."""

import argparse
import json

from django.core.management.base import BaseCommand, CommandError

from civicgrid.demo.load import load_demo


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value!r}")
    return int(value)


class Command(BaseCommand):
    help = "Load the demo district (拉萨市城关区 and neighbours), replacing any previous one."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=_positive,
            default=1,
            help="multiply the households (1 = 20,000 households, ~60,000 residents)",
        )

    def handle(self, *args, scale: int, verbosity: int, **options):
        try:
            counts = load_demo(scale=scale, stdout=self.stdout if verbosity >= 1 else None)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity >= 1:
            self.stdout.write(json.dumps(counts, ensure_ascii=False, indent=2))
