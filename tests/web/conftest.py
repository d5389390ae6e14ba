import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Personas set passwords; the production hasher takes ~0.3 s a user."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
