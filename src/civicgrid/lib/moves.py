"""Small pieces every state machine here shares (cases, hazards, alarms):
each keeps its own rule table and transition function; these are the checks
that read the same in all of them."""

from django.core.exceptions import ValidationError


def by_system(obj, move) -> bool:
    """A move only the platform makes (deadline watch, ladder), never a person."""
    return move.actor is None


def require_note(move, message: str) -> None:
    if not move.note.strip():
        raise ValidationError({"note": message})
