"""A body over REQUEST_MAX_BYTES is refused from its Content-Length, before
anything reads it: the page answers 413 (not CSRF's 403, which would mean the
body had been parsed), the API answers 413 in its error shape, and nothing
is written."""

import pytest
from django.test import Client

from civicgrid.cases.models import Case

pytestmark = pytest.mark.django_db

CLAIMED = str(200 * 1024 * 1024)  # what the header says; the body is small


def test_a_page_refuses_a_body_over_the_limit_before_reading_it():
    response = Client(enforce_csrf_checks=True).post(
        "/cases/report/", {"description": "x"}, CONTENT_LENGTH=CLAIMED
    )
    assert response.status_code == 413
    assert Case.objects.count() == 0


def test_the_api_answers_413_in_its_error_shape():
    response = Client().post(
        "/api/v1/auth/token",
        {"username": "a", "password": "b"},
        content_type="application/json",
        CONTENT_LENGTH=CLAIMED,
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_a_body_within_the_limit_goes_through(settings):
    settings.REQUEST_MAX_BYTES = 1024 * 1024
    response = Client().post(
        "/api/v1/auth/token", {"username": "a", "password": "b"}, content_type="application/json"
    )
    assert response.status_code != 413
