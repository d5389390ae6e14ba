import os
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from civicgrid.care.protocols.mqtt import Ingest
from civicgrid.ops.supervisor import Supervisor, civicgrid_command


class Command(BaseCommand):
    help = "Ingest device messages from the MQTT broker into the care pipeline."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="", help="broker URL (default: MQTT_URL)")
        parser.add_argument(
            "--client-id",
            default="",
            help="fixed id of the persistent session (default: MQTT_CLIENT_ID)",
        )
        parser.add_argument(
            "--shared",
            action="store_true",
            help="use the shared subscription (several ingest processes)",
        )
        parser.add_argument(
            "--prefix", default="", help="topic prefix (default: MQTT_TOPIC_PREFIX)"
        )
        parser.add_argument("--batch", type=int, default=200, help="messages per transaction")
        parser.add_argument(
            "--processes",
            type=int,
            default=1,
            help="run N ingest processes on the shared subscription "
            "(client ids <client-id>-1 … -N)",
        )

    def handle(self, *, url, client_id, shared, prefix, batch, processes, **options):
        url, prefix = url or settings.MQTT_URL, prefix or settings.MQTT_TOPIC_PREFIX
        client_id = client_id or settings.MQTT_CLIENT_ID
        if not url:
            raise CommandError("no broker: set MQTT_URL or pass --url mqtt://host:1883")

        def say(text: str) -> None:
            self.stdout.write(text)
            self.stdout.flush()

        if processes > 1:
            return self._supervise(processes, url, client_id, prefix, batch, say)
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
        say(
            f"ingest: stopped after {ingest.handled} routine messages in {ingest.batches} "
            f"batches and {ingest.urgent_handled} urgent ones"
        )

    def _supervise(self, processes, url, client_id, prefix, batch, say) -> None:
        """Separate processes, not threads: each parses on its own core
        (one GIL each); the broker splits the shared subscription among
        them. One that dies is restarted: while it is gone, its share of
        the messages (SOS included) waits on the broker."""
        # The URL carries the service account's password: hand it to the
        # children in their environment, never on a command line (ps shows those).
        os.environ["MQTT_URL"] = url
        options = ["--shared", "--prefix", prefix, "--batch", str(batch)]
        names = {n: f"{client_id}-{n}" for n in range(1, processes + 1)}
        supervisor = Supervisor(
            {
                f"ingest-{n}": civicgrid_command("ingest", *options, "--client-id", name)
                for n, name in names.items()
            }
        )
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_args: stop.set())
        supervisor.start()
        try:
            supervisor.supervise(stop)
        finally:
            codes = supervisor.stop()
        say(f"ingest: {processes} processes stopped")
        if any(codes.values()):
            raise CommandError(f"ingest processes exited with {codes}")
