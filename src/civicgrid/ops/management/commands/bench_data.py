"""civicgrid bench-data: load benchmark-size data beside the demo district."""

import json

from django.core.management.base import BaseCommand, CommandError

from civicgrid.demo.load import demo_loaded, load_demo
from civicgrid.demo.scale import load_scale


class Command(BaseCommand):
    help = (
        "Load district-scale benchmark data (residents, devices with geofences, cases over "
        "five years) in bulk, replacing the previous benchmark rows. Loads the demo district "
        "first if it is missing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--residents", type=int, default=500_000)
        parser.add_argument("--devices", type=int, default=5_000)
        parser.add_argument("--cases", type=int, default=1_000_000)
        parser.add_argument("--fences-per-device", type=int, default=2)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, verbosity: int, **options):
        for name in ("residents", "devices", "cases"):
            if options[name] < 1:
                raise CommandError(f"--{name} must be at least 1")
        say = self.stdout.write if verbosity >= 1 else (lambda _m: None)
        if not demo_loaded():
            say("loading the demo district first")
            load_demo(scale=1)
        try:
            counts = load_scale(
                residents=options["residents"],
                devices=options["devices"],
                cases=options["cases"],
                fences_per_device=options["fences_per_device"],
                seed=options["seed"],
                say=say,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity >= 1:
            self.stdout.write(json.dumps(counts, indent=2))
