"""A service's ValidationError shown on a form, in one way for every page::

    try:
        household = services.household_create(actor=user, **form.service_fields())
    except ValidationError as error:
        add_service_errors(form, error)

Each message goes to the field it names when the form has that field, else
above the form. A form with places of its own for some keys (a question, the
map) claims them with ``elsewhere(key, messages) -> bool``.
"""

from collections.abc import Callable

from django import forms
from django.core.exceptions import ValidationError


def add_service_errors(
    form: forms.Form,
    error: ValidationError,
    *,
    elsewhere: Callable[[str, list[str]], bool] | None = None,
) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages in error.message_dict.items():
        if elsewhere is not None and elsewhere(key, messages):
            continue
        form.add_error(key if key in form.fields else None, messages)
