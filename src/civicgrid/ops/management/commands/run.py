import signal
import subprocess
import sys

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Migrate, load the demo district if the database is empty, and serve web and worker."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-demo", action="store_true", help="do not load demo data")

    def handle(self, *, host, port, no_demo, **options):
        from civicgrid.demo.load import demo_loaded, load_demo

        call_command("migrate", interactive=False, verbosity=0)
        if not no_demo and not demo_loaded():
            self.stdout.write("loading the demo district (once)…")
            load_demo(stdout=self.stdout)
        # The worker is its own process: a long task never stalls a request,
        # and it is the same program that runs alone in production.
        worker = subprocess.Popen([sys.executable, "-m", "civicgrid", "worker"])  # noqa: S603
        # Device ingest likewise, when there is a broker to ingest from.
        ingest = (
            subprocess.Popen([sys.executable, "-m", "civicgrid", "ingest"])  # noqa: S603
            if settings.MQTT_URL
            else None
        )
        try:
            self.stdout.write(f"civicgrid: http://{host}:{port}/")
            uvicorn.run(
                "civicgrid.asgi:application",
                host=host,
                port=port,
                log_level="info",
                lifespan="off",
                # civicgrid reads X-Forwarded-* itself, from TRUSTED_PROXIES only.
                proxy_headers=False,
            )
        finally:
            for process in (worker, ingest):
                if process is None:
                    continue
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
