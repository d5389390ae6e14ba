from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from civicgrid.care import broker


class Command(BaseCommand):
    help = (
        "Write Mosquitto's password and ACL files from the device registry "
        "(each active device with a credential, and MQTT_URL's service account)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password-file", default="", help="default: MOSQUITTO_PASSWORD_PATH")
        parser.add_argument("--acl-file", default="", help="default: MOSQUITTO_ACL_PATH")
        parser.add_argument(
            "--prefix", default="", help="device topic prefix (default: MQTT_TOPIC_PREFIX)"
        )
        parser.add_argument(
            "--reload",
            default="",
            metavar="PID_FILE",
            help="send the broker SIGHUP to reread the files (default: MOSQUITTO_PID_PATH)",
        )

    def handle(self, *, password_file, acl_file, prefix, reload, **options):
        password_file = password_file or settings.MOSQUITTO_PASSWORD_PATH
        acl_file = acl_file or settings.MOSQUITTO_ACL_PATH
        if not password_file or not acl_file:
            raise CommandError(
                "where to write: set MOSQUITTO_PASSWORD_PATH and MOSQUITTO_ACL_PATH "
                "or pass --password-file and --acl-file"
            )
        if broker.service_account() is None:
            self.stderr.write(
                "no service account: MQTT_URL has no user and password, so ingest "
                "cannot sign in to a broker that refuses anonymous clients"
            )
        written = broker.write_files(
            password_path=password_file, acl_path=acl_file, prefix=prefix or None
        )
        pid_file = reload or settings.MOSQUITTO_PID_PATH
        reloaded = written.changed and pid_file and broker.reload_broker(pid_file)
        self.stdout.write(
            f"broker files: {written.devices} devices"
            + (", changed" if written.changed else ", unchanged")
            + (", broker reloaded" if reloaded else "")
        )
