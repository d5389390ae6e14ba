"""civicgrid bench [name ...] [--quick] [--json PATH]: run the benchmarks.

The benchmarks live in ``benchmarks/`` at the root of the repository (they
are not part of the installed package); this command puts that root on
``sys.path``. Each prints its platform figure, its baseline measured in the
same run, their ratio and the goal; the whole run is written as JSON to
``bench-results/`` (git-ignored) unless ``--json`` names another file.
"""

import importlib
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

import civicgrid

REPO = Path(civicgrid.__file__).resolve().parents[2]


def _benchmarks() -> dict[str, str]:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    try:
        from benchmarks import BENCHMARKS
    except ImportError as exc:
        raise CommandError(f"benchmarks/ not found at {REPO}: run from a checkout") from exc
    return BENCHMARKS


class Command(BaseCommand):
    help = "Run benchmarks against their raw baselines; print a table and write JSON."

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
        parser.add_argument("--quick", action="store_true", help="small sizes (for tests)")
        parser.add_argument("--json", dest="json_path", help="where to write the JSON results")

    def handle(self, *args, names, quick, json_path, verbosity, **options):
        available = _benchmarks()
        unknown = [n for n in names if n not in available]
        if unknown:
            raise CommandError(
                f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(available)}"
            )
        from benchmarks import harness

        say = self.stdout.write if verbosity >= 1 else (lambda _m: None)
        started = time.time()
        info = harness.machine()
        results, failed = [], {}
        for name in names or list(available):
            module = importlib.import_module(available[name])
            say(f"== {name} (load {harness.loadavg()})")
            try:
                # Measure the production configuration: with DEBUG on, Django
                # logs every query, which costs both sides and fills the log.
                with override_settings(DEBUG=False):
                    results.extend(module.run(quick=quick, say=say))
            except Exception as exc:  # one broken benchmark must not hide the others
                failed[name] = f"{type(exc).__name__}: {exc}"
                say(f"   {name} failed: {failed[name]}")
        self.stdout.write(harness.table(results))
        path = (
            Path(json_path)
            if json_path
            else REPO / "bench-results" / time.strftime("bench-%Y%m%d-%H%M%S.json")
        )
        command = " ".join(["civicgrid bench", *names, *(["--quick"] if quick else [])])
        harness.write_json(
            path,
            command=command,
            results=results,
            started=started,
            info=info | {"failed": failed},
        )
        say(f"results written to {path} ({time.time() - started:.0f}s)")
        if failed:
            raise CommandError(f"failed: {', '.join(failed)}")
