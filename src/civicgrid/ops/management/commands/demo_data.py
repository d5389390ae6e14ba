"""civicgrid demo-data [--size N] [--scale]: load or reload the demo district,
and with ``--scale`` the district-scale data the benchmarks run on."""

import argparse
import json

from django.core.management.base import BaseCommand, CommandError

from civicgrid.demo.load import demo_loaded, load_demo
from civicgrid.demo.scale import load_scale


def _positive(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value!r}")
    return int(value)


class Command(BaseCommand):
    help = (
        "Load the demo district (拉萨市城关区 and neighbours), replacing any previous one. "
        "With --scale, add district-scale data in bulk instead (500,000 residents, 5,000 "
        "devices with safe zones, 1,000,000 cases over five years), replacing the previous "
        "scale rows and keeping the demo district (loaded first if missing)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--size",
            type=_positive,
            default=1,
            help="multiply the demo district's households (1 = 20,000 households)",
        )
        parser.add_argument(
            "--scale", action="store_true", help="add district-scale data for the benchmarks"
        )
        scale = parser.add_argument_group("with --scale")
        scale.add_argument("--residents", type=_positive, default=500_000)
        scale.add_argument("--devices", type=_positive, default=5_000)
        scale.add_argument("--cases", type=_positive, default=1_000_000)
        scale.add_argument("--fences-per-device", type=_positive, default=2)
        scale.add_argument("--seed", type=int, default=7)

    def handle(self, *args, size: int, scale: bool, verbosity: int, **options):
        stdout = self.stdout if verbosity >= 1 else None
        try:
            if scale:
                if not demo_loaded():
                    load_demo(size=size, stdout=stdout)
                counts = load_scale(
                    residents=options["residents"],
                    devices=options["devices"],
                    cases=options["cases"],
                    fences_per_device=options["fences_per_device"],
                    seed=options["seed"],
                    say=stdout.write if stdout else (lambda _m: None),
                )
            else:
                counts = load_demo(size=size, stdout=stdout)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity >= 1:
            self.stdout.write(json.dumps(counts, ensure_ascii=False, indent=2))
