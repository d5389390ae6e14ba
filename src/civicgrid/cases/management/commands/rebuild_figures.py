"""civicgrid rebuild-figures [--check]: recount the case tallies behind the
figures from the cases and dispatches (set-wise SQL; running it twice changes
nothing), or with ``--check`` only compare them with a recount."""

import time

from django.core.management.base import BaseCommand, CommandError

from civicgrid.cases.tallies import tally_differences, tally_rebuild


class Command(BaseCommand):
    help = (
        "Recount the case tallies (figures per place, category and month) from the cases; "
        "with --check, only report where they differ from a recount (exit 1 if they do)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="compare only, change nothing")

    def handle(self, *args, check: bool, **options):
        started = time.monotonic()
        if check:
            problems = tally_differences()
            seconds = time.monotonic() - started
            if problems:
                for line in problems:
                    self.stderr.write(line)
                raise CommandError(f"case tallies differ from a recount ({seconds:.1f} s)")
            self.stdout.write(f"case tallies equal a recount ({seconds:.1f} s)")
            return
        rows = tally_rebuild()
        self.stdout.write(f"{rows} case tally rows recounted in {time.monotonic() - started:.1f} s")
