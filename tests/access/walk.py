"""URL walk objects of access: an API token of the side's staff member (the
walk's insider for side a is staff_a, so side b's token is someone else's)."""

from civicgrid.access.models import User
from civicgrid.access.services import token_issue


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    token, _key = token_issue(actor=User.objects.get(username=f"staff_{side}"), name="walk")
    return {"token_id": token.pk, "token_revoke": {"pk": token.pk}}
