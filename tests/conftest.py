"""Personas and a small place tree shared by the whole suite.

Two communities A and B under one street; each has one grid, one household
and one resident. Personas: district admin, community A staff, community B
staff (the outsider), a grid worker of A's grid, department staff (fire), a
doctor of A, a resident, and a superuser.
"""

import subprocess
import sys
from datetime import date

import pytest
from django.test import Client, override_settings

from civicgrid.access.roles import Role
from civicgrid.registry.models import Household, Organisation, Resident
from civicgrid.registry.services import set_personal_data
from tests.factories import ID_A, ID_B, SQUARE_A, SQUARE_B, make_place, make_user

# Fixtures that more than one package's tests use, kept beside their package's tests.
pytest_plugins = [
    "tests.cases.fixtures",
    "tests.care.fixtures",
    "tests.risks.fixtures",
    "tests.volunteers.fixtures",
    "tests.notify.standin",
]


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded files go to a temporary folder, never into ./data; passwords
    use a fast hasher (PBKDF2 costs ~0.3 s a persona)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def chinese_to_begin_with():
    """Each test starts in the default language: a request in English
    (LocaleMiddleware) leaves English active in the thread afterwards, and a
    later test's messages would come out in English."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fresh_grid_index():
    """In-memory copies (grid index, case categories) survive a test's
    rollback, which fires no signal: drop them around each test."""
    from civicgrid.cases import catalogue
    from civicgrid.registry import geo

    geo.forget()
    catalogue.forget()
    yield
    geo.forget()
    catalogue.forget()


@pytest.fixture
def places(db):
    city = make_place("5401", "拉萨市", "city")
    district = make_place("540102", "城关区", "district", city)
    street = make_place("540102001", "吉崩岗街道", "street", district)
    community_a = make_place("540102001001", "泽新社区", "community", street)
    community_b = make_place("540102001002", "鲁固社区", "community", street)
    grid_a = make_place("540102001001001", "泽新社区第一网格", "grid", community_a, SQUARE_A)
    grid_b = make_place("540102001002001", "鲁固社区第一网格", "grid", community_b, SQUARE_B)
    return {
        "city": city,
        "district": district,
        "street": street,
        "community_a": community_a,
        "community_b": community_b,
        "grid_a": grid_a,
        "grid_b": grid_b,
    }


def _resident(household, name, id_number, phone, birth):
    resident = Resident(
        household=household, name=name, gender="male", birth_date=birth, relation_to_head="head"
    )
    set_personal_data(resident, id_number=id_number, phone=phone)
    resident.save()
    household.head = resident
    household.save()
    return resident


@pytest.fixture
def registry(places):
    household_a = Household.objects.create(
        number="5401020010010010001", grid=places["grid_a"], address="泽新路1号"
    )
    household_b = Household.objects.create(
        number="5401020010020010001", grid=places["grid_b"], address="鲁固路1号"
    )
    return {
        "household_a": household_a,
        "household_b": household_b,
        "resident_a": _resident(household_a, "顿珠", ID_A, "13908912345", date(1951, 3, 2)),
        "resident_b": _resident(household_b, "卓玛", ID_B, "13908954321", date(1988, 7, 15)),
    }


@pytest.fixture
def fire(places):
    return Organisation.objects.create(
        code="fire",
        name="消防救援大队",
        kind="department",
        place=places["district"],
    )


@pytest.fixture
def personas(places, fire):
    return {
        "admin": make_user("admin", Role.ADMIN, scope_place=places["district"]),
        "staff_a": make_user("staff_a", Role.STAFF, scope_place=places["community_a"]),
        "staff_b": make_user("staff_b", Role.STAFF, scope_place=places["community_b"]),
        "grid_a": make_user("grid_a", Role.GRID_WORKER, scope_place=places["grid_a"]),
        "department": make_user("fire", Role.DEPARTMENT, organisation=fire),
        "doctor_a": make_user("doctor_a", Role.DOCTOR, scope_place=places["community_a"]),
        "resident": make_user("resident", Role.RESIDENT, scope_place=places["community_a"]),
        "root": make_user("root", Role.ADMIN, is_superuser=True, is_staff=True),
    }


@pytest.fixture
def client_for():
    """A logged-in test client for a persona."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_for(client_for):
    """A client that sends a fresh bearer token for the persona."""
    from civicgrid.access.services import token_issue

    def make(user) -> Client:
        _, key = token_issue(actor=user, name="test")
        return Client(headers={"Authorization": f"Bearer {key}"})

    return make


@pytest.fixture(scope="session", autouse=True)
def alarm_bell_closed_at_the_end(django_db_setup):
    """The consoles' LISTEN connection (care.bell) must be gone before the
    test database is dropped; it closes once the last stream has ended."""
    from civicgrid.care import bell

    yield
    bell.listener.stop()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory):
    """A migrated SQLite database, made once, for tests that start `civicgrid`
    processes of their own (tests.processes): copy it, never write to it."""
    from tests.processes import sqlite_env

    template = tmp_path_factory.mktemp("migrated-sqlite")
    subprocess.run(  # noqa: S603 (our own interpreter and command)
        [sys.executable, "-m", "civicgrid", "migrate", "-v0"],
        env=sqlite_env(template),
        check=True,
        capture_output=True,
    )
    return template / "db.sqlite3"


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Configuration rows that migrations seed (a fresh database has them).
SEEDING_MIGRATIONS = [
    ("civicgrid.registry.migrations.0002_target_groups", "add_groups"),
    ("civicgrid.risks.migrations.0002_default_rules", "seed"),
]


def restore_seeded_configuration() -> None:
    """Transactional tests empty every table when they end, including the rows
    that migrations seed; put them back."""
    from importlib import import_module

    from django.apps import apps

    for module, function in SEEDING_MIGRATIONS:
        getattr(import_module(module), function)(apps, None)


@pytest.fixture(scope="session")
def demo_district(django_db_setup, django_db_blocker):
    """The whole demo district, loaded once per session and never removed
    (the test database goes at the end). Tests that use it run last (see
    ``pytest_collection_modifyitems``), so the others still start from an
    empty database; each of them runs in a transaction that is rolled back."""
    from civicgrid.demo.load import load_demo

    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        restore_seeded_configuration()
        return load_demo()


def pytest_collection_modifyitems(config, items):
    """Tests on the shared demo district after all the others: its rows stay."""
    items.sort(key=lambda item: "demo_district" in getattr(item, "fixturenames", ()))


# Old names, kept for branches written before issue 13's test layout (remove once
# merged): new tests import tests.factories and use the shared fixtures directly.
from tests.factories import SQUARE  # noqa: E402, F401

_user, _place = make_user, make_place
