"""A model field whose value is encrypted in the database column."""

from django.db import models

from civicgrid.access import crypto


class EncryptedTextField(models.TextField):
    """Plain ``str`` in Python, a Fernet token in the column.

    Not searchable: pair it with a blind-index column for exact lookups and a
    masked column for lists.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)
