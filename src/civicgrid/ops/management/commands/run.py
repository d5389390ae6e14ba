import signal
import threading

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from civicgrid.ops.supervisor import Supervisor, civicgrid_command

# Open console streams are cut after this long when the server stops.
GRACEFUL_SECONDS = 5


def migrate(stdout=None) -> int:
    """Migrate only when something is left to apply: an up-to-date database
    starts without every app's post-migrate checks. Says how many migrations
    it applies and each as it goes (a first start takes a while); returns
    how many."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        if stdout is not None:
            stdout.write(f"applying {len(plan)} database migrations…")
        call_command(
            "migrate", interactive=False, verbosity=1 if stdout is not None else 0, stdout=stdout
        )
    return len(plan)


class Command(BaseCommand):
    help = (
        "Migrate, load the demo district if the database is empty, serve the web app, "
        "and supervise the worker and device ingest."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-demo", action="store_true", help="do not load demo data")

    def handle(self, *, host, port, no_demo, **options):
        from civicgrid.demo.load import demo_loaded, load_demo

        migrate(self.stdout)
        if not no_demo and not demo_loaded():
            self.stdout.write("loading the demo district (once)…")
            load_demo(stdout=self.stdout)
        connection.close()
        # The worker is its own process: a long task never stalls a request,
        # and it is the same program that runs alone in production. Device
        # ingest likewise, when there is a broker to ingest from.
        children = {"worker": civicgrid_command("worker")}
        if settings.MQTT_URL:
            children["ingest"] = civicgrid_command("ingest")
        if settings.WATCH_PORT:
            children["ingest-watch"] = civicgrid_command("ingest-watch")
        supervisor = Supervisor(children)
        server = uvicorn.Server(
            uvicorn.Config(
                "civicgrid.asgi:application",
                host=host,
                port=port,
                log_level="info",
                lifespan="off",
                timeout_graceful_shutdown=GRACEFUL_SECONDS,
                # civicgrid reads X-Forwarded-* itself, from TRUSTED_PROXIES only.
                proxy_headers=False,
            )
        )
        stop = threading.Event()

        def stopping(*_args) -> None:
            stop.set()
            server.should_exit = True

        # uvicorn answers SIGTERM and SIGINT itself while it serves; once it
        # has shut down it puts these handlers back and raises the signal
        # again, so ours only takes note: the children are stopped below,
        # whichever way we leave (uvicorn's re-raised SIGTERM used to kill
        # this process before its clean-up and orphan them).
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, stopping)
        supervisor.start()
        watching = threading.Thread(
            target=supervisor.supervise, args=(stop,), name="supervisor", daemon=True
        )
        watching.start()
        try:
            if not stop.is_set():
                self.stdout.write(f"civicgrid: http://{host}:{port}/")
                self.stdout.flush()
                server.run()
        finally:
            stop.set()
            watching.join()
            codes = supervisor.stop()
            exits = ", ".join(f"{name} {code}" for name, code in codes.items())
            self.stdout.write(f"civicgrid: stopped ({exits})")
