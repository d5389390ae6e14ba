from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from civicgrid.access.client_keys import client_key_issue, client_key_revoke
from civicgrid.access.models import ClientKey


class Command(BaseCommand):
    help = "Manage API keys of Open311 clients: create NAME, list, revoke NAME."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="issue a key and print it (shown only once)")
        create.add_argument("name")
        actions.add_parser("list", help="list keys (their first characters only)")
        revoke = actions.add_parser("revoke", help="revoke a key by name")
        revoke.add_argument("name")

    def handle(self, *, action, **options):
        if action == "create":
            try:
                client, key = client_key_issue(name=options["name"])
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
            self.stderr.write(f"Key for {client.name} (store it now, it is not shown again):")
            self.stdout.write(key)
        elif action == "list":
            for client in ClientKey.objects.order_by("name"):
                created = timezone.localtime(client.created_at).isoformat(timespec="seconds")
                revoked = (
                    "revoked " + timezone.localtime(client.revoked_at).isoformat(timespec="seconds")
                    if client.revoked_at
                    else "active"
                )
                self.stdout.write(f"{client.name}\t{client.hint}…\t{created}\t{revoked}")
        else:
            client = ClientKey.objects.filter(name=options["name"]).first()
            if client is None:
                raise CommandError(f"No client key named {options['name']!r}.")
            if client_key_revoke(client=client):
                self.stdout.write(f"Revoked {client.name}.")
            else:
                self.stdout.write(f"{client.name} was already revoked.")
