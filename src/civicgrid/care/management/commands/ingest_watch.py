from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from civicgrid.care import watch_server


class Command(BaseCommand):
    help = "Listen for kids' 3G/4G watches (Traccar's 'watch' protocol) on TCP."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="", help="address (default: WATCH_HOST)")
        parser.add_argument("--port", type=int, default=None, help="port (default: WATCH_PORT)")

    def handle(self, *, host, port, **options):
        host = host or settings.WATCH_HOST
        port = settings.WATCH_PORT if port is None else port
        if not port:
            raise CommandError("no port: set WATCH_PORT or pass --port")

        def say(text: str) -> None:
            self.stdout.write(text)
            self.stdout.flush()

        server = watch_server.run(host, port, say=say)
        frames, connections = server.frames, server.connections
        say(f"ingest-watch: stopped after {frames} frames on {connections} connections")
