import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from civicgrid.care.protocols.mqtt import Ingest


class Command(BaseCommand):
    help = "Ingest device messages from the MQTT broker into the care pipeline."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="", help="broker URL (default: MQTT_URL)")
        parser.add_argument(
            "--client-id", default="civicgrid-ingest", help="fixed id of the persistent session"
        )
        parser.add_argument(
            "--shared",
            action="store_true",
            help="use the shared subscription (several ingest processes)",
        )
        parser.add_argument("--prefix", default="civicgrid/devices", help="topic prefix")
        parser.add_argument("--batch", type=int, default=200, help="messages per transaction")

    def handle(self, *, url, client_id, shared, prefix, batch, **options):
        url = url or settings.MQTT_URL
        if not url:
            raise CommandError("no broker: set MQTT_URL or pass --url mqtt://host:1883")

        def say(text: str) -> None:
            self.stdout.write(text)
            self.stdout.flush()

        try:
            ingest = Ingest(
                url=url, client_id=client_id, prefix=prefix, shared=shared, batch=batch, say=say
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        signal.signal(signal.SIGTERM, ingest.stop)
        signal.signal(signal.SIGINT, ingest.stop)
        say(f"ingest: connecting to {url} as {client_id}")
        ingest.run()
        say("ingest: stopped")
