"""Reads of the access package: accounts in an admin's scope and API tokens."""

from django.db.models import Q
from django.http import Http404

from civicgrid.access.models import ApiToken, User
from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE


def users_in_scope(*, user):
    """The accounts an admin manages: those acting in places the admin may
    change (their own place, or their organisation's), never a superuser."""
    # The place model is the one a user's scope points at: access sits below
    # registry (DESIGN.md), so it reaches Place through its own foreign key.
    Place = User._meta.get_field("scope_place").related_model  # noqa: N806

    if user.is_superuser:
        return User.objects.all()
    if user.role != Role.ADMIN:
        return User.objects.none()
    places = Place.objects.for_user(user, CHANGE)
    return User.objects.filter(
        Q(scope_place__in=places) | Q(scope_place__isnull=True, organisation__place__in=places),
        is_superuser=False,
    )


def token_list(*, user, owner_id: int | None = None):
    """The user's own tokens; for an admin also those of the accounts in
    scope (``owner_id`` narrows to one account). Newest first."""
    tokens = ApiToken.objects.select_related("user").order_by("-created_at", "-id")
    if owner_id == user.pk:
        return tokens.filter(user=user)
    others = users_in_scope(user=user)
    if owner_id is not None:
        return tokens.filter(user__in=others.filter(pk=owner_id))
    return tokens.filter(Q(user=user) | Q(user__in=others))


def token_get(*, user, pk: int) -> ApiToken:
    """A token the user may see and revoke, else 404."""
    token = token_list(user=user).filter(pk=pk).first()
    if token is None:
        raise Http404
    return token
